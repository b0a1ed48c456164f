"""Instance discovery, portal URL and directory look-ups (AWS answers encoded with Stubber)."""

import datetime

import pytest
from botocore.exceptions import ClientError

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.identity_center import discover_instance
from ansible_collections.ssoshift.identity_center.plugins.module_utils.identity_center import instance_to_result
from ansible_collections.ssoshift.identity_center.plugins.module_utils.identity_center import portal_url
from ansible_collections.ssoshift.identity_center.plugins.module_utils.identity_center import select_instance

from .stubbed import stubbed_client

ORG_INSTANCE = {"InstanceArn": "arn:aws:sso:::instance/ssoins-1111111111111111", "IdentityStoreId": "d-1111111111",
                "OwnerAccountId": "123456789012", "Status": "ACTIVE",
                "CreatedDate": datetime.datetime(2025, 10, 26, tzinfo=datetime.timezone.utc)}
ACCOUNT_INSTANCE = {"InstanceArn": "arn:aws:sso:::instance/ssoins-2222222222222222", "IdentityStoreId": "d-2222222222",
                    "OwnerAccountId": "210987654321", "Status": "ACTIVE"}


def test_exactly_one_instance_is_used():
    assert select_instance([ORG_INSTANCE]) is ORG_INSTANCE


def test_no_instance_names_the_console_step_and_region():
    with pytest.raises(SsoShiftError) as error:
        select_instance([], region="eu-west-1")
    message = str(error.value)
    assert "eu-west-1" in message
    assert "There is no API that creates an organization instance" in message
    assert "Enable with AWS Organizations" in message


def test_several_instances_require_instance_arn_and_list_them():
    with pytest.raises(SsoShiftError) as error:
        select_instance([ORG_INSTANCE, ACCOUNT_INSTANCE])
    assert "set instance_arn" in str(error.value)
    assert ORG_INSTANCE["InstanceArn"] in str(error.value)
    assert ACCOUNT_INSTANCE["InstanceArn"] in str(error.value)


def test_instance_arn_selects_among_several():
    assert select_instance([ORG_INSTANCE, ACCOUNT_INSTANCE], ACCOUNT_INSTANCE["InstanceArn"]) is ACCOUNT_INSTANCE


def test_unknown_instance_arn_is_named_in_the_error():
    with pytest.raises(SsoShiftError, match="instance_arn 'arn:aws:sso:::instance/ssoins-nope'"):
        select_instance([ORG_INSTANCE], "arn:aws:sso:::instance/ssoins-nope")


def test_portal_url_default_and_custom_subdomain():
    assert portal_url("d-1111111111") == "https://d-1111111111.awsapps.com/start"
    assert portal_url("d-1111111111", "https://acme.awsapps.com/start") == "https://acme.awsapps.com/start"


def test_instance_result_is_snake_case_with_iso_date():
    result = instance_to_result(ORG_INSTANCE)
    assert result["instance_arn"] == ORG_INSTANCE["InstanceArn"]
    assert result["identity_store_id"] == "d-1111111111"
    assert result["owner_account_id"] == "123456789012"
    assert result["created_date"] == "2025-10-26T00:00:00+00:00"
    assert result["portal_url"] == "https://d-1111111111.awsapps.com/start"


def test_discover_instance_follows_pagination():
    # AWS pages ListInstances; both pages must be read before deciding "several".
    sso_admin, stubber = stubbed_client("sso-admin")
    stubber.add_response("list_instances", {"Instances": [ORG_INSTANCE], "NextToken": "page2"}, {})
    stubber.add_response("list_instances", {"Instances": [ACCOUNT_INSTANCE]}, {"NextToken": "page2"})
    with pytest.raises(SsoShiftError, match="2 Identity Center instances"):
        discover_instance(sso_admin)
    stubber.assert_no_pending_responses()


def test_discover_instance_retries_throttling():
    # Identity Center throttles at 20 TPS with ThrottlingException; the read must retry, not fail.
    sso_admin, stubber = stubbed_client("sso-admin")
    stubber.add_client_error("list_instances", service_error_code="ThrottlingException", http_status_code=400)
    stubber.add_response("list_instances", {"Instances": [ORG_INSTANCE]}, {})
    selected, instances = discover_instance(sso_admin)
    assert selected == ORG_INSTANCE and instances == [ORG_INSTANCE]


# Row 31 of docs/caller-contexts.md: a member account that does not administer Identity Center sees no instance.
MEMBER, MANAGEMENT = "210987654321", "123456789012"


def test_no_instance_from_a_member_account_says_where_to_run_not_the_console_step():
    sso_admin, stubber = stubbed_client("sso-admin")
    stubber.add_response("list_instances", {"Instances": []}, {})
    asked = []
    with pytest.raises(SsoShiftError) as error:
        discover_instance(sso_admin, region="eu-west-1", member_caller=lambda: asked.append(1) or (MEMBER, MANAGEMENT))
    assert asked == [1]
    assert str(error.value).startswith(
        f"No IAM Identity Center instance is visible to account {MEMBER} in region eu-west-1. It is a member account of "
        f"the organization, and AWS shows the organization instance only to the management account ({MANAGEMENT})")
    assert "Enable with AWS Organizations" not in str(error.value)


@pytest.mark.parametrize("answer", [None, ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}},
                                                      "DescribeOrganization")])
def test_no_instance_for_the_management_account_or_without_describe_organization_names_the_console_step(answer):
    sso_admin, stubber = stubbed_client("sso-admin")
    stubber.add_response("list_instances", {"Instances": []}, {})

    def member_caller():
        if answer is not None:
            raise answer
        return None

    with pytest.raises(SsoShiftError, match="Enable with AWS Organizations"):
        discover_instance(sso_admin, region="eu-west-1", member_caller=member_caller)


def test_a_visible_instance_asks_nobody_who_the_caller_is():
    sso_admin, stubber = stubbed_client("sso-admin")
    stubber.add_response("list_instances", {"Instances": [ORG_INSTANCE]}, {})

    def never():
        raise AssertionError("the caller is asked about only when no instance is visible")

    assert discover_instance(sso_admin, member_caller=never)[0] == ORG_INSTANCE
