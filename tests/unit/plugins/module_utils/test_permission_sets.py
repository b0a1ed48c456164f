"""Permission-set planning (pure) and the AWS behaviours moto lacks (Stubber)."""

import pytest

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.permission_sets import PermissionSets
from ansible_collections.ssoshift.identity_center.plugins.module_utils.permission_sets import canonical_duration
from ansible_collections.ssoshift.identity_center.plugins.module_utils.permission_sets import management_refusals
from ansible_collections.ssoshift.identity_center.plugins.module_utils.permission_sets import normalize_desired
from ansible_collections.ssoshift.identity_center.plugins.module_utils.permission_sets import plan_changes
from ansible_collections.ssoshift.identity_center.plugins.module_utils.permission_sets import wait_for

from .stubbed import stubbed_client

INSTANCE = "arn:aws:sso:::instance/ssoins-1111111111111111"
ARN = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-2222222222222222"
POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": ["b:*", "a:*"], "Resource": "*"}]}
CURRENT = {"name": "Dev", "description": "d", "session_duration": "PT8H", "relay_state": None,
           "managed_policies": ["arn:aws:iam::aws:policy/PowerUserAccess"],
           "customer_managed_policies": [{"name": "extras", "path": "/"}],
           "inline_policy": POLICY, "permissions_boundary": {}, "tags": {"owner": "platform"}}


def test_durations_are_compared_in_canonical_form():
    assert canonical_duration("PT480M") == "PT8H"
    assert canonical_duration("PT90M") == "PT1H30M"
    assert canonical_duration(3600) == "PT1H"  # moto answers a default duration in seconds
    assert plan_changes(normalize_desired({"name": "Dev", "session_duration": "PT480M"}), CURRENT) == []


def test_bare_policy_names_expand_and_equal_arns_are_no_change():
    desired = normalize_desired({"name": "Dev", "managed_policies": ["PowerUserAccess"]})
    assert desired["managed_policies"] == ["arn:aws:iam::aws:policy/PowerUserAccess"]
    assert plan_changes(desired, CURRENT) == []


def test_inline_policy_is_compared_semantically():
    reordered = '{"Statement": [{"Resource": "*", "Action": ["a:*", "b:*"], "Effect": "Deny"}], "Version": "2012-10-17"}'
    assert plan_changes(normalize_desired({"name": "Dev", "inline_policy": reordered}), CURRENT) == []
    changed = dict(POLICY, Statement=[dict(POLICY["Statement"][0], Effect="Allow")])
    assert [c["attribute"] for c in plan_changes(normalize_desired({"name": "Dev", "inline_policy": changed}),
                                                 CURRENT)] == ["inline_policy"]
    assert plan_changes(normalize_desired({"name": "Dev", "inline_policy": {}}), CURRENT)[0]["after"] == {}


def test_purge_policies_false_only_adds():
    desired = normalize_desired({"name": "Dev", "managed_policies": ["ReadOnlyAccess"]})
    kept = plan_changes(desired, CURRENT, purge_policies=False)[0]
    assert kept["after"] == ["arn:aws:iam::aws:policy/PowerUserAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess"]
    purged = plan_changes(desired, CURRENT, purge_policies=True)[0]
    assert purged["after"] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]


def test_unset_options_are_not_managed_and_tags_follow_purge_tags():
    assert plan_changes(normalize_desired({"name": "Dev"}), CURRENT) == []
    desired = normalize_desired({"name": "Dev", "tags": {"cost-centre": "42"}})
    assert plan_changes(desired, CURRENT, purge_tags=True)[0]["after"] == {"cost-centre": "42"}
    assert plan_changes(desired, CURRENT, purge_tags=False)[0]["after"] == {"owner": "platform", "cost-centre": "42"}


def test_a_new_permission_set_plans_every_given_attribute():
    desired = normalize_desired({"name": "New", "session_duration": "PT1H", "managed_policies": ["ReadOnlyAccess"]})
    assert [c["attribute"] for c in plan_changes(desired, None)] == ["session_duration", "managed_policies"]


def _engine():
    sso_admin, stubber = stubbed_client("sso-admin")
    return PermissionSets(sso_admin, INSTANCE, sleep=lambda seconds: None), stubber


def test_boundary_and_tags_are_written_with_their_own_apis():
    # moto lacks these APIs; AWS's contract: PutPermissionsBoundaryToPermissionSet with a customer-managed
    # reference, TagResource / UntagResource on the permission set ARN.
    engine, stubber = _engine()
    stubber.add_response("put_permissions_boundary_to_permission_set", {}, {
        "InstanceArn": INSTANCE, "PermissionSetArn": ARN,
        "PermissionsBoundary": {"CustomerManagedPolicyReference": {"Name": "boundary", "Path": "/ssoshift/"}}})
    stubber.add_response("untag_resource", {}, {"InstanceArn": INSTANCE, "ResourceArn": ARN, "TagKeys": ["owner"]})
    stubber.add_response("tag_resource", {}, {"InstanceArn": INSTANCE, "ResourceArn": ARN,
                                              "Tags": [{"Key": "cost-centre", "Value": "42"}]})
    desired = normalize_desired({"name": "Dev", "tags": {"cost-centre": "42"}, "permissions_boundary": {
        "customer_managed_policy_reference": {"name": "boundary", "path": "/ssoshift/"}}})
    changes = plan_changes(desired, CURRENT)
    engine.apply(ARN, changes, CURRENT)
    stubber.assert_no_pending_responses()


def test_provisioning_waits_for_a_final_status():
    # AWS answers ProvisionPermissionSet with IN_PROGRESS; the status is then polled until it settles.
    engine, stubber = _engine()
    request_id = "11111111-2222-3333-4444-555555555555"
    stubber.add_response("provision_permission_set", {"PermissionSetProvisioningStatus": {
        "Status": "IN_PROGRESS", "RequestId": request_id}})
    stubber.add_response("describe_permission_set_provisioning_status", {"PermissionSetProvisioningStatus": {
        "Status": "IN_PROGRESS", "RequestId": request_id}},
        {"InstanceArn": INSTANCE, "ProvisionPermissionSetRequestId": request_id})
    stubber.add_response("describe_permission_set_provisioning_status", {"PermissionSetProvisioningStatus": {
        "Status": "FAILED", "RequestId": request_id, "AccountId": "210987654321",
        "FailureReason": "Customer managed policy extras does not exist in the account"}})
    result = engine.provision(ARN)
    assert result == {"request_id": request_id, "status": "FAILED", "account_id": "210987654321",
                      "failure_reason": "Customer managed policy extras does not exist in the account"}
    stubber.assert_no_pending_responses()


def test_conflicts_are_retried_not_surfaced():
    # One permission-set operation at a time per account: AWS answers ConflictException meanwhile.
    engine, stubber = _engine()
    stubber.add_client_error("provision_permission_set", service_error_code="ConflictException",
                             http_status_code=409)
    stubber.add_response("provision_permission_set", {"PermissionSetProvisioningStatus": {
        "Status": "SUCCEEDED", "RequestId": "11111111-2222-3333-4444-555555555555"}})
    assert engine.provision(ARN)["status"] == "SUCCEEDED"


def test_wait_for_gives_up_after_the_timeout():
    polls = []

    def fetch():
        polls.append(1)
        return {"Status": "IN_PROGRESS"}

    with pytest.raises(SsoShiftError, match="the thing still IN_PROGRESS after 0s"):
        wait_for(fetch, "the thing", timeout=0, delay=0, sleep=lambda seconds: None)
    assert len(polls) == 1


# --------------------------------------------------------------------------- the bulk engine (moto lacks the tag APIs)

from ansible_collections.ssoshift.identity_center.plugins.module_utils.permission_sets import (  # noqa: E402
    converge_permission_sets)

OTHER = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-3333333333333333"


def _described(arn, name, duration="PT8H"):
    return {"PermissionSet": {"Name": name, "PermissionSetArn": arn, "SessionDuration": duration}}


def test_an_untagged_permission_set_is_adopted_reported_and_tagged():
    engine, stubber = _engine()
    engine.workers = 1
    stubber.add_response("list_permission_sets", {"PermissionSets": [ARN, OTHER]})
    stubber.add_response("describe_permission_set", _described(ARN, "Dev"))
    stubber.add_response("describe_permission_set", _described(OTHER, "Ops"))
    stubber.add_response("list_tags_for_resource", {"Tags": [{"Key": "owner", "Value": "platform"}]},
                         {"InstanceArn": INSTANCE, "ResourceArn": ARN})
    stubber.add_response("list_managed_policies_in_permission_set", {"AttachedManagedPolicies": [
        {"Name": "PowerUserAccess", "Arn": "arn:aws:iam::aws:policy/PowerUserAccess"}]})
    stubber.add_response("list_accounts_for_provisioned_permission_set", {"AccountIds": []},
                         {"InstanceArn": INSTANCE, "PermissionSetArn": ARN,
                          "ProvisioningStatus": "LATEST_PERMISSION_SET_NOT_PROVISIONED"})
    # The ownership tag is added; the model gives no tags, so the others stay (no UntagResource).
    stubber.add_response("tag_resource", {}, {"InstanceArn": INSTANCE, "ResourceArn": ARN, "Tags": [
        {"Key": "managed-by", "Value": "ssoshift.identity_center"}]})
    result = converge_permission_sets(engine, [{"name": "Dev", "managed_policies": ["PowerUserAccess"]}])
    assert result["adopted"] == ["Dev"] and result["permission_sets"][0]["ownership"] == "adopted"
    assert [c["attribute"] for c in result["permission_sets"][0]["changes"]] == ["tags"]
    assert any("permission set Dev" in line for line in result["diff"]["after"]["adopted"])
    assert result["provisioning"] == []  # a tag does not change what the set grants
    stubber.assert_no_pending_responses()


def test_a_tagged_permission_set_is_the_collections_and_a_no_change_run_writes_nothing():
    engine, stubber = _engine()
    stubber.add_response("list_permission_sets", {"PermissionSets": [ARN]})
    stubber.add_response("describe_permission_set", _described(ARN, "Dev"))
    stubber.add_response("list_tags_for_resource", {"Tags": [{"Key": "managed-by",
                                                              "Value": "ssoshift.identity_center"}]})
    stubber.add_response("list_accounts_for_provisioned_permission_set", {"AccountIds": []})
    result = converge_permission_sets(engine, [{"name": "Dev", "session_duration": "PT480M"}])
    assert result["changed"] is False and result["adopted"] == []
    assert result["permission_sets"][0]["ownership"] == "managed"
    stubber.assert_no_pending_responses()


def test_a_create_answered_already_exists_is_read_back_instead_of_failing():
    # AWS answers "PermissionSet with name X already exists." (ConflictException) to a create repeated after
    # a dropped connection; it is not retried (common.ALREADY_EXISTS), the set is listed again and used.
    engine, stubber = _engine()
    stubber.add_response("list_permission_sets", {"PermissionSets": []})
    stubber.add_client_error("create_permission_set", service_error_code="ConflictException", http_status_code=400,
                             service_message="PermissionSet with name New already exists.")
    stubber.add_response("list_permission_sets", {"PermissionSets": [ARN]})
    stubber.add_response("describe_permission_set", _described(ARN, "New"))
    stubber.add_response("attach_managed_policy_to_permission_set", {}, {
        "InstanceArn": INSTANCE, "PermissionSetArn": ARN, "ManagedPolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    result = converge_permission_sets(engine, [{"name": "New", "managed_policies": ["ReadOnlyAccess"]}])
    assert result["created"] == ["New"] and result["permission_sets"][0]["arn"] == ARN
    stubber.assert_no_pending_responses()


def test_given_tags_are_refused_before_any_write_when_the_endpoint_cannot_read_them():
    engine, stubber = _engine()
    stubber.add_response("list_permission_sets", {"PermissionSets": [ARN]})
    stubber.add_response("describe_permission_set", _described(ARN, "Dev"))
    stubber.add_client_error("list_tags_for_resource", service_error_code="500", http_status_code=500,
                             service_message="<!doctype html><html><title>500 Internal Server Error</title></html>")
    with pytest.raises(SsoShiftError, match=r"permission_sets \(Dev\).tags: the endpoint does not implement"):
        converge_permission_sets(engine, [{"name": "Dev", "tags": {"team": "a"}}])


# --------------------------------------------------------------------------- rows 36-37: the delegated administrator

MANAGEMENT, DELEGATED = "123456789012", "210987654321"


def test_a_change_to_a_set_provisioned_to_the_management_account_is_refused_before_any_write_check_mode_too():
    for check_mode in (False, True):
        engine, stubber = _engine()
        engine.check_mode = check_mode
        stubber.add_response("list_permission_sets", {"PermissionSets": [ARN]})
        stubber.add_response("describe_permission_set", _described(ARN, "Dev"))
        stubber.add_response("list_tags_for_resource", {"Tags": [{"Key": "managed-by",
                                                                  "Value": "ssoshift.identity_center"}]})
        stubber.add_response("list_accounts_for_provisioned_permission_set", {"AccountIds": []},
                             {"InstanceArn": INSTANCE, "PermissionSetArn": ARN,
                              "ProvisioningStatus": "LATEST_PERMISSION_SET_NOT_PROVISIONED"})
        stubber.add_response("list_accounts_for_provisioned_permission_set", {"AccountIds": [MANAGEMENT, DELEGATED]},
                             {"InstanceArn": INSTANCE, "PermissionSetArn": ARN})
        asked = []
        with pytest.raises(SsoShiftError) as raised:
            converge_permission_sets(engine, [{"name": "Dev", "session_duration": "PT2H"}],
                                     protected_account=lambda: asked.append(1) or (DELEGATED, MANAGEMENT),
                                     refusal_label="permission set '{name}'")
        assert asked == [1]
        assert raised.value.problems == [
            f"permission set 'Dev': the caller ({DELEGATED}) is a delegated administrator of IAM Identity Center, not "
            f"the management account ({MANAGEMENT}): AWS refuses changes to a permission set provisioned to the "
            "management account from a delegated administrator; make this change from the management account, or "
            "remove the set's assignments in the management account first"]
        stubber.assert_no_pending_responses()  # an UpdatePermissionSet would have had no answer


def test_nothing_to_change_asks_nobody_who_the_caller_is():
    engine, stubber = _engine()
    stubber.add_response("list_permission_sets", {"PermissionSets": [ARN]})
    stubber.add_response("describe_permission_set", _described(ARN, "Dev"))
    stubber.add_response("list_tags_for_resource", {"Tags": [{"Key": "managed-by", "Value": "ssoshift.identity_center"}]})
    stubber.add_response("list_accounts_for_provisioned_permission_set", {"AccountIds": []})

    def never():
        raise AssertionError("the caller is read only when a set provisioned somewhere would change")

    assert converge_permission_sets(engine, [{"name": "Dev"}], protected_account=never)["changed"] is False
    stubber.assert_no_pending_responses()


def test_management_refusals_pass_the_management_account_and_sets_provisioned_elsewhere():
    engine, stubber = _engine()
    assert management_refusals(engine, [("Dev", ARN)], lambda: None) == []  # the management account: no read
    stubber.add_response("list_accounts_for_provisioned_permission_set", {"AccountIds": [DELEGATED]})
    assert management_refusals(engine, [("Dev", ARN)], lambda: (DELEGATED, MANAGEMENT)) == []
    stubber.assert_no_pending_responses()
