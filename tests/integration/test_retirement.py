"""Staged retirement of legacy IAM users against a private seeded sandbox: disable, restore,
delete, every interlock refusing with zero writes, backups without secrets, and the role's gate."""

import glob
import json
import os
import stat
import sys

import boto3
import pytest

from conftest import REPO, private_estate

sys.path.insert(0, os.path.join(REPO, "tests", "simulator"))
import aws_simulator  # noqa: E402

RETIRE = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: retire
      ssoshift.identity_center.iam_user_retirement: "{{ args }}"
"""

RESTORE = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: restore
      ssoshift.identity_center.iam_user_restore:
        backup_file: "{{ backup_file }}"
"""


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    yield from private_estate(tmp_path_factory, "retire")


def _args(user, state, backup_dir, **extra):
    return dict({"name": user, "state": state, "replacement_access_verified": True, "backup_dir": str(backup_dir)},
                **extra)


def _make_user(iam, name, password="Tmp-Passw0rd-!x"):
    iam.create_user(UserName=name, Path="/legacy/", Tags=[{"Key": "team", "Value": "ops"}])
    iam.create_login_profile(UserName=name, Password=password)
    iam.add_user_to_group(UserName=name, GroupName="legacy-admins")
    iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}))
    return iam.create_access_key(UserName=name)["AccessKey"]


def _keys(iam, name):
    return {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]}


def _assert_no_secret(paths, secrets):
    assert paths
    for path in paths:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
        text = open(path).read()
        for secret in secrets:
            assert secret not in text, f"a secret is in {path}"


def test_disable_then_restore_gives_back_working_keys(estate, tmp_path):
    box, run = estate
    iam = box.client("iam")
    password = "Tmp-Passw0rd-!x"
    key = _make_user(iam, "ret-disable", password)

    with box.record() as recording:
        planned = run(RETIRE, {"args": _args("ret-disable", "disabled", tmp_path)}, check=True,
                      diff=True).task("retire")
    assert recording.writes == [] and planned["changed"] is True and planned["backup_file"] is None
    assert not os.path.exists(tmp_path) or os.listdir(tmp_path) == []
    assert planned["actions"][0].startswith("tag the user ssoshift:disabled-at=")  # first: a killed run says so
    assert planned["actions"][1:3] == ["remove the console password", f"deactivate access key {key['AccessKeyId']}"]

    disabled = run(RETIRE, {"args": _args("ret-disable", "disabled", tmp_path)}).task("retire")
    assert disabled["changed"] is True
    assert _keys(iam, "ret-disable") == {key["AccessKeyId"]: "Inactive"}
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_login_profile(UserName="ret-disable")
    tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName="ret-disable")["Tags"]}
    assert "ssoshift:disabled-at" in tags and tags["team"] == "ops"
    # Nothing but credentials changed: groups and policies stay for the rollback.
    assert iam.list_attached_user_policies(UserName="ret-disable")["AttachedPolicies"]
    _assert_no_secret([disabled["backup_file"]], [key["SecretAccessKey"], password])
    backup = json.load(open(disabled["backup_file"]))
    assert backup["action"] == "disabled" and backup["footprint"]["inline_policies"]["inline"]["Statement"]
    assert backup["kind"] == "pre-change" and disabled["snapshot_file"] is None

    with box.record() as recording:
        again = run(RETIRE, {"args": _args("ret-disable", "disabled", tmp_path)}).task("retire")
    assert again["changed"] is False and recording.writes == []
    assert len(glob.glob(str(tmp_path / "*.json"))) == 1  # no backup without a change ...
    assert again["backup_file"] == disabled["backup_file"]  # ... and the pre-change one is still named
    audited = run(RETIRE, {"args": {"name": "ret-disable", "backup_dir": str(tmp_path)}}).task("retire")
    assert audited["backup_file"] == disabled["backup_file"] and audited["changed"] is False

    restored = run(RESTORE, {"backup_file": disabled["backup_file"]}).task("restore")
    # Everything a backup can bring back is back; the password cannot be, so the user is not whole: it fails.
    assert restored["failed"] is True and restored["changed"] is True and restored["recreated"] is False
    assert restored["whole"] is False and restored["restored_to"] == disabled["backup_file"]
    assert _keys(iam, "ret-disable") == {key["AccessKeyId"]: "Active"}
    assert "ssoshift:disabled-at" not in {t["Key"] for t in iam.list_user_tags(UserName="ret-disable")["Tags"]}
    # The key works again: a request signed with it is answered as the user.
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=box.endpoint,
                       aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"].endswith(":user/legacy/ret-disable")
    assert [lost["what"] for lost in restored["lost_credentials"]] == ["console password"]
    assert "aws iam create-login-profile --user-name ret-disable" in restored["lost_credentials"][0]["steps"]
    assert "console password: aws iam create-login-profile --user-name ret-disable" in restored["msg"]
    with box.record() as recording:
        repeated = run(RESTORE, {"backup_file": disabled["backup_file"]}).task("restore")
    assert repeated["changed"] is False and recording.writes == [] and repeated["failed"] is True


def test_absent_leaves_no_trace_and_restore_recreates_the_user(estate, tmp_path):
    box, run = estate
    iam = box.client("iam")
    before = run(RETIRE, {"args": {"name": "admin"}}).task("retire")["footprint"]
    serial = before["mfa_devices"][0]["serial_number"]

    run(RETIRE, {"args": _args("admin", "disabled", tmp_path)})
    with box.record() as recording:
        early = run(RETIRE, {"args": _args("admin", "absent", tmp_path)}).task("retire")
    assert early["failed"] is True and recording.writes == []
    assert "quarantine of 7 day(s) ends at" in early["msg"]

    pre_change = run(RETIRE, {"args": {"name": "admin", "backup_dir": str(tmp_path)}}).task("retire")["backup_file"]
    with box.record() as recording:
        gone = run(RETIRE, {"args": _args("admin", "absent", tmp_path, quarantine_days=0)}, diff=True).task("retire")
    assert gone["changed"] is True and recording.writes[-1] == "DeleteUser"
    assert "DeleteVirtualMFADevice" in recording.writes
    # The deletion names the backup written before the disable; its own view of the disabled user is a snapshot.
    assert gone["backup_file"] == pre_change and gone["snapshot_file"].endswith("-snapshot.json")
    snapshot = json.load(open(gone["snapshot_file"]))
    assert snapshot["kind"] == "snapshot" and snapshot["pre_change"]["file"] == os.path.basename(pre_change)
    assert snapshot["pre_change"]["footprint"]["login_profile"] is not None
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName="admin")
    assert serial not in [d["SerialNumber"] for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]]
    assert "admin" not in [u["UserName"] for u in iam.get_group(GroupName="legacy-admins")["Users"]]
    assert gone["unsupported"] == ["ListServiceSpecificCredentials"]  # said, never skipped silently
    absent = run(RETIRE, {"args": _args("admin", "absent", tmp_path, quarantine_days=0)}).task("retire")
    assert absent["changed"] is False and absent["backup_file"] == pre_change  # still named once the user is gone

    restored = run(RESTORE, {"backup_file": gone["backup_file"]}).task("restore")
    assert restored["recreated"] is True and restored["failed"] is True and restored["whole"] is False
    user = iam.get_user(UserName="admin")["User"]
    assert user["Path"] == before["path"]
    assert {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName="admin")["Tags"]} == dict(
        before["tags"], **{"ssoshift:restored-from": before["user_id"]})
    assert [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName="admin")["AttachedPolicies"]] == \
        before["attached_policies"]
    assert iam.list_user_policies(UserName="admin")["PolicyNames"] == list(before["inline_policies"])
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="admin")["Groups"]] == before["groups"]
    lost = [entry["what"] for entry in restored["lost_credentials"]]
    # Everything the user had before the retirement began: the password (gone at the disable), keys, MFA, its ID.
    assert lost == ["console password", *(f"access key {k['access_key_id']}" for k in before["access_keys"]),
                    f"MFA device {serial}", f"user ID {before['user_id']} (a recreated user gets a new ID)"]
    again = run(RESTORE, {"backup_file": gone["backup_file"]}).task("restore")
    assert again["changed"] is False and again["lost_credentials"] == restored["lost_credentials"]
    # The snapshot of the same retirement leads to the same state and the same list.
    from_snapshot = run(RESTORE, {"backup_file": gone["snapshot_file"]}).task("restore")
    assert from_snapshot["changed"] is False and from_snapshot["restored_to"] == pre_change
    assert from_snapshot["lost_credentials"] == restored["lost_credentials"]


def test_restore_refuses_a_backup_of_another_account(estate, tmp_path):
    box, run = estate
    backup = tmp_path / "other.json"
    backup.write_text(json.dumps({"format": 1, "account_id": "999999999999", "footprint": {"user_name": "x"}}))
    with box.record() as recording:
        result = run(RESTORE, {"backup_file": str(backup)}).task("restore")
    assert result["failed"] is True and recording.writes == []
    assert "the backup is of account 999999999999" in result["msg"]


def test_restore_refuses_another_user_of_the_same_name(estate, tmp_path):
    box, run = estate
    iam = box.client("iam")
    iam.create_user(UserName="ret-namesake")
    gone = run(RETIRE, {"args": _args("ret-namesake", "absent", tmp_path, force=True)}).task("retire")
    assert gone["changed"] is True
    iam.create_user(UserName="ret-namesake")  # someone else, later, with the same name
    with box.record() as recording:
        result = run(RESTORE, {"backup_file": gone["backup_file"]}).task("restore")
    assert result["failed"] is True and recording.writes == []
    assert "is not the user of this backup" in result["msg"]


def _used_key(box, iam, name):
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    boto3.client("sts", region_name="us-east-1", endpoint_url=box.endpoint, aws_access_key_id=key["AccessKeyId"],
                 aws_secret_access_key=key["SecretAccessKey"]).get_caller_identity()
    return key


@pytest.mark.parametrize("case", ["caller", "recently_used", "not_verified", "never_disabled", "backup_unwritable"])
def test_each_interlock_refuses_with_zero_writes(estate, tmp_path, case):
    box, run = estate
    iam = box.client("iam")
    name = f"lock-{case.replace('_', '-')}"
    env = None
    args = _args(name, "disabled", tmp_path / "backups")
    if case in ("caller", "recently_used"):
        key = _used_key(box, iam, name)
        args["require_unused_days"] = 30
        if case == "caller":
            env = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
            args["require_unused_days"] = 0  # only the caller interlock applies
        expected = "is the identity running this play" if case == "caller" else "was used 0.0 day(s) ago"
    else:
        iam.create_user(UserName=name)
        iam.create_access_key(UserName=name)
        if case == "not_verified":
            args["replacement_access_verified"] = False
            expected = "replacement_access_verified is not true"
        elif case == "never_disabled":
            args["state"] = "absent"
            expected = "was never disabled by this collection"
        else:
            (tmp_path / "a-file").write_text("")
            args["backup_dir"] = str(tmp_path / "a-file" / "backups")
            expected = "cannot be created"
    with box.record() as recording:
        result = run(RETIRE, {"args": args}, env=env).task("retire")
    assert result["failed"] is True, result
    assert recording.writes == []
    assert expected in result["msg"] and "nothing was changed" in result["msg"]
    assert not os.path.exists(tmp_path / "backups")
    assert all(status == "Active" for status in _keys(iam, name).values())


ROLE = """
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: ssoshift.identity_center.iam_user_retirement
"""


def test_the_role_changes_nothing_until_verified_and_confirmed_then_stages(estate, tmp_path):
    box, run = estate
    iam = box.client("iam")
    users = [{"name": "ci-deployer", "account": "management"}, {"name": "prod-admin", "account": "prod"}]
    base = {"legacy_iam_users": users, "ssoshift_output_dir": str(tmp_path)}

    for gate in ({}, {"verification_passed": True}, {"confirm_portal_sign_in": True}):
        with box.record() as recording:
            held = run(ROLE, dict(base, **gate))
        assert held.stats["failures"] == 0 and recording.writes == [], gate
        message = held.task("Say why the legacy users are only audited")["msg"]
        assert "nothing is disabled or deleted" in message[0]

    go = dict(base, verification_passed=True, confirm_portal_sign_in=True)
    first = run(ROLE, go)
    assert first.stats["failures"] == 0, first.failures
    assert _keys(iam, "ci-deployer") and set(_keys(iam, "ci-deployer").values()) == {"Inactive"}
    prod_iam = box.client("iam", account="prod")
    assert set(_keys(prod_iam, "prod-admin").values()) == {"Inactive"}
    backups = glob.glob(str(tmp_path / "backups" / "*.json"))
    assert sorted(os.path.basename(b).split("-20")[0] for b in backups) == sorted([
        f"{box.accounts['management']}-ci-deployer", f"{box.accounts['prod']}-prod-admin"])

    with box.record() as recording:
        second = run(ROLE, go)
    assert second.stats["changed"] == 0 and recording.writes == []
    waiting = second.task("Show the legacy users and what the retirement did")["msg"]
    assert len(waiting) == 2 and all(", quarantine ends " in line for line in waiting), waiting

    third = run(ROLE, dict(go, iam_user_retirement_quarantine_days=0))
    assert third.stats["failures"] == 0, third.failures
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName="ci-deployer")
    with pytest.raises(prod_iam.exceptions.NoSuchEntityException):
        prod_iam.get_user(UserName="prod-admin")
    _assert_no_secret(glob.glob(str(tmp_path / "backups" / "*.json")) + [str(tmp_path / "legacy-iam-users-audit.json")],
                      ["SecretAccessKey", "testing"])


def test_every_step_survives_a_write_repeated_after_its_answer_was_lost(estate, tmp_path):
    """Through the simulator, half of the IAM writes are applied by moto and their answer dropped (the retry
    repeats them, as on AWS after a reset) and a tenth of all IAM calls reset before reaching moto: disabling,
    deleting and restoring still reach their end state, and a repeated delete or create counts as done."""
    box, run = estate
    iam = box.client("iam")
    _make_user(iam, "ret-flaky")
    iam.create_access_key(UserName="ret-flaky")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="ret-flaky")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="ret-flaky", SerialNumber=serial, AuthenticationCode1="123456",
                          AuthenticationCode2="654321")
    directory = str(tmp_path / "simulator")
    endpoint = aws_simulator.start(directory, box.endpoint, seed=18, services={
        "iam": {"reset_after_write_rate": 0.5, "reset_rate": 0.1}})["endpoint"]
    try:
        flaky = {"AWS_ENDPOINT_URL": endpoint}
        disabled = run(RETIRE, {"args": _args("ret-flaky", "disabled", tmp_path / "b")}, env=flaky).task("retire")
        assert disabled.get("failed") is not True, disabled.get("msg")
        assert set(_keys(iam, "ret-flaky").values()) == {"Inactive"}
        gone = run(RETIRE, {"args": _args("ret-flaky", "absent", tmp_path / "b", quarantine_days=0)},
                   env=flaky).task("retire")
        assert gone.get("failed") is not True, gone.get("msg")
        assert gone["backup_file"] == disabled["backup_file"]
        with pytest.raises(iam.exceptions.NoSuchEntityException):
            iam.get_user(UserName="ret-flaky")
        restored = run(RESTORE, {"backup_file": disabled["backup_file"]}, env=flaky).task("restore")
        assert restored["recreated"] is True, restored.get("msg")
        assert restored["msg"].startswith("IAM user 'ret-flaky' cannot be made whole"), restored["msg"]  # no AWS error
        assert {entry["what"].split(" ")[0] for entry in restored["lost_credentials"]} == {
            "console", "access", "MFA", "user"}
        assert iam.list_user_policies(UserName="ret-flaky")["PolicyNames"] == ["inline"]
        assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="ret-flaky")["Groups"]] == ["legacy-admins"]
        repeated = (disabled["actions"] + gone["actions"] + restored["actions"])
        stats = aws_simulator.stats(endpoint)["services"]["iam"]
        assert stats["faults"].get("reset_after_write", 0) >= 3 and stats["faults"].get("reset", 0) >= 1
        assert any(action.endswith("(already done)") for action in repeated), repeated
    finally:
        aws_simulator.stop(directory)
