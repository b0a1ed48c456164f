"""Accounts named by ID, by Organizations name, or by the `management` alias."""

import pytest

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import Accounts
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import account_reference_map

from .stubbed import stubbed_client

LISTED = [
    {"Id": "123456789012", "Name": "master", "Arn": "arn:aws:organizations::123456789012:account/o-x/123456789012",
     "Email": "root@example.com", "Status": "ACTIVE"},
    {"Id": "210987654321", "Name": "prod", "Arn": "arn:aws:organizations::123456789012:account/o-x/210987654321",
     "Email": "prod@example.com", "Status": "ACTIVE"},
    {"Id": "111111111111", "Name": "sandbox", "Arn": "arn:aws:organizations::123456789012:account/o-x/111111111111",
     "Email": "s1@example.com", "Status": "ACTIVE"},
    {"Id": "222222222222", "Name": "sandbox", "Arn": "arn:aws:organizations::123456789012:account/o-x/222222222222",
     "Email": "s2@example.com", "Status": "ACTIVE"},
]


def _accounts():
    organizations, stubber = stubbed_client("organizations")
    stubber.add_response("list_accounts", {"Accounts": LISTED}, {})
    return Accounts(organizations, management_account_id="123456789012"), stubber


def test_find_by_id_name_and_management_alias_with_one_list_call():
    accounts, stubber = _accounts()
    assert accounts.find("210987654321")["Name"] == "prod"
    assert accounts.find("prod")["Id"] == "210987654321"
    assert accounts.find("management")["Id"] == "123456789012"
    assert accounts.find("nope") is None
    stubber.assert_no_pending_responses()


def test_resolve_lists_every_unknown_and_ambiguous_reference():
    accounts, dummy = _accounts()
    with pytest.raises(SsoShiftError) as error:
        accounts.resolve(["prod", "staging", "sandbox", "999999999999"])
    assert error.value.problems == [
        "accounts: no account with ID or name 'staging' in the organization",
        "accounts: account name 'sandbox' is ambiguous (accounts 111111111111, 222222222222); use the account ID",
        "accounts: no account with ID or name '999999999999' in the organization",
    ]


def test_resolve_maps_references_to_ids():
    accounts, dummy = _accounts()
    assert accounts.resolve(["prod", "management", "111111111111"]) == {
        "prod": "210987654321", "management": "123456789012", "111111111111": "111111111111"}


def test_reference_map_leaves_out_ambiguous_names_and_adds_the_alias():
    listed = [{"id": a["Id"], "name": a["Name"]} for a in LISTED]
    references = account_reference_map(listed, "123456789012")
    assert references["prod"] == "210987654321"
    assert references["management"] == "123456789012"
    assert "sandbox" not in references
    assert references["222222222222"] == "222222222222"


def test_reference_map_prefers_a_real_account_named_management():
    listed = [{"id": "123456789012", "name": "root-org"}, {"id": "333333333333", "name": "management"}]
    assert account_reference_map(listed, "123456789012")["management"] == "333333333333"
