"""account_assignments and account_assignments_info against the sandbox (and the simulator)."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from conftest import ANSIBLE_PLAYBOOK

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "simulator"))
import aws_simulator  # noqa: E402

ASSIGN = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: assign
      ssoshift.identity_center.account_assignments: "{{ args }}"
"""


class World:
    """Groups and permission sets of one test, with unique names."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.tag = uuid.uuid4().hex[:6]
        self.instance = sandbox.state["instance_arn"]
        self.store = sandbox.state["identity_store_id"]
        self.sso = sandbox.client("sso-admin")
        self.ids = sandbox.client("identitystore")

    def group(self, name):
        full = f"{name}-{self.tag}"
        return full, self.ids.create_group(IdentityStoreId=self.store, DisplayName=full)["GroupId"]

    def permission_set(self, name):
        full = f"{name}-{self.tag}"
        return full, self.sso.create_permission_set(InstanceArn=self.instance, Name=full)["PermissionSet"][
            "PermissionSetArn"]

    def assignments_of(self, principal_id, principal_type="GROUP"):
        found = self.sso.list_account_assignments_for_principal(
            InstanceArn=self.instance, PrincipalId=principal_id, PrincipalType=principal_type)["AccountAssignments"]
        return sorted((a["AccountId"], a["PermissionSetArn"]) for a in found)

    def assign(self, account_id, arn, principal_id, principal_type="GROUP"):
        self.sso.create_account_assignment(InstanceArn=self.instance, TargetId=account_id, TargetType="AWS_ACCOUNT",
                                           PermissionSetArn=arn, PrincipalType=principal_type,
                                           PrincipalId=principal_id)


@pytest.fixture
def world(sandbox):
    return World(sandbox)


def _assign(run_playbook, check=False, diff=False, env=None, **args):
    return run_playbook(ASSIGN, {"args": args}, check=check, diff=diff, env=env).task("assign")


def test_ou_organization_and_explicit_targets(sandbox, world, run_playbook):
    accounts = sandbox.accounts
    admins, admins_id = world.group("admins")
    devs, devs_id = world.group("devs")
    admin_ps, admin_arn = world.permission_set("Admin")
    dev_ps, dev_arn = world.permission_set("Dev")
    read_ps, read_arn = world.permission_set("Read")
    spec = [
        {"group": admins, "permission_sets": [admin_ps], "targets": {"accounts": ["management", "prod"]}},
        {"group": devs, "permission_sets": [dev_ps], "targets": {"ous": ["Workloads/NonProd"]}},
        {"group": devs, "permission_sets": [read_arn],  # an ARN works as well as a name
         "targets": {"organization": True, "exclude_accounts": ["staging"]}},
        {"principal_id": admins_id, "principal_type": "GROUP", "permission_sets": [read_ps],
         "targets": {"ous": ["Workloads"], "include_management_account": True, "recursive": True}},
    ]
    with sandbox.record() as recording:
        planned = _assign(run_playbook, check=True, diff=True, assignments=spec)
    assert recording.writes == []
    assert "counts" in planned, planned.get("msg")
    assert planned["counts"] == {"created": 9, "deleted": 0, "unchanged": 0, "failed": 0}
    assert sorted(planned["diff"]["after"]) == ["dev", "master", "prod", "staging"]
    assert f"group:{devs} -> {dev_ps}" in planned["diff"]["after"]["dev"]

    applied = _assign(run_playbook, assignments=spec)
    assert "counts" in applied, applied.get("msg")
    assert applied["counts"]["created"] == 9 and applied["strategy"] == "principal"
    assert {c["status"] for c in applied["created"]} == {"SUCCEEDED"}
    assert world.assignments_of(admins_id) == sorted([
        (accounts["management"], admin_arn), (accounts["prod"], admin_arn),
        (accounts["dev"], read_arn), (accounts["staging"], read_arn), (accounts["prod"], read_arn)])
    # organization targets leave the management account out unless asked; staging was excluded
    assert world.assignments_of(devs_id) == sorted([
        (accounts["dev"], dev_arn), (accounts["staging"], dev_arn),
        (accounts["dev"], read_arn), (accounts["prod"], read_arn)])

    with sandbox.record() as recording:
        again = _assign(run_playbook, assignments=spec)
    assert again["changed"] is False and again["counts"]["unchanged"] == 9
    assert recording.writes == []
    assert again["api_calls"]["ListAccountAssignmentsForPrincipal"] == 2
    # From the management account (the instance's owner) the delegated administrator's check (is a set provisioned to
    # the management account?) costs nothing, though AdministratorAccess here is provisioned there.
    assert "ListAccountsForProvisionedPermissionSet" not in applied["api_calls"]
    assert "ListAccountsForProvisionedPermissionSet" not in again["api_calls"]


def test_purge_only_touches_the_permission_sets_it_names(sandbox, world, run_playbook):
    accounts = sandbox.accounts
    team, team_id = world.group("team")
    other, other_id = world.group("other")
    managed_ps, managed_arn = world.permission_set("Managed")
    foreign_ps, foreign_arn = world.permission_set("Foreign")
    spec = [{"group": team, "permission_sets": [managed_ps], "targets": {"accounts": ["dev"]}}]
    _assign(run_playbook, assignments=spec)
    # Drift: another principal on the managed set, and an assignment of a set this call does not name.
    world.assign(accounts["prod"], managed_arn, other_id)
    world.assign(accounts["prod"], foreign_arn, team_id)

    kept = _assign(run_playbook, assignments=spec)
    assert kept["changed"] is False  # without purge, extra assignments stay

    purged = _assign(run_playbook, assignments=spec, purge=True)
    assert purged["strategy"] == "account"
    assert [(d["principal"], d["permission_set"], d["account_name"]) for d in purged["deleted"]] == [
        (f"group:{other}", managed_ps, "prod")]
    assert world.assignments_of(other_id) == []
    assert world.assignments_of(team_id) == sorted([(accounts["dev"], managed_arn), (accounts["prod"], foreign_arn)])


def test_absent_removes_exactly_the_listed_assignments(sandbox, world, run_playbook):
    group, group_id = world.group("leavers")
    ps, arn = world.permission_set("Leave")
    spec = [{"group": group, "permission_sets": [ps], "targets": {"accounts": ["dev", "staging"]}}]
    _assign(run_playbook, assignments=spec)
    removed = _assign(run_playbook, assignments=[dict(spec[0], targets={"accounts": ["dev"]})], state="absent")
    assert removed["counts"]["deleted"] == 1
    assert world.assignments_of(group_id) == [(sandbox.accounts["staging"], arn)]


def test_every_unknown_name_is_listed_before_any_write(sandbox, world, run_playbook):
    group, dummy = world.group("real")
    spec = [
        {"group": "no-such-group", "permission_sets": ["NoSuchSet"], "targets": {"ous": ["Workloads/Nope"]}},
        {"user": "no-such-user", "permission_sets": [], "targets": {"accounts": ["atlantis"]}},
        {"group": group, "permission_sets": ["NoSuchSet"], "targets": {}},
    ]
    with sandbox.record() as recording:
        result = run_playbook(ASSIGN, {"args": {"assignments": spec}}).task("assign")
    assert recording.writes == []
    assert "assignments[1].permission_sets: at least one permission set name or ARN is needed" in result["msg"]
    assert "assignments[2].targets: give accounts, ous or organization: true" in result["msg"]
    spec[1]["permission_sets"] = ["NoSuchSet"]
    spec[2]["targets"] = {"ous": ["Workloads/Prod"], "exclude_accounts": ["prod"]}
    result = run_playbook(ASSIGN, {"args": {"assignments": spec}}).task("assign")
    for expected in ("assignments[0].group: 'no-such-group' is not in identity store",
                     "assignments[0].permission_sets: no permission set named 'NoSuchSet'",
                     "assignments[0].targets.ous: no organizational unit with path or ID 'Workloads/Nope'",
                     "assignments[1].user: 'no-such-user' is not in identity store",
                     "assignments[1].targets.accounts: no account with ID or name 'atlantis'",
                     "assignments[2].targets: selects no account"):
        assert expected in result["msg"]


def test_info_filters_and_names(sandbox, world, run_playbook):
    group, dummy = world.group("info")
    ps, dummy = world.permission_set("Info")
    _assign(run_playbook, assignments=[{"group": group, "permission_sets": [ps],
                                        "targets": {"accounts": ["dev", "prod"]}}])
    run = run_playbook("""
    - hosts: localhost
      gather_facts: false
      tasks:
        - name: by-group
          ssoshift.identity_center.account_assignments_info:
            groups: ["{{ group }}"]
        - name: by-ou
          ssoshift.identity_center.account_assignments_info:
            ous: [Workloads/Prod]
            permission_sets: ["{{ ps }}"]
    """, {"group": group, "ps": ps})
    by_group = run.task("by-group")
    assert by_group["strategy"] == "principal"
    assert [(a["account_name"], a["permission_set"], a["principal"]) for a in by_group["assignments"]] == [
        ("dev", ps, f"group:{group}"), ("prod", ps, f"group:{group}")]
    by_ou = run.task("by-ou")
    assert by_ou["strategy"] == "account"
    assert [(a["account_name"], a["principal"]) for a in by_ou["assignments"]] == [("prod", f"group:{group}")]


def _descendants(root):
    """PIDs of every process below `root` (the module runs in a session of its own)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parents[int(entry)] = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, frontier = [], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        found.extend(children)
        frontier = children
    return found


@pytest.fixture
def simulator(sandbox, tmp_path):
    started = []

    def start(**config):
        state = aws_simulator.start(str(tmp_path / f"simulator-{len(started)}"), sandbox.endpoint, **config)
        started.append(str(tmp_path / f"simulator-{len(started)}"))
        return state["endpoint"]

    yield start
    for directory in started:
        aws_simulator.stop(directory)


def _many(world, groups=4, sets=2):
    names = [world.group(f"bulk{i}") for i in range(groups)]
    permission_sets = [world.permission_set(f"Bulk{i}") for i in range(sets)]
    spec = [{"group": name, "permission_sets": [p for p, dummy in permission_sets],
             "targets": {"organization": True, "include_management_account": True}} for name, dummy in names]
    return spec, names, permission_sets


def test_throttling_faults_and_conflicts_still_converge(world, run_playbook, simulator):
    spec, names, permission_sets = _many(world)  # 4 groups x 2 sets x 4 accounts = 32 assignments
    endpoint = simulator(async_delay=0.3, tps=5, seed=7, throttle_burst_rate=0.03, conflict_rate=0.05,
                         error_500_rate=0.03, error_503_rate=0.03, reset_rate=0.02)
    result = _assign(run_playbook, env={"AWS_ENDPOINT_URL": endpoint}, assignments=spec)
    assert result["counts"] == {"created": 32, "deleted": 0, "unchanged": 0, "failed": 0}, result["failures"]
    stats = aws_simulator.stats(endpoint)
    assert stats["throttled"] > 0 and sum(stats["faults"].values()) > 0  # the faults did happen
    assert stats["peak_outstanding"] <= 10
    for dummy, group_id in names:
        assert len(world.assignments_of(group_id)) == 8


def test_killed_runs_resume_to_exactly_the_desired_state(sandbox, world, run_playbook, simulator, tmp_path):
    spec, names, permission_sets = _many(world, groups=6, sets=2)  # 48 assignments
    endpoint = simulator(async_delay=0.4, tps=8, seed=3)
    playbook = tmp_path / "assign.yml"
    playbook.write_text(ASSIGN)
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"args": {"assignments": spec}}))
    env = sandbox.env(AWS_ENDPOINT_URL=endpoint)

    def calls(operation):
        return aws_simulator.stats(endpoint)["calls"].get(operation, 0)

    # Kill points by progress, not by clock: while reading, then after 8, 20 and 32 creations in all.
    kill_points = [("ListAccountAssignmentsForPrincipal", 1), ("CreateAccountAssignment", 8),
                   ("CreateAccountAssignment", 20), ("CreateAccountAssignment", 32)]
    for operation, count in kill_points:
        proc = subprocess.Popen([ANSIBLE_PLAYBOOK, str(playbook), "-e", f"@{extra}"], env=env, cwd=str(tmp_path),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while calls(operation) < count and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in [proc.pid] + _descendants(proc.pid):  # the playbook, its workers and the module process
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait()
        assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    time.sleep(1.0)  # let operations the killed runs left in flight settle
    final = run_playbook(ASSIGN, {"args": {"assignments": spec}}, env={"AWS_ENDPOINT_URL": endpoint}).task("assign")
    assert final["counts"]["failed"] == 0
    assert final["counts"]["created"] + final["counts"]["unchanged"] == 48
    assert final["counts"]["created"] > 0  # the killed runs had not finished: this run resumed them
    arns = sorted(arn for dummy, arn in permission_sets)
    accounts = sorted(sandbox.accounts.values())
    for dummy, group_id in names:
        held = world.assignments_of(group_id)
        assert held == sorted((a, p) for a in accounts for p in arns)  # nothing missing, nothing twice
    again = run_playbook(ASSIGN, {"args": {"assignments": spec}}).task("assign")
    assert again["changed"] is False
