"""iam_roles.read_role: the full read a plan compares, or GetRole alone for a reader that needs no policy (the report).
botocore Stubber: each test lists every call it expects; any other call fails it."""

import datetime
import json

from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_roles import read_role

from .stubbed import stubbed_client

TRUST = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole"}]}
ARN = "arn:aws:iam::222222222222:role/deploy"


def _get_role(stubber):
    stubber.add_response("get_role", {"Role": {
        "RoleName": "deploy", "Arn": ARN, "Path": "/", "RoleId": "AROAEXAMPLEEXAMPLE1",
        "CreateDate": datetime.datetime(2026, 11, 30, tzinfo=datetime.timezone.utc),
        "AssumeRolePolicyDocument": json.dumps(TRUST), "MaxSessionDuration": 7200,
        "Tags": [{"Key": "managed-by", "Value": "ssoshift.identity_center"}]}}, {"RoleName": "deploy"})


def test_the_full_read_lists_attached_and_inline_policies():
    iam, stubber = stubbed_client("iam")
    _get_role(stubber)
    stubber.add_response("list_role_policies", {"PolicyNames": ["deny-billing"], "IsTruncated": False})
    stubber.add_response("get_role_policy", {"RoleName": "deploy", "PolicyName": "deny-billing",
                                             "PolicyDocument": json.dumps(TRUST)})
    stubber.add_response("list_attached_role_policies", {"AttachedPolicies": [
        {"PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "PolicyName": "ReadOnlyAccess"}], "IsTruncated": False})
    role = read_role(iam, "deploy")
    stubber.assert_no_pending_responses()
    assert role["managed_policies"] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert role["inline_policies"] == {"deny-billing": TRUST}
    assert role["tags"] == {"managed-by": "ssoshift.identity_center"} and role["max_session_duration"] == 7200


def test_without_policies_one_get_role_and_the_policies_are_not_read_rather_than_empty():
    iam, stubber = stubbed_client("iam")
    _get_role(stubber)  # the only call: a ListRolePolicies or ListAttachedRolePolicies would fail the test
    role = read_role(iam, "deploy", policies=False)
    stubber.assert_no_pending_responses()
    assert (role["arn"], role["max_session_duration"]) == (ARN, 7200)
    assert role["tags"] == {"managed-by": "ssoshift.identity_center"}
    assert role["managed_policies"] is None and role["inline_policies"] is None


def test_a_missing_role_is_none():
    iam, stubber = stubbed_client("iam")
    stubber.add_client_error("get_role", service_error_code="NoSuchEntity", http_status_code=404)
    assert read_role(iam, "deploy", policies=False) is None
