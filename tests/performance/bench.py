"""Account-assignment benchmark: `make bench` (not part of `make test`).

Generates a synthetic organisation in a private sandbox (100 accounts in nested OUs, 40
groups, 6 permission sets, 3,200 desired assignments) and runs account_assignments through
real ansible-playbook runs:

  cold      first converge through the AWS simulator (rate limits, async completion)
  noop      re-run against plain moto, and through the simulator
  change    10 % change (5 % removed with purge, 5 % added) through the simulator
  per-item  200 assignments as one task per item vs one bulk call (plain moto)
  rss       peak RSS of the module process converging 10,080 assignments (plain moto)

For each: wall time of the module task, API calls by operation, peak RSS of the module
process, and, through the simulator, its theoretical minimum time and the ratio to it.
Prints a table; `--json FILE` also writes the figures.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tools"))
sys.path.insert(0, os.path.join(REPO, "tests", "simulator"))

import aws_simulator  # noqa: E402
import sandbox as sandbox_tool  # noqa: E402

ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
COLLECTIONS = os.path.join(REPO, "build", "collections")
LEAF_OUS = ["Bench/Workloads/Prod", "Bench/Workloads/NonProd", "Bench/Workloads/Sandbox", "Bench/Infra/Shared",
            "Bench/Infra/Security"]
SIMULATOR = {"tps": 100, "max_outstanding": 10, "async_delay": 0.2, "latency": 0.005}

ASSIGN = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: bulk
      ssoshift.identity_center.account_assignments:
        assignments: "{{ assignments }}"
        purge: "{{ purge | default(false) }}"
        max_requests_per_second: "{{ rps }}"
"""

PER_ITEM = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: per-item
      ssoshift.identity_center.account_assignments:
        assignments: [{group: "{{ item.group }}", permission_sets: ["{{ item.permission_set }}"],
                       targets: {accounts: ["{{ item.account }}"]}}]
        max_requests_per_second: "{{ rps }}"
      loop: "{{ items }}"
"""


def build_organisation(endpoint):
    """100 accounts under five leaf OUs, 40 groups, 6 permission sets. Returns their names."""
    client = sandbox_tool._clients(endpoint)
    org = client("organizations")
    root = org.list_roots()["Roots"][0]["Id"]
    ou_ids = {}
    for path in LEAF_OUS:
        parent = root
        for depth in range(1, len(path.split("/")) + 1):
            key = "/".join(path.split("/")[:depth])
            if key not in ou_ids:
                ou_ids[key] = org.create_organizational_unit(ParentId=parent, Name=key.rsplit("/", maxsplit=1)[-1])[
                    "OrganizationalUnit"]["Id"]
            parent = ou_ids[key]
    for index in range(100):
        account_id = org.create_account(AccountName=f"bench-{index:03d}", Email=f"bench{index}@example.com")[
            "CreateAccountStatus"]["AccountId"]
        org.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=ou_ids[LEAF_OUS[index % 5]])
    sso = client("sso-admin")
    instance = sso.list_instances()["Instances"][0]
    identitystore = client("identitystore")
    groups = [f"bench-group-{i:02d}" for i in range(40)]
    for name in groups:
        identitystore.create_group(IdentityStoreId=instance["IdentityStoreId"], DisplayName=name)
    permission_sets = [f"BenchSet{i}" for i in range(6)]
    for name in permission_sets + ["BenchLoop", "BenchBulk"]:  # the last two only for the per-item comparison
        sso.create_permission_set(InstanceArn=instance["InstanceArn"], Name=name)
    return groups, permission_sets


def model(groups, permission_sets, ous_per_group=2, sets_per_group=2, offset=0):
    """Each group: `sets_per_group` permission sets on the accounts of `ous_per_group` leaf OUs (20 each)."""
    return [{"group": group,
             "permission_sets": [permission_sets[(i + k) % len(permission_sets)] for k in range(sets_per_group)],
             "targets": {"ous": [LEAF_OUS[(i + offset + 2 * k) % 5] for k in range(ous_per_group)]}}
            for i, group in enumerate(groups)]


class RssSampler(threading.Thread):
    """Peak resident memory (VmHWM) of the account_assignments module process(es)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak_kb = 0
        self.running = True

    def run(self):
        while self.running:
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as handle:
                        if b"AnsiballZ_account_assignments" not in handle.read():
                            continue
                    with open(f"/proc/{pid}/status") as handle:
                        for line in handle:
                            if line.startswith("VmHWM:"):
                                self.peak_kb = max(self.peak_kb, int(line.split()[1]))
                except OSError:
                    continue
            time.sleep(0.05)


def run_playbook(text, extra, endpoint, workdir):
    playbook = os.path.join(workdir, "playbook.yml")
    with open(playbook, "w") as handle:
        handle.write(text)
    extra_file = os.path.join(workdir, "extra.json")
    with open(extra_file, "w") as handle:
        json.dump(extra, handle)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(sandbox_tool.env_for(endpoint))
    env.update(ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    sampler = RssSampler()
    sampler.start()
    started = time.monotonic()
    completed = subprocess.run([ANSIBLE_PLAYBOOK, playbook, "-e", f"@{extra_file}"], capture_output=True, text=True,
                               env=env, cwd=workdir, check=False)
    wall = time.monotonic() - started
    sampler.running = False
    sampler.join()
    report = json.loads(completed.stdout)
    task = report["plays"][0]["tasks"][0]
    result = task["hosts"]["localhost"]
    if completed.returncode != 0:
        raise RuntimeError(f"playbook failed: {result.get('msg')}")
    duration = task["task"]["duration"]
    task_seconds = _seconds(duration["end"]) - _seconds(duration["start"])
    return {"wall": wall, "task": task_seconds, "result": result, "peak_rss_mb": sampler.peak_kb / 1024}


def _seconds(stamp):
    import datetime

    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def theoretical_minimum(operations, config):
    """Fastest the simulator allows: each operation is one call of its kind (a token bucket per
    operation) and holds one of `max_outstanding` slots for `async_delay` plus a round trip."""
    if not operations:
        return 0.0
    rate_bound = operations / config["tps"]
    slot_bound = operations * (config["async_delay"] + 2 * config["latency"]) / config["max_outstanding"]
    return max(rate_bound, slot_bound)


def row(name, run, operations=None, simulated=False):
    calls = run["result"].get("api_calls", {})
    entry = {"scenario": name, "task_seconds": round(run["task"], 2), "wall_seconds": round(run["wall"], 2),
             "api_calls": calls.get("total"), "peak_rss_mb": round(run["peak_rss_mb"], 1),
             "counts": run["result"].get("counts"), "calls_by_operation": calls}
    if simulated and operations is not None:
        minimum = theoretical_minimum(operations, SIMULATOR)
        entry["theoretical_min_seconds"] = round(minimum, 2)
        entry["ratio_to_minimum"] = round(run["task"] / minimum, 2) if minimum else None
    return entry


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--skip", nargs="*", default=[], help="scenarios to skip (per-item, rss)")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="ssoshift-bench-")
    box = sandbox_tool.start(os.path.join(workdir, "sandbox"))
    sim_dir = os.path.join(workdir, "simulator")
    rows = []
    try:
        print("building the synthetic organisation ...", flush=True)
        groups, permission_sets = build_organisation(box["endpoint"])
        desired = model(groups, permission_sets)
        simulator = aws_simulator.start(sim_dir, box["endpoint"], **SIMULATOR)["endpoint"]
        rps = 2 * SIMULATOR["tps"]  # the simulator limits each operation to tps; create + describe together

        print("cold converge through the simulator ...", flush=True)
        cold = run_playbook(ASSIGN, {"assignments": desired, "rps": rps}, simulator, workdir)
        rows.append(row("cold converge (simulator)", cold, cold["result"]["counts"]["created"], simulated=True))

        print("no-op re-runs ...", flush=True)
        rows.append(row("no-op (plain moto)", run_playbook(ASSIGN, {"assignments": desired, "rps": rps},
                                                           box["endpoint"], workdir)))
        rows.append(row("no-op (simulator)", run_playbook(ASSIGN, {"assignments": desired, "rps": rps},
                                                          simulator, workdir), 0, simulated=True))

        print("10 % change through the simulator ...", flush=True)
        changed = model(groups, permission_sets)
        for entry in changed[:8]:  # 8 groups x 80 = 640 triples move: 320 removed, 320 added (10 % of 3,200 each way)
            entry["targets"] = {"ous": [entry["targets"]["ous"][0], LEAF_OUS[(LEAF_OUS.index(
                entry["targets"]["ous"][1]) + 1) % 5]]}
        change = run_playbook(ASSIGN, {"assignments": changed, "rps": rps, "purge": True}, simulator, workdir)
        counts = change["result"]["counts"]
        rows.append(row("10 % change (simulator, purge)", change, counts["created"] + counts["deleted"],
                        simulated=True))

        if "per-item" not in args.skip:
            print("per-item baseline vs bulk, 200 assignments ...", flush=True)
            accounts = [f"bench-{i:03d}" for i in range(100)]
            items = [{"group": groups[i % 40], "permission_set": "BenchLoop", "account": accounts[(i * 7) % 100]}
                     for i in range(200)]
            items = list({(i["group"], i["account"]): i for i in items}.values())[:200]
            bulk_spec = [{"group": i["group"], "permission_sets": [i["permission_set"]],
                          "targets": {"accounts": [i["account"]]}} for i in items]
            loop = run_playbook(PER_ITEM, {"items": items, "rps": 1000}, box["endpoint"], workdir)
            rows.append({"scenario": f"per-item loop, {len(items)} assignments (plain moto)",
                         "task_seconds": round(loop["task"], 2), "wall_seconds": round(loop["wall"], 2),
                         "peak_rss_mb": round(loop["peak_rss_mb"], 1)})
            bulk_items = [dict(i, permission_set="BenchBulk") for i in items]
            bulk_spec = [{"group": i["group"], "permission_sets": [i["permission_set"]],
                          "targets": {"accounts": [i["account"]]}} for i in bulk_items]
            bulk = run_playbook(ASSIGN, {"assignments": bulk_spec, "rps": 1000}, box["endpoint"], workdir)
            rows.append(row(f"bulk call, {len(items)} assignments (plain moto)", bulk))
            rows[-1]["speed_up_vs_per_item"] = round(loop["task"] / bulk["task"], 1)

        if "rss" not in args.skip:
            print("peak RSS at 10,080 assignments ...", flush=True)
            big = [{"group": group, "permission_sets": permission_sets, "targets": {"ous": LEAF_OUS[:2] + [
                LEAF_OUS[2 + i % 3]]}} for i, group in enumerate(groups[:40])]
            # 40 groups x 6 sets x 60 accounts = 14,400 desired; keep 10,080 by trimming the set list
            for i, entry in enumerate(big):
                entry["permission_sets"] = permission_sets[: (5 if i < 8 else 4)]
            rss = run_playbook(ASSIGN, {"assignments": big, "rps": 5000}, box["endpoint"], workdir)
            rows.append(row("converge 10,080 assignments (plain moto)", rss))
    finally:
        aws_simulator.stop(sim_dir)
        sandbox_tool.stop(os.path.join(workdir, "sandbox"))

    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"simulator": SIMULATOR, "rows": rows}, handle, indent=2)
    print()
    print(f"{'scenario':<48} {'task s':>8} {'calls':>7} {'RSS MB':>7} {'min s':>7} {'ratio':>6}")
    for entry in rows:
        ratio = entry.get("ratio_to_minimum", entry.get("speed_up_vs_per_item"))
        print(f"{entry['scenario']:<48} {entry['task_seconds']:>8} {_blank(entry.get('api_calls')):>7} "
              f"{entry['peak_rss_mb']:>7} {_blank(entry.get('theoretical_min_seconds')):>7} {_blank(ratio):>6}")
    for entry in rows:
        if entry.get("calls_by_operation"):
            print(f"\n{entry['scenario']}: {entry['counts']}\n  {entry['calls_by_operation']}")


def _blank(value):
    return "" if value is None else str(value)


if __name__ == "__main__":
    main()
