"""Member accounts' root credentials: read through a root session, removal planned and applied (Stubber)."""

from ansible_collections.ssoshift.identity_center.plugins.module_utils import root_credentials as engine

from .stubbed import stubbed_client


def _stub_reads(stubber, password, keys=(), certificates=(), devices=()):
    if password:
        stubber.add_response("get_login_profile", {"LoginProfile": {"UserName": "root", "CreateDate": "2020-01-01"}})
    else:
        stubber.add_client_error("get_login_profile", service_error_code="NoSuchEntity", http_status_code=404)
    stubber.add_response("list_access_keys", {"AccessKeyMetadata": [
        {"AccessKeyId": key, "Status": "Active"} for key in keys]})
    stubber.add_response("list_signing_certificates", {"Certificates": [
        {"UserName": "root", "CertificateId": cert, "CertificateBody": "x", "Status": "Active"} for cert in certificates]})
    stubber.add_response("list_mfa_devices", {"MFADevices": [
        {"UserName": "root", "SerialNumber": serial, "EnableDate": "2020-01-01"} for serial in devices]})


def test_a_root_session_reads_every_kind_without_a_user_name_and_removes_them_in_order():
    iam, stubber = stubbed_client("iam")
    _stub_reads(stubber, True, ["AKIAROOT00000000001"], ["CERT1CERT1CERT1CERT1CERT1"], ["arn:aws:iam::111111111111:mfa/root-account-mfa"])
    found = engine.read(iam)
    assert found == {"password": True, "access_keys": ["AKIAROOT00000000001"], "signing_certificates": ["CERT1CERT1CERT1CERT1CERT1"],
                     "mfa_devices": ["arn:aws:iam::111111111111:mfa/root-account-mfa"]}
    assert engine.counts(found) == {"password": 1, "access_keys": 1, "signing_certificates": 1, "mfa_devices": 1}
    steps = engine.plan_removal(found)
    assert [op for op, dummy, dummy2 in steps] == ["delete_login_profile", "delete_access_key",
                                                   "delete_signing_certificate", "deactivate_mfa_device"]
    assert all("UserName" not in kwargs for dummy, kwargs, dummy2 in steps)  # the root user, not an IAM user
    stubber.add_response("delete_login_profile", {}, {})
    stubber.add_client_error("delete_access_key", service_error_code="NoSuchEntity", http_status_code=404)
    stubber.add_response("delete_signing_certificate", {}, {"CertificateId": "CERT1CERT1CERT1CERT1CERT1"})
    stubber.add_response("deactivate_mfa_device", {}, {"SerialNumber": "arn:aws:iam::111111111111:mfa/root-account-mfa"})
    done = engine.apply(iam, steps)
    assert done[1] == "delete root access key AKIAROOT00000000001 (already gone)"
    stubber.assert_no_pending_responses()


def test_nothing_held_means_nothing_to_remove_and_passes():
    iam, stubber = stubbed_client("iam")
    _stub_reads(stubber, False)
    found = engine.read(iam)
    assert not engine.holds_any(found) and engine.plan_removal(found) == []
    assert engine.facts_for_posture(found)["any"] is False
