"""Account selection and group names of the organization_accounts inventory plugin."""

from ansible_collections.ssoshift.identity_center.plugins.inventory.organization_accounts import group_name
from ansible_collections.ssoshift.identity_center.plugins.inventory.organization_accounts import select

ACCOUNTS = [
    {"id": "111111111111", "name": "dev", "status": "ACTIVE", "ou_path": "Workloads/NonProd"},
    {"id": "222222222222", "name": "prod", "status": "ACTIVE", "ou_path": "Workloads/Prod"},
    {"id": "333333333333", "name": "old", "status": "SUSPENDED", "ou_path": "Workloads/Prod"},
    {"id": "444444444444", "name": "workloads-x", "status": "ACTIVE", "ou_path": "WorkloadsX"},
    {"id": "555555555555", "name": "root-level", "status": "ACTIVE", "ou_path": ""},
]
DEFAULTS = {"statuses": ["ACTIVE"], "include_ous": [], "exclude_ous": [], "include_accounts": [],
            "exclude_accounts": []}


def _names(**options):
    return [a["name"] for a in select(ACCOUNTS, dict(DEFAULTS, **options))]


def test_active_accounts_by_default():
    assert _names() == ["dev", "prod", "workloads-x", "root-level"]
    assert _names(statuses=["ACTIVE", "SUSPENDED"])[2] == "old"


def test_ou_filters_are_recursive_and_match_whole_path_segments():
    assert _names(include_ous=["Workloads"]) == ["dev", "prod"]  # not WorkloadsX
    assert _names(exclude_ous=["Workloads/Prod"]) == ["dev", "workloads-x", "root-level"]


def test_account_filters_take_names_or_ids():
    assert _names(include_accounts=["dev", "222222222222"]) == ["dev", "prod"]
    assert _names(exclude_accounts=["111111111111", "root-level"]) == ["prod", "workloads-x"]


def test_group_names_are_valid_ansible_group_names():
    assert group_name("Workloads/Non-Prod") == "ou_workloads_non_prod"
