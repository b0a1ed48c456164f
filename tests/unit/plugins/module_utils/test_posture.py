"""Posture checks from gathered facts (pure), and the credential report's quirks."""

import datetime

from ansible_collections.ssoshift.identity_center.plugins.module_utils.posture import assess
from ansible_collections.ssoshift.identity_center.plugins.module_utils.posture import parse_credential_report

NOW = datetime.datetime(2026, 11, 26, tzinfo=datetime.timezone.utc)
REPORT = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,"
    "mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,"
    "access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,"
    "access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n"
    "<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,2026-11-01T00:00:00+00:00,"
    "not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
    "admin,arn:aws:iam::123456789012:user/admin,2020-01-01T00:00:00+00:00,true,2026-11-20T00:00:00+00:00,"
    "2020-01-01T00:00:00+00:00,N/A,true,true,2020-01-01T00:00:00+00:00,2026-01-01T00:00:00+00:00,us-east-1,s3,"
    "false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
)


def _facts(**overrides):
    facts = {
        "unknown": {}, "account_summary": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0},
        "credential_report": parse_credential_report(REPORT.encode()), "virtual_mfa_devices": [],
        "password_policy": {"MinimumPasswordLength": 14},
        "organizations_features": ["RootCredentialsManagement", "RootSessions"],
        "admin_users": [], "users_with_attached_policies": [], "security_contact": {"name": "Sec"},
        "identity_center_instances": ["arn:aws:sso:::instance/ssoins-1"],
    }
    facts.update(overrides)
    return facts


def _status(checks):
    return {c["id"]: c["status"] for c in checks}


def test_credential_report_quirks_read_as_absent():
    rows = parse_credential_report(REPORT)
    assert rows[0]["password_enabled"] is None  # not_supported
    assert rows[1]["access_key_2_last_used_date"] is None  # N/A
    assert rows[1]["mfa_active"] is True and rows[1]["access_key_2_active"] is False


def test_each_check_names_its_prowler_and_security_hub_ids():
    checks = {c["id"]: c for c in assess(_facts(), now=NOW)}
    assert (checks["root_mfa"]["prowler"], checks["root_mfa"]["security_hub"]) == ("iam_root_mfa_enabled", "IAM.9")
    assert checks["root_no_access_keys"]["security_hub"] == "IAM.4"
    assert checks["security_contact"]["security_hub"] == "Account.1"


def test_legacy_user_fails_console_key_and_unused_checks_the_root_row_is_not_a_user():
    status = _status(assess(_facts(), unused_days=45, now=NOW))
    assert status["no_console_users"] == "fail" and status["no_active_access_keys"] == "fail"
    assert status["no_unused_credentials"] == "fail"  # admin's key was last used in January
    checks = {c["id"]: c for c in assess(_facts(), unused_days=400, now=NOW)}
    assert checks["no_unused_credentials"]["status"] == "pass"
    assert checks["no_console_users"]["evidence"] == {"users": ["admin"]}


def test_virtual_root_mfa_fails_the_hardware_check_and_unreadable_facts_are_unknown():
    virtual = [{"SerialNumber": "arn:aws:iam::123456789012:mfa/root-account-mfa-device",
                "User": {"Arn": "arn:aws:iam::123456789012:root"}}]
    status = _status(assess(_facts(virtual_mfa_devices=virtual, organizations_features=None,
                                   unknown={"organizations_features": "access denied (AccessDenied)"}), now=NOW))
    assert status["root_mfa"] == "pass" and status["root_hardware_mfa"] == "fail"
    assert status["centralized_root_access"] == "unknown"


def test_the_end_state_passes():
    header, root_row = REPORT.splitlines()[:2]
    report = f"{header}\n{root_row}\n"
    status = _status(assess(_facts(credential_report=parse_credential_report(report)), now=NOW))
    assert set(status.values()) == {"pass"}


def test_a_member_account_without_root_credentials_passes_the_root_checks_with_that_as_evidence():
    none = {"password": 0, "access_keys": 0, "signing_certificates": 0, "mfa_devices": 0, "any": False}
    checks = {c["id"]: c for c in assess(_facts(account_summary={"AccountMFAEnabled": 0}, root_credentials=none),
                                         now=NOW)}
    for check_id in ("root_mfa", "root_no_access_keys", "root_hardware_mfa"):
        assert checks[check_id]["status"] == "pass", check_id
        assert "no password, access key" in checks[check_id]["evidence"]["root_credentials"]


def test_a_member_root_with_a_password_and_a_key_but_no_mfa_fails_and_says_what_to_do():
    held = {"password": 1, "access_keys": 1, "signing_certificates": 0, "mfa_devices": 0, "any": True}
    checks = {c["id"]: c for c in assess(_facts(root_credentials=held), now=NOW)}
    assert (checks["root_mfa"]["status"], checks["root_no_access_keys"]["status"]) == ("fail", "fail")
    assert checks["root_mfa"]["evidence"] == {"root_credentials": held}
    assert "Assign MFA device" in checks["root_mfa"]["remediation"]
