"""Fault sweep (not part of `make test`): the whole `playbooks/migrate.yml` with the example access model, through
the AWS simulator with faults in every service, over many seeds.

For each seed: a fresh private sandbox, a first faulted run (it must converge), and a second faulted run with
another seed (it must report changed=0). Prints, per run, the exit code, the changes, the time and the faults
injected per service, then the totals: runs, runs that converged, faults per service. The failures of a run
are printed with the task and the message.

    .venv/bin/python tests/performance/fault_sweep.py --seeds 1-6 [--reset-after-write 0.02]
        [--json FILE]

Needs `make install` first (it runs the installed collection, as the integration tests do).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tools"))
sys.path.insert(0, os.path.join(REPO, "tests", "simulator"))

import aws_simulator  # noqa: E402
import sandbox as sandbox_tool  # noqa: E402

ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
MIGRATE = os.path.join(REPO, "playbooks", "migrate.yml")
MODEL = os.path.join(REPO, "examples", "access-model.yml")
FAULTS = {"reset_rate": 0.05, "throttle_burst_rate": 0.02, "throttle_burst_seconds": 0.3, "conflict_rate": 0.03,
          "error_500_rate": 0.02, "error_503_rate": 0.02, "async_delay": 0.3}
SERVICES = ("iam", "sts", "organizations", "account", "sso", "identitystore")


def seeds_of(text):
    seeds = []
    for part in text.split(","):
        first, dummy, last = part.partition("-")
        seeds.extend(range(int(first), int(last or first) + 1))
    return seeds


def env_for(endpoint, home):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(sandbox_tool.env_for(endpoint))
    env.update({"HOME": home, "ANSIBLE_COLLECTIONS_PATH": os.path.join(REPO, "build", "collections"),
                "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false"})
    return env


def failures(stdout):
    try:
        report = json.loads(stdout)
    except ValueError:
        return [("(no JSON output)", stdout[-2000:])]
    found = []
    for play in report["plays"]:
        for task in play["tasks"]:
            host = task["hosts"].get("localhost", {})
            if host.get("failed"):
                messages = [r.get("msg") for r in host.get("results", []) if r.get("failed")] or [host.get("msg")]
                found.append((task["task"]["name"], messages))
    return found


def faulted_run(box, workdir, seed, faults):
    directory = os.path.join(workdir, f"simulator-{seed}")
    endpoint = aws_simulator.start(directory, box["endpoint"], seed=seed, **faults)["endpoint"]
    out = os.path.join(workdir, "out")
    command = [ANSIBLE_PLAYBOOK, MIGRATE, "-e", f"@{MODEL}", "-e", f"ssoshift_output_dir={out}",
               "-e", f"cli_profiles_operator_config_path={out}/operator-aws-config",
               "-e", "confirm_portal_sign_in=true"]
    started = time.monotonic()
    try:
        completed = subprocess.run(command, capture_output=True, text=True, cwd=workdir, timeout=1800, check=False,
                                   env=env_for(endpoint, os.path.join(workdir, "home")))
        stats = aws_simulator.stats(endpoint)
    finally:
        aws_simulator.stop(directory)
    try:
        changed = json.loads(completed.stdout)["stats"]["localhost"]["changed"]
    except (ValueError, KeyError):
        changed = None
    return {"seed": seed, "returncode": completed.returncode, "changed": changed,
            "seconds": round(time.monotonic() - started, 1),
            "faults": {s: stats["services"].get(s, {}).get("faults", {}) for s in SERVICES},
            "calls": {s: stats["services"].get(s, {}).get("calls", 0) for s in SERVICES},
            "failures": failures(completed.stdout) if completed.returncode else []}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1-6", help="first-run seeds, e.g. 1-6 or 1,3,9 (second run: seed + 1000)")
    parser.add_argument("--reset-after-write", type=float, default=0.0,
                        help="rate of writes moto applies whose answer is then dropped (default 0)")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    faults = dict(FAULTS, reset_after_write_rate=args.reset_after_write)
    runs = []
    for seed in seeds_of(args.seeds):
        workdir = tempfile.mkdtemp(prefix=f"fault-sweep-{seed}-")
        box = sandbox_tool.start(os.path.join(workdir, "sandbox"))
        try:
            for kind, run_seed in (("first", seed), ("second", seed + 1000)):
                run = dict(faulted_run(box, workdir, run_seed, faults), run=kind)
                run["converged"] = run["returncode"] == 0 and (kind == "first" or run["changed"] == 0)
                runs.append(run)
                injected = {s: sum(f.values()) for s, f in run["faults"].items()}
                print(f"seed {run_seed:>5} {kind:<6} rc={run['returncode']} changed={run['changed']} "
                      f"{run['seconds']:>6}s converged={run['converged']} faults={injected}", flush=True)
                for task, messages in run["failures"]:
                    print(f"    FAILED {task}: {messages}", flush=True)
                if not run["converged"]:
                    break
        finally:
            sandbox_tool.stop(os.path.join(workdir, "sandbox"))
    totals = {s: {} for s in SERVICES}
    for run in runs:
        for service, faults_of in run["faults"].items():
            for kind, count in faults_of.items():
                totals[service][kind] = totals[service].get(kind, 0) + count
    summary = {"config": faults, "runs": len(runs), "converged": sum(r["converged"] for r in runs),
               "seeds": [r["seed"] for r in runs], "faults_per_service": totals, "runs_detail": runs}
    print(f"\n{summary['converged']} of {summary['runs']} runs converged; faults injected per service:")
    for service in SERVICES:
        print(f"  {service:<14} {sum(totals[service].values()):>5}  {totals[service]}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(summary, handle, indent=2)
    return 0 if summary["converged"] == summary["runs"] else 1


if __name__ == "__main__":
    sys.exit(main())
