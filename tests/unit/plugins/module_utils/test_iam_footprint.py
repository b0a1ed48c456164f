"""Evidence of use of a legacy IAM user, and the endpoint-gap handling of the footprint reader."""

import datetime

from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_footprint import read_footprint
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_footprint import usage_evidence

from .stubbed import stubbed_client

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.timezone.utc)


def _footprint(password_last_used=None, keys=()):
    return {
        "password_last_used": password_last_used,
        "login_profile": {"create_date": "2020-01-01T00:00:00+00:00"} if password_last_used else None,
        "access_keys": [
            {"access_key_id": key_id, "status": status, "last_used_date": used, "last_used_service": "s3"}
            for key_id, status, used in keys
        ],
    }


def test_never_used_user():
    evidence = usage_evidence(_footprint(keys=[("AKIA1", "Active", None)]), 30, NOW)
    assert evidence["never_used"] is True
    assert evidence["last_used"] is None
    assert evidence["used_within_window"] == []
    assert evidence["active_credentials"] == {"console_password": False, "active_access_keys": 1}


def test_recent_key_use_is_inside_the_window_and_old_password_is_not():
    footprint = _footprint(
        password_last_used="2026-06-01T00:00:00+00:00",
        keys=[("AKIA1", "Active", "2026-11-20T12:00:00+00:00"), ("AKIA2", "Inactive", None)],
    )
    evidence = usage_evidence(footprint, 30, NOW)
    assert evidence["last_used_by"] == "access key AKIA1 (s3)"
    assert evidence["last_used"] == "2026-11-20T12:00:00+00:00"
    assert evidence["used_within_window"] == [
        {"credential": "access key AKIA1 (s3)", "last_used": "2026-11-20T12:00:00+00:00", "days_ago": 6.0}]
    assert evidence["active_credentials"] == {"console_password": True, "active_access_keys": 1}


def test_window_boundary_is_exclusive():
    footprint = _footprint(keys=[("AKIA1", "Active", "2026-10-27T12:00:00+00:00")])  # exactly 30 days
    assert usage_evidence(footprint, 30, NOW)["used_within_window"] == []
    assert len(usage_evidence(footprint, 31, NOW)["used_within_window"]) == 1


def test_missing_user_reads_as_none():
    iam, stubber = stubbed_client("iam")
    stubber.add_client_error("get_user", service_error_code="NoSuchEntity", http_status_code=404)
    assert read_footprint(iam, "ghost") is None
    stubber.assert_no_pending_responses()


def test_service_specific_credentials_are_read_when_the_endpoint_has_the_api():
    # moto lacks ListServiceSpecificCredentials; AWS answers it. Encode AWS's answer here.
    iam, stubber = stubbed_client("iam")
    created = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    stubber.add_response("get_user", {"User": {"UserName": "git", "UserId": "AIDAEXAMPLEUSERID01", "Path": "/",
                                               "Arn": "arn:aws:iam::123456789012:user/git", "CreateDate": created}})
    stubber.add_response("list_access_keys", {"AccessKeyMetadata": []})
    stubber.add_client_error("get_login_profile", service_error_code="NoSuchEntity", http_status_code=404)
    stubber.add_response("list_user_policies", {"PolicyNames": []})
    stubber.add_response("list_service_specific_credentials", {"ServiceSpecificCredentials": [{
        "UserName": "git", "Status": "Active", "ServiceUserName": "git-at-123456789012",
        "CreateDate": created, "ServiceSpecificCredentialId": "ACCAEXAMPLE123EXAMPLE",
        "ServiceName": "codecommit.amazonaws.com"}]})
    stubber.add_response("list_user_tags", {"Tags": []})
    stubber.add_response("list_mfa_devices", {"MFADevices": []})
    stubber.add_response("list_groups_for_user", {"Groups": []})
    stubber.add_response("list_attached_user_policies", {"AttachedPolicies": []})
    stubber.add_response("list_signing_certificates", {"Certificates": []})
    stubber.add_response("list_ssh_public_keys", {"SSHPublicKeys": []})
    footprint = read_footprint(iam, "git")
    assert footprint["service_specific_credentials"] == [{
        "service_specific_credential_id": "ACCAEXAMPLE123EXAMPLE", "service_name": "codecommit.amazonaws.com",
        "status": "Active", "service_user_name": "git-at-123456789012"}]
    assert footprint["unsupported_reads"] == []
    assert footprint["login_profile"] is None
    stubber.assert_no_pending_responses()
