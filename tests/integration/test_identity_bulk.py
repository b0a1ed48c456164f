"""identitystore_directory and permission_sets (the bulk engines) against the sandbox and the simulator."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from conftest import ANSIBLE_PLAYBOOK
from test_account_assignments import _descendants

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "simulator"))
import aws_simulator  # noqa: E402

DIRECTORY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: directory
      ssoshift.identity_center.identitystore_directory: "{{ args }}"
"""

PERMISSION_SETS = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: sets
      ssoshift.identity_center.permission_sets: "{{ args }}"
"""

MARK = "Managed by ssoshift.identity_center"
INLINE = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "account:*", "Resource": "*"}]}


def _prefix():
    return "b" + uuid.uuid4().hex[:6]


def _users(prefix, count):
    return [{"user_name": f"{prefix}-u{i}", "given_name": "Bulk", "family_name": f"User{i}",
             "email": f"{prefix}-u{i}@example.com"} for i in range(count)]


def _directory(sandbox):
    client, store = sandbox.client("identitystore"), sandbox.state["identity_store_id"]
    users = {u["UserName"]: u["UserId"] for u in client.list_users(IdentityStoreId=store)["Users"]}
    groups = {g["DisplayName"]: g for g in client.list_groups(IdentityStoreId=store)["Groups"]}
    names = {v: k for k, v in users.items()}

    def members(group):
        found = client.list_group_memberships(IdentityStoreId=store, GroupId=groups[group]["GroupId"])
        return sorted(names[m["MemberId"]["UserId"]] for m in found["GroupMemberships"])

    return users, groups, members


def _sets(sandbox):
    client, instance = sandbox.client("sso-admin"), sandbox.state["instance_arn"]
    found = {}
    arns = [arn for page in client.get_paginator("list_permission_sets").paginate(InstanceArn=instance)
            for arn in page["PermissionSets"]]
    for arn in arns:
        found[client.describe_permission_set(InstanceArn=instance, PermissionSetArn=arn)["PermissionSet"]["Name"]] = arn
    return found


def test_directory_check_mode_create_diff_and_no_change(sandbox, run_playbook):
    prefix = _prefix()
    users = _users(prefix, 5)
    groups = [{"name": f"{prefix}-admins", "members": [f"{prefix}-u0", f"{prefix}-u1"]},
              {"name": f"{prefix}-devs", "description": "Developers", "members": [f"{prefix}-u2"]}]
    args = {"users": users, "groups": groups}

    with sandbox.record() as recording:
        planned = run_playbook(DIRECTORY, {"args": args}, check=True, diff=True).task("directory")
    assert recording.writes == []
    assert planned["changed"] is True and planned["users"]["created"] == [u["user_name"] for u in users]
    assert planned["counts"]["members_added"] == 3
    assert planned["diff"]["after"]["users"][f"{prefix}-u0"]["email"] == f"{prefix}-u0@example.com"
    assert planned["diff"]["after"]["groups"][f"{prefix}-admins"]["members"] == [f"{prefix}-u0", f"{prefix}-u1"]
    assert f"{prefix}-u0" not in _directory(sandbox)[0]

    with sandbox.record() as recording:
        created = run_playbook(DIRECTORY, {"args": args}).task("directory")
    assert created["changed"] is True and created["adopted"] == []
    # Safe order: every user before any group, every group before any membership.
    order = list(recording.writes)
    assert order.index("CreateGroup") > max(i for i, op in enumerate(order) if op == "CreateUser")
    assert order.index("CreateGroupMembership") > max(i for i, op in enumerate(order) if op == "CreateGroup")
    found, groups_found, members = _directory(sandbox)
    assert {u["user_name"] for u in users} <= set(found)
    assert members(f"{prefix}-admins") == [f"{prefix}-u0", f"{prefix}-u1"]
    # The collection's mark: the whole description when the model gives none, a suffix otherwise.
    assert groups_found[f"{prefix}-admins"]["Description"] == MARK
    assert groups_found[f"{prefix}-devs"]["Description"] == "Developers (managed by ssoshift.identity_center)"

    with sandbox.record() as recording:
        again = run_playbook(DIRECTORY, {"args": args}, diff=True).task("directory")
    assert again["changed"] is False and recording.writes == []
    assert again["ownership"] == {f"{prefix}-admins": "managed", f"{prefix}-devs": "managed"}
    calls = again["api_calls"]
    # Reads that grow linearly: one page each of users and groups, one membership read per managed group.
    assert calls["ListGroupMemberships"] == 2 and calls["ListInstances"] == 1
    assert "GetUserId" not in calls and "DescribeUser" not in calls and "GetGroupId" not in calls


def test_purge_members_removes_only_after_additions(sandbox, run_playbook):
    prefix = _prefix()
    users = _users(prefix, 3)
    group = {"name": f"{prefix}-g", "members": [f"{prefix}-u0", f"{prefix}-u1"]}
    run_playbook(DIRECTORY, {"args": {"users": users[:2], "groups": [group]}})
    changed = dict(group, members=[f"{prefix}-u1", f"{prefix}-u2"])

    kept = run_playbook(DIRECTORY, {"args": {"users": users, "groups": [changed]}}).task("directory")
    assert kept["memberships"]["removed"] == []  # purge is off: members the model does not list stay
    with sandbox.record() as recording:
        purged = run_playbook(DIRECTORY, {"args": {"users": users, "groups": [changed], "purge_members": True}},
                              diff=True).task("directory")
    assert purged["memberships"]["removed"] == [{"group": f"{prefix}-g", "user": f"{prefix}-u0"}]
    assert purged["diff"]["before"]["groups"][f"{prefix}-g"]["members"] == [f"{prefix}-u0", f"{prefix}-u1",
                                                                            f"{prefix}-u2"]
    assert purged["diff"]["after"]["groups"][f"{prefix}-g"]["members"] == [f"{prefix}-u1", f"{prefix}-u2"]
    assert recording.writes == ["DeleteGroupMembership"]
    assert _directory(sandbox)[2](f"{prefix}-g") == [f"{prefix}-u1", f"{prefix}-u2"]

    # A group's own purge_members wins over the module's.
    again = dict(changed, members=[f"{prefix}-u2"], purge_members=False)
    result = run_playbook(DIRECTORY, {"args": {"users": users, "groups": [again], "purge_members": True}}).task(
        "directory")
    assert result["changed"] is False


def test_a_group_the_collection_did_not_create_is_adopted_and_said_so(sandbox, run_playbook):
    prefix = _prefix()
    client, store = sandbox.client("identitystore"), sandbox.state["identity_store_id"]
    client.create_group(IdentityStoreId=store, DisplayName=f"{prefix}-legacy", Description="Made by hand")
    users = _users(prefix, 1)
    args = {"users": users, "groups": [{"name": f"{prefix}-legacy", "description": "Made by hand",
                                        "members": [f"{prefix}-u0"]},
                                       {"name": f"{prefix}-new", "members": [f"{prefix}-u0"]}]}
    first = run_playbook(DIRECTORY, {"args": args}, diff=True).task("directory")
    assert first["adopted"] == [f"{prefix}-legacy"] and first["groups"]["adopted"] == [f"{prefix}-legacy"]
    assert first["ownership"] == {f"{prefix}-legacy": "adopted", f"{prefix}-new": "created"}
    assert any(f"group:{prefix}-legacy" in line for line in first["diff"]["after"]["adopted"])
    second = run_playbook(DIRECTORY, {"args": args}).task("directory")
    # Still the collection's to report: nothing on the group says the collection owns it (docs: the limit).
    assert second["changed"] is False and second["adopted"] == [f"{prefix}-legacy"]
    assert second["ownership"][f"{prefix}-new"] == "managed"


def test_scim_mode_fails_on_a_missing_principal_before_any_write(sandbox, run_playbook):
    prefix = _prefix()
    client, store = sandbox.client("identitystore"), sandbox.state["identity_store_id"]
    client.create_user(IdentityStoreId=store, UserName=f"{prefix}-scim", DisplayName="S C",
                       Name={"GivenName": "S", "FamilyName": "C"})
    args = {"manage_directory": False, "users": [{"user_name": f"{prefix}-scim"}, {"user_name": f"{prefix}-gone"}],
            "groups": [{"name": f"{prefix}-nogroup", "members": [f"{prefix}-scim", f"{prefix}-ghost"]}]}
    with sandbox.record() as recording:
        result = run_playbook(DIRECTORY, {"args": args}).task("directory")
    assert result["failed"] is True and recording.writes == []
    for expected in (f"users[1] ({prefix}-gone): user '{prefix}-gone' is not in the identity store",
                     f"groups[0] ({prefix}-nogroup): group '{prefix}-nogroup' is not in the identity store",
                     f"groups[0] ({prefix}-nogroup).members: user '{prefix}-ghost' is not in the identity store"):
        assert expected in result["msg"]
    assert f"user '{prefix}-scim'" not in result["msg"]


def test_permission_sets_create_update_no_change_and_provision_once(sandbox, run_playbook):
    prefix = _prefix().capitalize()
    specs = [{"name": f"{prefix}A", "managed_policies": ["ReadOnlyAccess"], "session_duration": "PT2H",
              "inline_policy": INLINE},
             {"name": f"{prefix}B", "managed_policies": ["ViewOnlyAccess"],
              "customer_managed_policies": [{"name": "extras", "path": "/ssoshift/"}]},
             {"name": f"{prefix}C", "description": "Third"}]
    with sandbox.record() as recording:
        planned = run_playbook(PERMISSION_SETS, {"args": {"permission_sets": specs}}, check=True).task("sets")
    assert recording.writes == [] and planned["created"] == [s["name"] for s in specs]
    created = run_playbook(PERMISSION_SETS, {"args": {"permission_sets": specs}}).task("sets")
    assert created["counts"]["created"] == 3 and created["provisioning"] == []
    arns = _sets(sandbox)
    # A then provisioned to the management account (an assignment), B and C nowhere.
    identitystore = sandbox.client("identitystore")
    user_id = identitystore.create_user(IdentityStoreId=sandbox.state["identity_store_id"], UserName=f"{prefix}-ps",
                                        DisplayName="P S", Name={"GivenName": "P", "FamilyName": "S"})["UserId"]
    sandbox.client("sso-admin").create_account_assignment(
        InstanceArn=sandbox.state["instance_arn"], TargetId=sandbox.accounts["management"], TargetType="AWS_ACCOUNT",
        PermissionSetArn=arns[f"{prefix}A"], PrincipalType="USER", PrincipalId=user_id)

    with sandbox.record() as recording:
        same = run_playbook(PERMISSION_SETS, {"args": {"permission_sets": specs}}).task("sets")
    assert same["changed"] is False and recording.writes == []
    calls = same["api_calls"]
    assert calls["DescribePermissionSet"] == len(arns) and calls["ListPermissionSets"] == 1
    # Policies are read only for the sets that manage them; the ownership tag for each set (moto lacks the API).
    assert calls["ListManagedPoliciesInPermissionSet"] == 2 and calls["GetInlinePolicyForPermissionSet"] == 1
    assert calls["ListCustomerManagedPolicyReferencesInPermissionSet"] == 1
    assert same["unsupported_reads"] == ["ListTagsForResource"]
    assert {p["ownership"] for p in same["permission_sets"]} == {"unknown"}

    updated_specs = [dict(specs[0], managed_policies=["ViewOnlyAccess"], session_duration="PT3H"),
                     dict(specs[1], managed_policies=["ReadOnlyAccess"]), specs[2]]
    with sandbox.record() as recording:
        would = run_playbook(PERMISSION_SETS, {"args": {"permission_sets": updated_specs}}, check=True,
                             diff=True).task("sets")
    assert recording.writes == []
    assert would["diff"]["before"][f"{prefix}A"]["session_duration"] == "PT2H"
    assert would["diff"]["after"][f"{prefix}A"]["session_duration"] == "PT3H"
    assert would["provisioning"] == [{"name": f"{prefix}A", "status": "WOULD_PROVISION",
                                      "accounts": [sandbox.accounts["management"]]}]
    with sandbox.record() as recording:
        updated = run_playbook(PERMISSION_SETS, {"args": {"permission_sets": updated_specs}}).task("sets")
    assert updated["updated"] == [f"{prefix}A", f"{prefix}B"]
    assert recording.operations.count("ProvisionPermissionSet") == 1  # A only: B is provisioned nowhere
    assert [(p["name"], p["status"]) for p in updated["provisioning"]] == [(f"{prefix}A", "SUCCEEDED")]
    # Writes of a set come before its provisioning.
    assert recording.writes.index("ProvisionPermissionSet") == len(recording.writes) - 1
    client = sandbox.client("sso-admin")
    described = client.describe_permission_set(InstanceArn=sandbox.state["instance_arn"],
                                               PermissionSetArn=arns[f"{prefix}A"])["PermissionSet"]
    assert described["SessionDuration"] == "PT3H"
    again = run_playbook(PERMISSION_SETS, {"args": {"permission_sets": updated_specs}}).task("sets")
    assert again["changed"] is False


def test_a_change_an_interrupted_run_did_not_provision_is_provisioned_by_the_next_run(sandbox, run_playbook):
    prefix = _prefix().capitalize()
    spec = {"name": f"{prefix}P", "managed_policies": ["ReadOnlyAccess"]}
    run_playbook(PERMISSION_SETS, {"args": {"permission_sets": [spec]}})
    arn = _sets(sandbox)[f"{prefix}P"]
    user_id = sandbox.client("identitystore").create_user(
        IdentityStoreId=sandbox.state["identity_store_id"], UserName=f"{prefix}-pp", DisplayName="P P",
        Name={"GivenName": "P", "FamilyName": "P"})["UserId"]
    sandbox.client("sso-admin").create_account_assignment(
        InstanceArn=sandbox.state["instance_arn"], TargetId=sandbox.accounts["dev"], TargetType="AWS_ACCOUNT",
        PermissionSetArn=arn, PrincipalType="USER", PrincipalId=user_id)
    changed = dict(spec, managed_policies=["ViewOnlyAccess"])
    # The run that changed it stopped before provisioning (provision: false stands for a killed run).
    stopped = run_playbook(PERMISSION_SETS, {"args": {"permission_sets": [changed], "provision": False}}).task("sets")
    assert stopped["updated"] == [f"{prefix}P"] and stopped["provisioning"] == []
    with sandbox.record() as recording:
        resumed = run_playbook(PERMISSION_SETS, {"args": {"permission_sets": [changed]}}).task("sets")
    assert resumed["updated"] == [] and recording.writes == ["ProvisionPermissionSet"]
    assert resumed["provisioning"][0]["accounts"] == [sandbox.accounts["dev"]]
    settled = run_playbook(PERMISSION_SETS, {"args": {"permission_sets": [changed]}}).task("sets")
    assert settled["changed"] is False


@pytest.fixture
def simulator(sandbox, tmp_path):
    started = []

    def start(**config):
        directory = str(tmp_path / f"simulator-{len(started)}")
        state = aws_simulator.start(directory, sandbox.endpoint, **config)
        started.append(directory)
        return state["endpoint"]

    yield start
    for directory in started:
        aws_simulator.stop(directory)


def test_faults_throttling_conflicts_5xx_and_resets_still_converge(sandbox, run_playbook, simulator):
    prefix = _prefix()
    users = _users(prefix, 12)
    groups = [{"name": f"{prefix}-g{i}", "members": [u["user_name"] for u in users[i::3]]} for i in range(3)]
    specs = [{"name": f"{prefix.capitalize()}F{i}", "managed_policies": ["ReadOnlyAccess"], "inline_policy": INLINE}
             for i in range(4)]
    endpoint = simulator(tps=10, seed=11, throttle_burst_rate=0.03, conflict_rate=0.05, error_500_rate=0.03,
                         error_503_rate=0.03, reset_rate=0.03)
    env = {"AWS_ENDPOINT_URL": endpoint}
    directory = run_playbook(DIRECTORY, {"args": {"users": users, "groups": groups}}, env=env).task("directory")
    sets = run_playbook(PERMISSION_SETS, {"args": {"permission_sets": specs}}, env=env).task("sets")
    assert directory.get("failed") is not True, directory.get("msg")
    assert sets.get("failed") is not True, sets.get("msg")
    stats = aws_simulator.stats(endpoint)
    assert stats["throttled"] > 0 and len(stats["faults"]) >= 3  # the faults did happen
    found, dummy, members = _directory(sandbox)
    assert {u["user_name"] for u in users} <= set(found)
    for group in groups:
        assert members(group["name"]) == sorted(group["members"])
    assert {s["name"] for s in specs} <= set(_sets(sandbox))
    with sandbox.record() as recording:
        again = run_playbook(DIRECTORY, {"args": {"users": users, "groups": groups}}).task("directory")
        same = run_playbook(PERMISSION_SETS, {"args": {"permission_sets": specs}}).task("sets")
    assert again["changed"] is False and same["changed"] is False and recording.writes == []


def _kill_when(playbook, extra, env, cwd, reached):
    proc = subprocess.Popen([ANSIBLE_PLAYBOOK, str(playbook), "-e", f"@{extra}"], env=env, cwd=str(cwd),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not reached() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    for pid in [proc.pid] + _descendants(proc.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()
    return proc.returncode


def test_killed_runs_resume_in_the_middle_of_the_directory_and_of_the_permission_sets(sandbox, run_playbook,
                                                                                      simulator, tmp_path):
    prefix = _prefix()
    users = _users(prefix, 30)
    groups = [{"name": f"{prefix}-k{i}", "members": [u["user_name"] for u in users[i::2]]} for i in range(2)]
    specs = [{"name": f"{prefix.capitalize()}K{i}", "managed_policies": ["ReadOnlyAccess"], "inline_policy": INLINE}
             for i in range(10)]
    endpoint = simulator(tps=6, seed=5)  # slow enough to be killed half-way

    def calls(operation):
        return aws_simulator.stats(endpoint)["calls"].get(operation, 0)

    env = sandbox.env(AWS_ENDPOINT_URL=endpoint)
    for text, args, operation, count in (
            (DIRECTORY, {"users": users, "groups": groups}, "CreateUser", 10),
            (DIRECTORY, {"users": users, "groups": groups}, "CreateGroupMembership", 5),
            (PERMISSION_SETS, {"permission_sets": specs}, "CreatePermissionSet", 4),
            (PERMISSION_SETS, {"permission_sets": specs}, "AttachManagedPolicyToPermissionSet", 8)):
        playbook, extra = tmp_path / "killed.yml", tmp_path / "killed.json"
        playbook.write_text(text)
        extra.write_text(json.dumps({"args": args}))
        base = calls(operation)
        code = _kill_when(playbook, extra, env, tmp_path, lambda: calls(operation) >= base + count)
        assert code == -signal.SIGKILL, f"the run finished before {count} {operation}"
    # The killed runs left part of each written: the next runs finish the job, exactly.
    directory = run_playbook(DIRECTORY, {"args": {"users": users, "groups": groups}},
                             env={"AWS_ENDPOINT_URL": endpoint}).task("directory")
    sets = run_playbook(PERMISSION_SETS, {"args": {"permission_sets": specs}},
                        env={"AWS_ENDPOINT_URL": endpoint}).task("sets")
    assert directory["changed"] is True and sets["changed"] is True
    assert directory["counts"]["users_created"] < 30  # resumed, not started over
    found, dummy, members = _directory(sandbox)
    assert {u["user_name"] for u in users} <= set(found)
    for group in groups:
        assert members(group["name"]) == sorted(group["members"])  # nothing missing, nothing twice
    names = [name for name in _sets(sandbox) if name.startswith(prefix.capitalize() + "K")]
    assert sorted(names) == sorted(s["name"] for s in specs)  # no set created twice
    client = sandbox.client("sso-admin")
    for name in names:
        attached = client.list_managed_policies_in_permission_set(
            InstanceArn=sandbox.state["instance_arn"], PermissionSetArn=_sets(sandbox)[name])
        assert [p["Arn"] for p in attached["AttachedManagedPolicies"]] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    with sandbox.record() as recording:
        run_playbook(DIRECTORY, {"args": {"users": users, "groups": groups}})
        run_playbook(PERMISSION_SETS, {"args": {"permission_sets": specs}})
    assert recording.writes == []
