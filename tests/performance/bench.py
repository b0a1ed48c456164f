"""Benchmarks: `make bench` (not part of `make test`): the account-assignment scenario and the identity scenario.

`--scenario assignments|identity|all` (default all). The identity scenario is described in identity_main().


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
    """Peak resident memory (VmHWM) of the module process(es) of the given modules."""

    def __init__(self, modules=(b"AnsiballZ_account_assignments",)):
        super().__init__(daemon=True)
        self.peak_kb = 0
        self.running = True
        self.modules = modules

    def run(self):
        while self.running:
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as handle:
                        command = handle.read()
                        if not any(module in command for module in self.modules):
                            continue
                    with open(f"/proc/{pid}/status") as handle:
                        for line in handle:
                            if line.startswith("VmHWM:"):
                                self.peak_kb = max(self.peak_kb, int(line.split()[1]))
                except OSError:
                    continue
            time.sleep(0.05)


def run_playbook(text, extra, endpoint, workdir, modules=(b"AnsiballZ_account_assignments",)):
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
    sampler = RssSampler(modules)
    sampler.start()
    started = time.monotonic()
    completed = subprocess.run([ANSIBLE_PLAYBOOK, playbook, "-e", f"@{extra_file}"], capture_output=True, text=True,
                               env=env, cwd=workdir, check=False)
    wall = time.monotonic() - started
    sampler.running = False
    sampler.join()
    report = json.loads(completed.stdout)
    tasks = report["plays"][0]["tasks"]
    for task in tasks:
        if completed.returncode != 0 and task["hosts"]["localhost"].get("failed"):
            raise RuntimeError(f"playbook failed: {task['hosts']['localhost'].get('msg')}")
    if completed.returncode != 0:
        raise RuntimeError(f"playbook failed: {completed.stderr[-2000:]}")
    per_task = {t["task"]["name"]: {"seconds": _seconds(t["task"]["duration"]["end"]) - _seconds(
        t["task"]["duration"]["start"]), "result": t["hosts"]["localhost"]} for t in tasks}
    task = tasks[0]
    duration = task["task"]["duration"]
    task_seconds = _seconds(duration["end"]) - _seconds(duration["start"])
    return {"wall": wall, "task": task_seconds, "result": task["hosts"]["localhost"], "tasks": per_task,
            "peak_rss_mb": sampler.peak_kb / 1024}


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
    parser.add_argument("--scenario", choices=["assignments", "identity", "all"], default="all")
    args = parser.parse_args()
    figures = {}
    if args.scenario in ("identity", "all"):
        figures["identity"] = identity_main()
    if args.scenario in ("assignments", "all"):
        figures["assignments"] = assignments_main(args)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(figures, handle, indent=2)


def assignments_main(args):
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

    print()
    print(f"{'scenario':<48} {'task s':>8} {'calls':>7} {'RSS MB':>7} {'min s':>7} {'ratio':>6}")
    for entry in rows:
        ratio = entry.get("ratio_to_minimum", entry.get("speed_up_vs_per_item"))
        print(f"{entry['scenario']:<48} {entry['task_seconds']:>8} {_blank(entry.get('api_calls')):>7} "
              f"{entry['peak_rss_mb']:>7} {_blank(entry.get('theoretical_min_seconds')):>7} {_blank(ratio):>6}")
    for entry in rows:
        if entry.get("calls_by_operation"):
            print(f"\n{entry['scenario']}: {entry['counts']}\n  {entry['calls_by_operation']}")
    return {"simulator": SIMULATOR, "rows": rows}


# --------------------------------------------------------------------------- identity scenario

IDENTITY_SIMULATOR = {"tps": 100, "max_outstanding": 10, "async_delay": 0.2, "latency": 0.005}
IDENTITY_SIZES = {"users": 1000, "groups": 200, "members": 10, "permission_sets": 100}
IDENTITY_MODULES = (b"AnsiballZ_identitystore_directory", b"AnsiballZ_permission_sets")

IDENTITY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: directory
      ssoshift.identity_center.identitystore_directory:
        users: "{{ model.users }}"
        groups: "{{ model.groups }}"
        purge_members: "{{ purge | default(false) }}"
        max_requests_per_second: "{{ rps }}"
    - name: permission sets
      ssoshift.identity_center.permission_sets:
        permission_sets: "{{ model.permission_sets }}"
        max_requests_per_second: "{{ rps }}"
"""

INLINE_DENY = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": ["account:*"], "Resource": "*"}]}
MANAGED = ["ReadOnlyAccess", "ViewOnlyAccess", "AdministratorAccess", "PowerUserAccess", "SecurityAudit"]


def identity_model(sizes, boundaries, version=0):
    """users, groups of `members` each, and permission sets: every one with a managed policy, half with an inline
    policy, a quarter with a customer-managed reference, a quarter with a boundary (when the endpoint has the API)."""
    users = [{"user_name": f"bench-user-{i:04d}", "given_name": "Bench", "family_name": f"User{i}",
              "email": f"bench-user-{i:04d}@example.com"} for i in range(sizes["users"])]
    groups = [{"name": f"bench-team-{g:03d}",
               "members": [users[(g * 5 + k) % sizes["users"]]["user_name"] for k in range(sizes["members"])]}
              for g in range(sizes["groups"])]
    sets = []
    for i in range(sizes["permission_sets"]):
        entry = {"name": f"BenchIdentity{i:03d}", "session_duration": "PT4H",
                 "managed_policies": [MANAGED[(i + version) % len(MANAGED)]]}
        if i % 2 == 0:
            entry["inline_policy"] = INLINE_DENY
        if i % 4 == 1:
            entry["customer_managed_policies"] = [{"name": f"bench-extra-{i % 7}", "path": "/bench/"}]
        if i % 4 == 3 and boundaries:
            entry["permissions_boundary"] = {"managed_policy_arn": "PowerUserAccess"}
        sets.append(entry)
    return {"users": users, "groups": groups, "permission_sets": sets}


def changed_model(model, sizes):
    """10 %: 10 % new users each added to a group, 10 % of the memberships moved (purge), 10 % of the sets changed."""
    changed = json.loads(json.dumps(model))
    extra = [{"user_name": f"bench-new-{i:04d}", "given_name": "New", "family_name": f"User{i}",
              "email": f"bench-new-{i:04d}@example.com"} for i in range(sizes["users"] // 10)]
    changed["users"].extend(extra)
    for g, group in enumerate(changed["groups"]):
        if g % 10 == 0:  # a member of one group in ten replaced by another user
            group["members"][0] = extra[g // 10]["user_name"]
        elif g % 10 == 1:
            group["members"].append(extra[(g // 10 + 7) % len(extra)]["user_name"])
    for i, entry in enumerate(changed["permission_sets"]):
        if i % 10 == 0:
            entry["managed_policies"] = [MANAGED[(i + 1) % len(MANAGED)]]
            entry["session_duration"] = "PT8H"
    return changed


def identity_minimum(calls, config, phases):
    """Fastest the simulator allows for these calls: its token bucket is per operation (tps each), so within a
    phase operations of different kinds run side by side and the slowest kind bounds the phase; phases follow
    each other (users, groups, memberships; the sets' reads, then their writes). Latency adds one round trip per
    phase."""
    total = 0.0
    for operations in phases:
        counts = [calls.get(op, 0) for op in operations]
        if any(counts):
            total += max(counts) / config["tps"] + config["latency"]
    return total


DIRECTORY_PHASES = [("ListUsers", "ListGroups", "ListInstances"), ("ListGroupMemberships",), ("CreateUser",),
                    ("UpdateUser",), ("CreateGroup",), ("UpdateGroup",), ("CreateGroupMembership",),
                    ("DeleteGroupMembership",)]
SET_PHASES = [("ListInstances", "ListPermissionSets"), ("DescribePermissionSet",),
              ("ListManagedPoliciesInPermissionSet", "GetInlinePolicyForPermissionSet",
               "ListCustomerManagedPolicyReferencesInPermissionSet", "GetPermissionsBoundaryForPermissionSet",
               "ListTagsForResource", "ListAccountsForProvisionedPermissionSet"),
              ("CreatePermissionSet", "UpdatePermissionSet"),
              ("AttachManagedPolicyToPermissionSet", "DetachManagedPolicyFromPermissionSet",
               "PutInlinePolicyToPermissionSet", "AttachCustomerManagedPolicyReferenceToPermissionSet",
               "PutPermissionsBoundaryToPermissionSet", "TagResource"),
              ("ProvisionPermissionSet",)]


def identity_row(name, run, simulated=False):
    directory = run["tasks"]["directory"]
    sets = run["tasks"]["permission sets"]
    calls = {}
    for part in (directory, sets):
        for op, count in part["result"].get("api_calls", {}).items():
            if op != "total":
                calls[op] = calls.get(op, 0) + count
    seconds = directory["seconds"] + sets["seconds"]
    entry = {"scenario": name, "task_seconds": round(seconds, 2), "wall_seconds": round(run["wall"], 2),
             "directory_seconds": round(directory["seconds"], 2), "permission_sets_seconds": round(sets["seconds"], 2),
             "api_calls": sum(calls.values()), "peak_rss_mb": round(run["peak_rss_mb"], 1),
             "changed": [directory["result"]["changed"], sets["result"]["changed"]],
             "counts": {"directory": directory["result"].get("counts"),
                        "permission_sets": sets["result"].get("counts")},
             "calls_by_operation": dict(sorted(calls.items()))}
    if simulated:
        minimum = (identity_minimum(directory["result"]["api_calls"], IDENTITY_SIMULATOR, DIRECTORY_PHASES)
                   + identity_minimum(sets["result"]["api_calls"], IDENTITY_SIMULATOR, SET_PHASES))
        entry["theoretical_min_seconds"] = round(minimum, 2)
        entry["ratio_to_minimum"] = round(seconds / minimum, 2) if minimum else None
    return entry


def identity_budget(sizes):
    """The issue's no-change budget: 1 + users/100 + groups/100 + groups + 7 x permission sets + 10."""
    return 1 + sizes["users"] // 100 + sizes["groups"] // 100 + sizes["groups"] + 7 * sizes["permission_sets"] + 10


def identity_main():
    """Identity scenario: 1,000 users, 200 groups of 10 members, 100 permission sets (managed policies, inline
    policies, customer-managed references and, where the sandbox has the API, boundaries), through the
    identitystore_directory and permission_sets modules:

      cold      first converge through the simulator
      noop      re-run on plain moto (at the simulator's rate, and at AWS's published 20 per second) and through
                the simulator; changed=0 and zero writes are checked
      change    10 % change through the simulator (new users, moved members with purge, changed sets)
    """
    workdir = tempfile.mkdtemp(prefix="ssoshift-bench-identity-")
    box = sandbox_tool.start(os.path.join(workdir, "sandbox"))
    sim_dir = os.path.join(workdir, "simulator")
    rows, notes = [], []
    try:
        probe = sandbox_tool._clients(box["endpoint"])("sso-admin")
        instance = probe.list_instances()["Instances"][0]["InstanceArn"]
        arn = probe.create_permission_set(InstanceArn=instance, Name="BenchProbe")["PermissionSet"]["PermissionSetArn"]
        try:
            probe.get_permissions_boundary_for_permission_set(InstanceArn=instance, PermissionSetArn=arn)
            boundaries = True
        except Exception as error:  # pylint: disable=broad-except
            boundaries = "ResourceNotFound" in type(error).__name__ or "ResourceNotFound" in str(error)
        probe.delete_permission_set(InstanceArn=instance, PermissionSetArn=arn)
        if not boundaries:
            notes.append("permissions boundaries left out: the sandbox lacks GetPermissionsBoundaryForPermissionSet")
        model = identity_model(IDENTITY_SIZES, boundaries)
        simulator = aws_simulator.start(sim_dir, box["endpoint"], **IDENTITY_SIMULATOR)["endpoint"]
        rps = IDENTITY_SIMULATOR["tps"]

        print("identity: cold converge through the simulator ...", flush=True)
        cold = run_playbook(IDENTITY, {"model": model, "rps": rps}, simulator, workdir, IDENTITY_MODULES)
        rows.append(identity_row("identity cold converge (simulator)", cold, simulated=True))

        print("identity: no-change re-runs ...", flush=True)
        for name, endpoint, rate in (("identity no-change (plain moto, limiter at 100/s)", box["endpoint"], rps),
                                     ("identity no-change (plain moto, AWS's 20/s)", box["endpoint"], 20),
                                     ("identity no-change (simulator)", simulator, rps)):
            sandbox_tool.start_recording(box["endpoint"])
            run = run_playbook(IDENTITY, {"model": model, "rps": rate}, endpoint, workdir, IDENTITY_MODULES)
            writes = sandbox_tool.write_operations(sandbox_tool.stop_recording(box["endpoint"]))
            rows.append(identity_row(name, run, simulated=endpoint == simulator))
            rows[-1]["writes_recorded"] = len(writes)
            rows[-1]["budget"] = identity_budget(IDENTITY_SIZES)

        print("identity: 10 % change through the simulator ...", flush=True)
        change = run_playbook(IDENTITY, {"model": changed_model(model, IDENTITY_SIZES), "rps": rps, "purge": True},
                              simulator, workdir, IDENTITY_MODULES)
        rows.append(identity_row("identity 10 % change (simulator, purge)", change, simulated=True))
    finally:
        aws_simulator.stop(sim_dir)
        sandbox_tool.stop(os.path.join(workdir, "sandbox"))
    print()
    print(f"{'scenario':<52} {'task s':>7} {'calls':>6} {'writes':>6} {'RSS MB':>7} {'min s':>7} {'ratio':>6}")
    for entry in rows:
        print(f"{entry['scenario']:<52} {entry['task_seconds']:>7} {entry['api_calls']:>6} "
              f"{_blank(entry.get('writes_recorded')):>6} {entry['peak_rss_mb']:>7} "
              f"{_blank(entry.get('theoretical_min_seconds')):>7} {_blank(entry.get('ratio_to_minimum')):>6}")
    for entry in rows:
        print(f"\n{entry['scenario']}: {entry['counts']}\n  {entry['calls_by_operation']}")
    for note in notes:
        print(f"note: {note}")
    return {"simulator": IDENTITY_SIMULATOR, "sizes": IDENTITY_SIZES, "budget": identity_budget(IDENTITY_SIZES),
            "rows": rows, "notes": notes}


def _blank(value):
    return "" if value is None else str(value)


if __name__ == "__main__":
    main()
