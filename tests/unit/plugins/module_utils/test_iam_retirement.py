"""Staged retirement logic: plans, interlocks, quarantine, restore, backups (pure), and the
service-specific credentials moto lacks (Stubber)."""

import datetime
import json
import os
import stat

import pytest

from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_footprint import read_footprint
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import DISABLED_TAG
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import RESTORED_TAG
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import apply_steps
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import backup_decision
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import backup_document
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import backup_path
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import backup_problem
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import find_backups
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import gaps
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import lineage
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import load_backups
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import merge_footprints
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import migrations
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import pre_change_reference
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import restore_target
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import retirement_history
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import interlocks
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import lost_credentials
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import plan_steps
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import restore_steps
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import stage_of
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import write_backup

from .stubbed import stubbed_client

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.timezone.utc)
PARAMS = {"require_unused_days": 30, "quarantine_days": 7, "replacement_access_verified": True, "force": False}


def footprint(**changes):
    base = {
        "user_name": "admin", "arn": "arn:aws:iam::123456789012:user/admin", "path": "/", "tags": {"owner": "ops"},
        "login_profile": {"create_date": "2020-01-01"}, "permissions_boundary": "arn:aws:iam::aws:policy/PowerUserAccess",
        "access_keys": [{"access_key_id": "AKIA1", "status": "Active"}, {"access_key_id": "AKIA2", "status": "Inactive"}],
        "mfa_devices": [{"serial_number": "arn:aws:iam::123456789012:mfa/admin", "virtual": True},
                        {"serial_number": "GAHT12345678", "virtual": False}],
        "groups": ["legacy-admins"], "attached_policies": ["arn:aws:iam::aws:policy/AdministratorAccess"],
        "inline_policies": {"billing": {"Version": "2012-10-17", "Statement": []}},
        "signing_certificates": [{"certificate_id": "CERT1", "status": "Active"}],
        "ssh_public_keys": [{"ssh_public_key_id": "APKA1", "status": "Active"}],
        "service_specific_credentials": [{"service_specific_credential_id": "ACCA1", "service_name":
                                          "codecommit.amazonaws.com", "status": "Active"}],
    }
    base.update(changes)
    return base


NO_USE = {"used_within_window": []}


def test_disable_tags_the_time_first_then_deactivates_only():
    steps = plan_steps(footprint(), "disabled", NOW)
    # The tag first: a run killed part-way leaves a user that says it is being retired.
    assert [s[0] for s in steps] == ["tag_user", "delete_login_profile", "update_access_key", "update_ssh_public_key",
                                     "update_signing_certificate", "update_service_specific_credential"]
    assert steps[0][1]["Tags"] == [{"Key": DISABLED_TAG, "Value": NOW.isoformat()}]
    assert steps[2][1] == {"UserName": "admin", "AccessKeyId": "AKIA1", "Status": "Inactive"}
    assert steps[3][1] == {"UserName": "admin", "SSHPublicKeyId": "APKA1", "Status": "Inactive"}
    assert steps[5][1] == {"UserName": "admin", "ServiceSpecificCredentialId": "ACCA1", "Status": "Inactive"}


def test_an_active_git_credential_keeps_a_disabled_user_live():
    inactive = [{"access_key_id": "AKIA1", "status": "Inactive"}]
    disabled = footprint(login_profile=None, access_keys=inactive, ssh_public_keys=[], signing_certificates=[],
                         tags={DISABLED_TAG: "2026-01-01T00:00:00+00:00"})
    assert stage_of(disabled, 7, NOW)["next_state"] == "disabled"  # the Git credential still works
    assert [s[0] for s in plan_steps(disabled, "disabled", NOW)] == ["tag_user", "update_service_specific_credential"]
    disabled["service_specific_credentials"] = [dict(disabled["service_specific_credentials"][0], status="Inactive")]
    assert stage_of(disabled, 7, NOW)["next_state"] == "absent"


def test_a_disabled_user_needs_nothing_more():
    done = footprint(login_profile=None, access_keys=[{"access_key_id": "AKIA1", "status": "Inactive"}],
                     ssh_public_keys=[], signing_certificates=[], service_specific_credentials=[],
                     tags={DISABLED_TAG: NOW.isoformat()})
    assert plan_steps(done, "disabled", NOW) == []


def test_absent_removes_everything_iam_requires_in_order_and_the_virtual_mfa_device():
    operations = [s[0] for s in plan_steps(footprint(), "absent", NOW)]
    assert operations == [
        "delete_login_profile", "delete_access_key", "delete_access_key", "delete_signing_certificate",
        "delete_ssh_public_key", "delete_service_specific_credential",
        "deactivate_mfa_device", "delete_virtual_mfa_device", "deactivate_mfa_device",
        "delete_user_policy", "detach_user_policy", "delete_user_permissions_boundary", "remove_user_from_group",
        "delete_user"]


def test_quarantine_stages():
    live = footprint()
    assert stage_of(live, 7, NOW)["next_state"] == "disabled"
    disabled = footprint(login_profile=None, access_keys=[], ssh_public_keys=[], signing_certificates=[],
                         service_specific_credentials=[],
                         tags={DISABLED_TAG: (NOW - datetime.timedelta(days=3)).isoformat()})
    stage = stage_of(disabled, 7, NOW)
    assert stage["next_state"] == "wait" and stage["quarantine_ends"] == (NOW + datetime.timedelta(days=4)).isoformat()
    assert stage_of(disabled, 3, NOW)["next_state"] == "absent"


def test_every_interlock_says_why_and_what_to_do():
    used = {"used_within_window": [{"credential": "access key AKIA1 (s3)", "last_used": "2026-11-20", "days_ago": 6.0}]}
    reasons = interlocks(footprint(), used, True, "absent", dict(PARAMS, replacement_access_verified=False), NOW)
    assert len(reasons) == 4
    assert "identity running this play" in reasons[0]
    assert "access key AKIA1 (s3) was used 6.0 day(s) ago" in reasons[1]
    assert "replacement_access_verified is not true" in reasons[2]
    assert "never disabled" in reasons[3] and "force=true" in reasons[3]
    assert interlocks(footprint(), NO_USE, False, "absent", dict(PARAMS, force=True), NOW) == []
    assert interlocks(footprint(), NO_USE, False, "disabled", PARAMS, NOW) == []


def test_live_credentials_after_disable_block_deletion():
    relapsed = footprint(tags={DISABLED_TAG: "2026-01-01T00:00:00+00:00"})
    reasons = interlocks(relapsed, NO_USE, False, "absent", PARAMS, NOW)
    assert len(reasons) == 1 and "live credentials again" in reasons[0]


def test_restore_of_a_disabled_user_reactivates_what_was_active():
    saved = footprint()
    current = footprint(login_profile=None, access_keys=[{"access_key_id": "AKIA1", "status": "Inactive"},
                                                         {"access_key_id": "AKIA2", "status": "Inactive"}],
                        ssh_public_keys=[{"ssh_public_key_id": "APKA1", "status": "Inactive"}],
                        tags={"owner": "ops", DISABLED_TAG: NOW.isoformat()})
    steps = restore_steps(saved, current)
    assert [s[0] for s in steps] == ["update_access_key", "update_ssh_public_key", "untag_user"]
    assert steps[0][1]["AccessKeyId"] == "AKIA1" and steps[1][1] == {"UserName": "admin", "SSHPublicKeyId": "APKA1",
                                                                     "Status": "Active"}
    assert [entry["what"] for entry in lost_credentials(saved, current)] == ["console password"]


def test_restore_of_a_deleted_user_recreates_it():
    steps = restore_steps(footprint(), None)
    assert [s[0] for s in steps] == ["create_user", "add_user_to_group", "attach_user_policy", "put_user_policy"]
    assert steps[0][1]["PermissionsBoundary"] == "arn:aws:iam::aws:policy/PowerUserAccess"
    assert steps[0][1]["Tags"] == [{"Key": "owner", "Value": "ops"}]
    lost = [entry["what"] for entry in lost_credentials(footprint())]
    assert lost[0] == "console password" and len(lost) == 8


def test_a_recreated_user_has_lost_its_id_and_the_resource_policies_that_named_it():
    saved = footprint(user_id="AIDAOLD")
    lost = lost_credentials(saved, None)
    assert lost[-1]["what"] == "user ID AIDAOLD (a recreated user gets a new ID)"
    assert "arn:aws:iam::123456789012:user/admin" in lost[-1]["steps"]
    recreated = footprint(user_id="AIDANEW", tags={"owner": "ops", RESTORED_TAG: "AIDAOLD"})
    assert [e["what"] for e in lost_credentials(saved, recreated)] == [
        "user ID AIDAOLD (a recreated user gets a new ID)"]
    assert lost_credentials(saved, footprint(user_id="AIDAOLD")) == []


def test_backup_is_0600_and_never_overwritten(tmp_path):
    path = str(tmp_path / "new" / "b.json")
    assert backup_problem(str(tmp_path / "new")) is None
    write_backup(path, {"footprint": {}})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "new").st_mode) == 0o700
    try:
        write_backup(path, {"footprint": {"other": 1}})
        raise AssertionError("an existing backup was overwritten")
    except FileExistsError:
        pass
    assert os.listdir(tmp_path / "new") == ["b.json"]
    (tmp_path / "file").write_text("")
    assert "is not a folder" in backup_problem(str(tmp_path / "file" / "sub"))
    assert "backup_dir is not set" in backup_problem(None)


def test_service_specific_credentials_are_read_and_deleted_with_their_own_api():
    # moto 5.2 lacks ListServiceSpecificCredentials; AWS's answers are encoded here.
    iam, stubber = stubbed_client("iam")
    user = {"UserName": "ci", "UserId": "AIDA1234567890EXAMPLE", "Arn": "arn:aws:iam::123456789012:user/ci",
            "Path": "/", "CreateDate": NOW}
    stubber.add_response("get_user", {"User": user})
    stubber.add_response("list_access_keys", {"AccessKeyMetadata": []})
    stubber.add_client_error("get_login_profile", service_error_code="NoSuchEntity", http_status_code=404)
    stubber.add_response("list_user_policies", {"PolicyNames": []})
    stubber.add_response("list_service_specific_credentials", {"ServiceSpecificCredentials": [{
        "UserName": "ci", "Status": "Active", "ServiceUserName": "ci-at-123456789012",
        "CreateDate": NOW, "ServiceSpecificCredentialId": "ACCA1234567890EXAMPLE",
        "ServiceName": "codecommit.amazonaws.com"}]})
    for operation, key in (("list_user_tags", "Tags"), ("list_mfa_devices", "MFADevices"),
                           ("list_groups_for_user", "Groups"), ("list_attached_user_policies", "AttachedPolicies"),
                           ("list_signing_certificates", "Certificates"), ("list_ssh_public_keys", "SSHPublicKeys")):
        stubber.add_response(operation, {key: []})
    found = read_footprint(iam, "ci")
    assert found["service_specific_credentials"][0]["service_specific_credential_id"] == "ACCA1234567890EXAMPLE"
    assert found["unsupported_reads"] == []
    stubber.assert_no_pending_responses()

    steps = [s for s in plan_steps(found, "absent", NOW) if s[0] != "delete_user"]
    stubber.add_response("delete_service_specific_credential", {},
                         {"UserName": "ci", "ServiceSpecificCredentialId": "ACCA1234567890EXAMPLE"})
    done = []
    apply_steps(iam, steps, done)
    assert done == ["delete service-specific credential ACCA1234567890EXAMPLE (codecommit.amazonaws.com)"]
    stubber.assert_no_pending_responses()


def test_a_recreated_user_is_told_every_credential_it_lacks():
    # Restored once (user exists again, with none of the old credentials): all of them are named, not only keys.
    recreated = footprint(login_profile=None, access_keys=[], mfa_devices=[], signing_certificates=[],
                          ssh_public_keys=[], service_specific_credentials=[])
    lost = [entry["what"] for entry in lost_credentials(footprint(), recreated)]
    assert lost == ["console password", "access key AKIA1", "access key AKIA2", "SSH public key APKA1",
                    "signing certificate CERT1", "service-specific credential ACCA1",
                    "MFA device arn:aws:iam::123456789012:mfa/admin", "MFA device GAHT12345678"]
    steps = {entry["what"]: entry["steps"] for entry in lost_credentials(footprint(), recreated)}
    assert steps["service-specific credential ACCA1"].endswith("--service-name codecommit.amazonaws.com")


def test_a_write_repeated_after_it_was_applied_counts_as_done():
    # A dropped connection makes the retry policy send a write again; AWS answers what is already done.
    iam, stubber = stubbed_client("iam")
    stubber.add_client_error("delete_login_profile", service_error_code="NoSuchEntity", http_status_code=404)
    stubber.add_client_error("delete_user_policy", service_error_code="NoSuchEntity", http_status_code=404)
    stubber.add_response("delete_user", {})
    done = []
    apply_steps(iam, [("delete_login_profile", {"UserName": "admin"}, "remove the console password"),
                      ("delete_user_policy", {"UserName": "admin", "PolicyName": "p"}, "delete inline policy p"),
                      ("delete_user", {"UserName": "admin"}, "delete user admin")], done)
    assert done == ["remove the console password (already done)", "delete inline policy p (already done)",
                    "delete user admin"]
    stubber.assert_no_pending_responses()


def test_a_missing_entity_is_not_done_for_a_call_that_adds():
    iam, stubber = stubbed_client("iam")
    stubber.add_client_error("attach_user_policy", service_error_code="NoSuchEntity", http_status_code=404)
    done = []
    with pytest.raises(Exception) as raised:
        apply_steps(iam, [("attach_user_policy", {"UserName": "admin", "PolicyArn": "arn:aws:iam::aws:policy/X"},
                           "attach policy X")], done)
    assert raised.value.response["Error"]["Code"] == "NoSuchEntity" and done == []


def test_a_recreation_repeated_is_done_only_for_the_user_this_restore_created():
    create = ("create_user", {"UserName": "admin", "Path": "/", "Tags": [{"Key": RESTORED_TAG, "Value": "AIDAOLD"}]},
              "create user admin")
    iam, stubber = stubbed_client("iam")
    stubber.add_client_error("create_user", service_error_code="EntityAlreadyExists", http_status_code=409)
    stubber.add_response("list_user_tags", {"Tags": [{"Key": RESTORED_TAG, "Value": "AIDAOLD"}]})
    done = []
    apply_steps(iam, [create], done)
    assert done == ["create user admin (already done)"]
    iam, stubber = stubbed_client("iam")
    stubber.add_client_error("create_user", service_error_code="EntityAlreadyExists", http_status_code=409)
    stubber.add_response("list_user_tags", {"Tags": []})  # someone else's user of that name
    with pytest.raises(Exception) as raised:
        apply_steps(iam, [create], [])
    assert raised.value.response["Error"]["Code"] == "EntityAlreadyExists"


# --------------------------------------------------------------------------- one pre-change backup per retirement

ACCOUNT = "123456789012"


def whole(**changes):
    return footprint(**dict({"user_id": "AIDAADMIN"}, **changes))


def half_disabled():
    """What a run killed after the password removal leaves: tagged, password gone, key still active."""
    return whole(login_profile=None, tags={"owner": "ops", DISABLED_TAG: NOW.isoformat()})


def disabled():
    inactive = [{"access_key_id": "AKIA1", "status": "Inactive"}, {"access_key_id": "AKIA2", "status": "Inactive"}]
    return whole(login_profile=None, access_keys=inactive,
                 ssh_public_keys=[{"ssh_public_key_id": "APKA1", "status": "Inactive"}],
                 signing_certificates=[{"certificate_id": "CERT1", "status": "Inactive"}],
                 service_specific_credentials=[dict(footprint()["service_specific_credentials"][0], status="Inactive")],
                 tags={"owner": "ops", DISABLED_TAG: NOW.isoformat()})


def document(fp, minutes, kind=None, action="disabled", pre=None):
    """A backup document written `minutes` after NOW; kind None is the first format (no kind)."""
    doc = backup_document(fp, "arn:aws:iam::123456789012:user/op", action, [],
                          NOW + datetime.timedelta(minutes=minutes), kind or "pre-change", pre)
    if kind is None:
        doc = {k: v for k, v in doc.items() if k not in ("kind", "pre_change")}
        doc["format"] = 1
    return doc


def test_the_first_change_writes_the_pre_change_backup():
    assert backup_decision(None, whole()) == ("pre-change", None)


def test_a_rerun_after_a_kill_keeps_the_pre_change_backup_and_writes_a_snapshot_of_the_half_changed_user():
    retirement = migrations([("/b/p.json", document(whole(), 0, "pre-change"))])[-1]
    assert backup_decision(retirement, half_disabled()) == ("snapshot", retirement)
    assert "remove tag ssoshift:disabled-at" in gaps(whole(), half_disabled())
    assert "console password" in gaps(whole(), half_disabled())


def test_a_rerun_after_a_kill_right_after_the_backup_reuses_it():
    retirement = migrations([("/b/p.json", document(whole(), 0, "pre-change"))])[-1]
    assert backup_decision(retirement, whole(access_keys=[dict(k, last_used_date="2026-01-01")
                                                          for k in whole()["access_keys"]])) == ("reuse", retirement)


def test_a_user_whole_again_and_more_starts_a_new_retirement():
    retirement = migrations([("/b/p.json", document(whole(), 0, "pre-change"))])[-1]
    more = whole(groups=["legacy-admins", "auditors"])
    assert backup_decision(retirement, more) == ("pre-change", None)


def test_a_changed_user_without_its_pre_change_backup_gets_a_snapshot_that_says_so():
    assert backup_decision(None, half_disabled()) == ("snapshot", None)


def test_first_format_backups_are_told_apart_by_what_they_hold():
    # The folder: the backup before the change, then the rerun's backup of the half-changed user
    # (and the same again when a kill came right after the first backup), then a new retirement after a restore.
    restored_and_more = whole(groups=["legacy-admins", "auditors"])
    backups = [("/b/1.json", document(whole(), 0)), ("/b/2.json", document(whole(), 1)),
               ("/b/3.json", document(half_disabled(), 2)), ("/b/4.json", document(disabled(), 3, action="absent")),
               ("/b/5.json", document(restored_and_more, 4))]
    found = migrations(backups)
    assert [(m["pre_change"][0], [p for p, dummy in m["snapshots"]]) for m in found] == [
        ("/b/1.json", ["/b/2.json", "/b/3.json", "/b/4.json"]), ("/b/5.json", [])]


def test_second_format_snapshots_belong_to_the_pre_change_backup_they_name():
    pre = document(whole(), 0, "pre-change")
    snap = document(disabled(), 5, "snapshot", "absent", pre_change_reference("/b/p.json", pre))
    found = migrations([("/b/p.json", pre), ("/b/s-snapshot.json", snap)])
    assert len(found) == 1 and found[0]["snapshots"][0][0] == "/b/s-snapshot.json"
    # Its pre-change file gone: the snapshot's embedded copy is the pre-change state, and it is said.
    orphan = migrations([("/b/s-snapshot.json", snap)])
    assert orphan[0]["pre_change"] is None and orphan[0]["pre_change_footprint"] == whole()
    assert backup_decision(orphan[0], disabled())[0] == "snapshot"


def test_lineage_follows_recreations_and_leaves_a_namesake_out():
    old = document(whole(), 0)
    recreated = document(whole(user_id="AIDANEW", tags={"owner": "ops", RESTORED_TAG: "AIDAADMIN"}), 5)
    namesake = document(whole(user_id="AIDAOTHER"), 9)
    backups = [("/b/1.json", old), ("/b/2.json", recreated), ("/b/3.json", namesake)]
    today = whole(user_id="AIDANEW", tags={"owner": "ops", RESTORED_TAG: "AIDAADMIN"})
    assert [p for p, dummy in lineage(backups, today)] == ["/b/1.json", "/b/2.json"]
    assert [p for p, dummy in lineage(backups, whole(user_id="AIDAOTHER"))] == ["/b/3.json"]
    assert [p for p, dummy in lineage(backups[:2], None)] == ["/b/1.json", "/b/2.json"]  # deleted: the latest's


def test_merge_keeps_the_pre_change_state_and_adds_what_the_retirement_added():
    later = disabled()
    later["groups"] = ["legacy-admins", "added-later"]
    later["inline_policies"] = {"billing": {"changed": True}, "new": {"Statement": []}}
    later["access_keys"] = later["access_keys"] + [{"access_key_id": "AKIA3", "status": "Inactive"}]
    merged = merge_footprints(whole(), later)
    assert merged["groups"] == ["added-later", "legacy-admins"]
    assert merged["inline_policies"] == {"billing": {"Version": "2012-10-17", "Statement": []},
                                         "new": {"Statement": []}}
    assert [(k["access_key_id"], k["status"]) for k in merged["access_keys"]] == [
        ("AKIA1", "Active"), ("AKIA2", "Inactive"), ("AKIA3", "Inactive")]
    assert DISABLED_TAG not in merged["tags"] and merged["login_profile"] == whole()["login_profile"]


def test_a_restore_from_any_backup_of_a_retirement_returns_to_the_pre_change_state():
    pre = document(whole(), 0, "pre-change")
    snap = document(disabled(), 5, "snapshot", "absent", pre_change_reference("/b/p.json", pre))
    assert restore_target("/b/p.json", pre) == (whole(), "/b/p.json", [])
    target, pre_path, notes = restore_target("/b/s-snapshot.json", snap)
    assert target["login_profile"] == whole()["login_profile"] and pre_path == "/b/p.json"
    assert [e["what"] for e in lost_credentials(target, None)][0] == "console password"
    # The first format: the folder says that the half-changed user's backup belongs to the one before it.
    legacy = [("/b/1.json", document(whole(), 0)), ("/b/2.json", document(half_disabled(), 2))]
    target, pre_path, notes = restore_target("/b/2.json", legacy[1][1], legacy)
    assert pre_path == "/b/1.json" and target["login_profile"] is not None and "/b/1.json" in notes[0]
    steps = [description for dummy, dummy2, description in restore_steps(target, half_disabled())]
    assert steps == ["remove tag ssoshift:disabled-at"]
    assert [e["what"] for e in lost_credentials(target, half_disabled())] == ["console password"]


def _write(folder, name, doc):
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(json.dumps(doc))
    return str(folder / name)


def test_the_backup_folder_is_read_per_user_and_a_bad_file_is_named(tmp_path):
    folder = tmp_path / "backups"
    first = _write(folder, f"{ACCOUNT}-admin-20261126T120000Z.json", document(whole(), 0, "pre-change"))
    _write(folder, f"{ACCOUNT}-admin-2-20261126T120000Z.json",
           document(whole(user_name="admin-2", user_id="AIDA2"), 0, "pre-change"))
    (folder / f"{ACCOUNT}-admin-20261126T130000Z.json").write_text("{not json")
    found, problems = load_backups(str(folder), ACCOUNT, "admin")
    assert list(found) == [(ACCOUNT, "admin")] and [p for p, dummy in found[(ACCOUNT, "admin")]] == [first]
    assert len(problems) == 1 and "20261126T130000Z.json" in problems[0]
    assert find_backups(str(folder), ACCOUNT, "admin", half_disabled())["backup_file"] == first
    assert find_backups(str(tmp_path / "none"), ACCOUNT, "admin", whole())["backup_file"] is None
    assert backup_path(str(folder), ACCOUNT, "admin", NOW, "snapshot").endswith(
        f"{ACCOUNT}-admin-20261126T120000Z-snapshot.json")


def test_history_names_the_pre_change_backup_stage_and_deletion_from_the_folder(tmp_path):
    folder = tmp_path / "backups"
    pre_admin = _write(folder, f"{ACCOUNT}-admin-20261126T120000Z.json", document(whole(), 0, "pre-change"))
    snap = document(disabled(), 60, "snapshot", "absent",
                    pre_change_reference(pre_admin, json.loads(open(pre_admin).read())))
    snap_admin = _write(folder, f"{ACCOUNT}-admin-20261126T130000Z-snapshot.json", snap)
    ci = whole(user_name="ci", user_id="AIDACI", arn=f"arn:aws:iam::{ACCOUNT}:user/ci")
    pre_ci = _write(folder, f"{ACCOUNT}-ci-20261126T120000Z.json", document(ci, 0, "pre-change"))
    ci_half = dict(ci, login_profile=None, tags={"owner": "ops", DISABLED_TAG: NOW.isoformat()})
    users = [{"account_id": ACCOUNT, "user_name": "admin", "footprint": {}},
             {"account_id": int(ACCOUNT), "user_name": "ci", "footprint": ci_half},
             {"account_id": ACCOUNT, "user_name": "never", "footprint": whole(user_name="never", user_id="AIDAN")}]
    entries, problems = retirement_history(str(folder), users, quarantine_days=7, now=NOW)
    assert problems == []
    admin, ci_entry, never = entries
    assert admin["state"] == "absent" and admin["backup_file"] == pre_admin and admin["snapshot_files"] == [snap_admin]
    assert admin["disabled_at"] == NOW.isoformat()
    assert admin["deleted"] == {"backup_file": snap_admin,
                                "not_before": (NOW + datetime.timedelta(hours=1)).isoformat(),
                                "user_id": "AIDAADMIN", "caller": "arn:aws:iam::123456789012:user/op"}
    assert ci_entry["state"] == "audited" and ci_entry["unfinished"] == "disabled" and ci_entry["backup_file"] == pre_ci
    assert never == {"account_id": ACCOUNT, "user_name": "never", "exists": True, "state": "audited",
                     "disabled_at": None, "quarantine_ends": None, "backup_file": None, "snapshot_files": [],
                     "unfinished": None, "deleted": None}
    done = dict(ci, login_profile=None, access_keys=[], ssh_public_keys=[], signing_certificates=[],
                service_specific_credentials=[], tags={DISABLED_TAG: NOW.isoformat()})
    entries, dummy = retirement_history(str(folder), [{"account_id": ACCOUNT, "user_name": "ci", "footprint": done}],
                                        quarantine_days=7, now=NOW)
    assert entries[0]["state"] == "disabled" and entries[0]["unfinished"] is None
    assert entries[0]["quarantine_ends"] == (NOW + datetime.timedelta(days=7)).isoformat()
