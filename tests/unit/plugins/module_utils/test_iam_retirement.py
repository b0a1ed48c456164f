"""Staged retirement logic: plans, interlocks, quarantine, restore, backups (pure), and the
service-specific credentials moto lacks (Stubber)."""

import datetime
import os
import stat

from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_footprint import read_footprint
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import DISABLED_TAG
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import apply_steps
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import backup_problem
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


def test_disable_deactivates_only_and_tags_the_time():
    steps = plan_steps(footprint(), "disabled", NOW)
    assert [s[0] for s in steps] == ["delete_login_profile", "update_access_key", "update_ssh_public_key",
                                     "update_signing_certificate", "update_service_specific_credential", "tag_user"]
    assert steps[1][1] == {"UserName": "admin", "AccessKeyId": "AKIA1", "Status": "Inactive"}
    assert steps[2][1] == {"UserName": "admin", "SSHPublicKeyId": "APKA1", "Status": "Inactive"}
    assert steps[4][1] == {"UserName": "admin", "ServiceSpecificCredentialId": "ACCA1", "Status": "Inactive"}
    assert steps[-1][1]["Tags"] == [{"Key": DISABLED_TAG, "Value": NOW.isoformat()}]


def test_an_active_git_credential_keeps_a_disabled_user_live():
    inactive = [{"access_key_id": "AKIA1", "status": "Inactive"}]
    disabled = footprint(login_profile=None, access_keys=inactive, ssh_public_keys=[], signing_certificates=[],
                         tags={DISABLED_TAG: "2026-01-01T00:00:00+00:00"})
    assert stage_of(disabled, 7, NOW)["next_state"] == "disabled"  # the Git credential still works
    assert [s[0] for s in plan_steps(disabled, "disabled", NOW)] == ["update_service_specific_credential", "tag_user"]
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
