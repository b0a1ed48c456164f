"""Whole-migration benchmark: `make bench-org` (not part of `make test`).

For organisations of 10, 40, 100 and 300 accounts (`--sizes`), each in a private sandbox: the seeded legacy estate
plus generated member accounts under two OUs, and an access model in which every account is in every phase -
assignments by OU and to the whole organisation, an OIDC deploy role and a break-glass role in each account, the
legacy admins of the seed. playbooks/migrate.yml runs twice (first run, then the no-change run), then once more in
check mode. For each run: wall time, tasks executed, module processes started, API calls by service and operation
(moto's recorder), write calls, the peak RSS of a module process, and the CPU seconds of Ansible (the controller and
every module process) and of the sandbox's server - which side bounds the run.

Prints a table, writes the figures with `--json FILE`, and with `--plot FILE` a PNG of time against accounts
(matplotlib; `make bench-org` installs it into the virtualenv, it is not a test requirement).
"""

import argparse
import collections
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tools"))

import sandbox as sandbox_tool  # noqa: E402

import yaml  # noqa: E402

ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
COLLECTIONS = os.path.join(REPO, "build", "collections")
MIGRATE = os.path.join(REPO, "playbooks", "migrate.yml")


class ProcessSampler(threading.Thread):
    """Module processes started (distinct PIDs of a Python interpreter running an AnsiballZ_ payload from `tmp`, this
    run's own Ansible temporary folder, so other runs on the machine are not counted; the shell, chmod and rm commands
    Ansible runs around each payload are not module processes) and their peak RSS (VmHWM)."""

    def __init__(self, tmp):
        super().__init__(daemon=True)
        self.running = True
        self.pids = set()
        self.peak_kb = 0
        self.marker = tmp.encode()

    def run(self):
        while self.running:
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as handle:
                        argv = handle.read().split(b"\0")
                    # The interpreter running a module payload; not the shell, chmod and rm commands around it.
                    if (len(argv) < 2 or b"python" not in os.path.basename(argv[0])
                            or not os.path.basename(argv[1]).startswith(b"AnsiballZ_") or self.marker not in argv[1]):
                        continue
                    self.pids.add(pid)
                    with open(f"/proc/{pid}/status") as handle:
                        for line in handle:
                            if line.startswith("VmHWM:"):
                                self.peak_kb = max(self.peak_kb, int(line.split()[1]))
                except OSError:
                    continue
            time.sleep(0.02)


def access_model(member_names):
    with open(os.path.join(REPO, "examples", "access-model.yml")) as handle:
        model = yaml.safe_load(handle)
    model["identity_center"]["assignments"] = [
        {"group": "platform-admins", "permission_sets": ["AdministratorAccess"],
         "targets": {"organization": True, "include_management_account": True}},
        {"group": "developers", "permission_sets": ["DeveloperAccess"], "targets": {"ous": ["Workloads/NonProd"]}},
        {"group": "developers", "permission_sets": ["ReadOnlyAccess"], "targets": {"ous": ["Workloads/Prod"]}},
    ]
    model["automation_roles"][0]["accounts"] = member_names
    model["break_glass"]["accounts"] = "all"
    return model


def _process_cpu_seconds(pid):
    """User + system CPU seconds of process `pid` so far (/proc/PID/stat, fields 14 and 15, in clock ticks)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu_seconds():
    """User + system CPU seconds of this process's waited-for children (ansible-playbook and every process it ran)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_migrate(endpoint, model_file, workdir, check=False, sandbox_pid=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(sandbox_tool.env_for(endpoint))
    tmp = os.path.join(workdir, "ansible-tmp")
    env.update(ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_LOCALHOST_WARNING="false", HOME=os.path.join(workdir, "home"), ANSIBLE_REMOTE_TMP=tmp,
               ANSIBLE_LOCAL_TEMP=os.path.join(workdir, "ansible-local"))
    out = os.path.join(workdir, "out")
    command = [ANSIBLE_PLAYBOOK, MIGRATE, "-e", f"@{model_file}", "-e", f"ssoshift_output_dir={out}",
               "-e", f"cli_profiles_operator_config_path={out}/operator-aws-config", "-e", "confirm_portal_sign_in=true"]
    if check:
        command.append("--check")
    sampler = ProcessSampler(tmp)
    sandbox_tool.start_recording(endpoint)
    sampler.start()
    started = time.monotonic()
    sandbox_cpu, ansible_cpu = _process_cpu_seconds(sandbox_pid) if sandbox_pid else 0.0, _children_cpu_seconds()
    completed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=workdir, check=False)
    wall = time.monotonic() - started
    ansible_cpu = _children_cpu_seconds() - ansible_cpu
    sandbox_cpu = (_process_cpu_seconds(sandbox_pid) - sandbox_cpu) if sandbox_pid else None
    sampler.running = False
    sampler.join()
    entries = sandbox_tool.stop_recording(endpoint, entries=True)
    if completed.returncode != 0:
        raise RuntimeError(f"migrate.yml failed ({completed.returncode}): {completed.stdout[-3000:]}"
                           f"{completed.stderr[-2000:]}")
    report = json.loads(completed.stdout)
    stats = report["stats"]["localhost"]
    executed = sum(1 for play in report["plays"] for task in play["tasks"]
                   if not task["hosts"].get("localhost", {}).get("skipped"))
    slowest = sorted(((_seconds(task["task"].get("duration") or {}), task["task"]["name"])
                      for play in report["plays"] for task in play["tasks"]), reverse=True)[:8]
    actions = collections.Counter(sandbox_tool.iam_action_of(entry) for entry in entries)
    operations = [sandbox_tool.operation_of(entry) for entry in entries]
    by_service = collections.Counter(action.split(":")[0] for action in actions.elements())
    return {"wall_seconds": round(wall, 1), "tasks_executed": executed, "changed": stats["changed"],
            "module_processes": len(sampler.pids), "peak_module_rss_mb": round(sampler.peak_kb / 1024, 1),
            # Where the CPU went: Ansible (the controller and every module process) and the sandbox's server.
            "ansible_cpu_seconds": round(ansible_cpu, 1),
            "sandbox_cpu_seconds": None if sandbox_cpu is None else round(sandbox_cpu, 1),
            "api_calls": sum(actions.values()), "api_calls_by_service": dict(sorted(by_service.items())),
            "api_calls_by_operation": dict(sorted(actions.items())),
            "writes": len(sandbox_tool.write_operations(operations)),
            "slowest_tasks": [{"task": name, "seconds": seconds} for seconds, name in slowest]}


def _seconds(duration):
    """A task's wall time from the json callback's ISO start and end (0 when it did not run)."""
    if not duration.get("start") or not duration.get("end"):
        return 0.0
    parse = datetime.datetime.fromisoformat
    return round((parse(duration["end"].replace("Z", "+00:00")) - parse(duration["start"].replace("Z", "+00:00")))
                 .total_seconds(), 1)


def measure(size, workdir):
    directory = os.path.join(workdir, f"sandbox-{size}")
    started = time.monotonic()
    # The seed has the management account and three members; the rest alternate between the two leaf OUs.
    state = sandbox_tool.start(directory, extra_accounts=max(0, size - 4))
    try:
        built = time.monotonic() - started
        members = [name for name in state["accounts"] if name != "management"]
        model_file = os.path.join(workdir, f"model-{size}.yml")
        with open(model_file, "w") as handle:
            yaml.safe_dump(access_model(members), handle)
        run_dir = os.path.join(workdir, f"run-{size}")
        os.makedirs(os.path.join(run_dir, "home"), exist_ok=True)
        pid = state.get("pid")
        first = run_migrate(state["endpoint"], model_file, run_dir, sandbox_pid=pid)
        second = run_migrate(state["endpoint"], model_file, run_dir, sandbox_pid=pid)
        checked = run_migrate(state["endpoint"], model_file, run_dir, check=True, sandbox_pid=pid)
        return {"accounts": size, "organisation_built_seconds": round(built, 1), "first": first,
                "no_change": second, "check": checked}
    finally:
        sandbox_tool.stop(directory)


def table(results):
    lines = ["| accounts | first run | no-change run | check mode | tasks (first / no-change) | module processes "
             "(first / no-change) | API calls (first / no-change) | writes (no-change / check) | peak module RSS | "
             "CPU, no-change (Ansible / sandbox) |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        first, second, check = r["first"], r["no_change"], r["check"]
        lines.append(f"| {r['accounts']} | {first['wall_seconds']} s | {second['wall_seconds']} s | "
                     f"{check['wall_seconds']} s | {first['tasks_executed']} / {second['tasks_executed']} | "
                     f"{first['module_processes']} / {second['module_processes']} | {first['api_calls']:,} / "
                     f"{second['api_calls']:,} | {second['writes']} / {check['writes']} | "
                     f"{max(first['peak_module_rss_mb'], second['peak_module_rss_mb'])} MB | "
                     f"{second['ansible_cpu_seconds']} s / {second['sandbox_cpu_seconds']} s |")
    return "\n".join(lines)


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["accounts"] for r in results]
    figure, axes = plt.subplots(figsize=(7, 4), dpi=100)
    axes.plot(sizes, [r["first"]["wall_seconds"] for r in results], "o-", label="first run")
    axes.plot(sizes, [r["no_change"]["wall_seconds"] for r in results], "s-", label="no-change run")
    axes.plot(sizes, [r["check"]["wall_seconds"] for r in results], "^--", label="check mode")
    axes.set_xlabel("accounts in the organisation")
    axes.set_ylabel("seconds, whole migrate.yml")
    axes.set_title("playbooks/migrate.yml against the sandbox (2 cores)")
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 40, 100, 300])
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--plot", help="write a PNG of time against accounts")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-org-") as workdir:
        for size in args.sizes:
            print(f"== {size} accounts", flush=True)
            results.append(measure(size, workdir))
            print(json.dumps(results[-1], default=str)[:2000], flush=True)
    print(table(results))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)
    if args.plot:
        plot(results, args.plot)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
