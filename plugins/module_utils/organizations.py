# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The organisation tree, and accounts named by ID, by Organizations name or as `management`."""

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import paginate

# The access model may call the management account "management" whatever its real name is.
MANAGEMENT_ALIAS = "management"


def account_reference_map(accounts, management_account_id=None):
    """{name or ID: account ID}; ambiguous names are left out so they cannot resolve silently."""
    by_name = {}
    for account in accounts:
        by_name.setdefault(account["name"], []).append(account["id"])
    references = {name: ids[0] for name, ids in by_name.items() if len(ids) == 1}
    if management_account_id and MANAGEMENT_ALIAS not in by_name:
        references[MANAGEMENT_ALIAS] = management_account_id
    references.update({account["id"]: account["id"] for account in accounts})
    return references


def describe_organization(organizations):
    """The organization, its roots, OU tree (with paths) and accounts (with OU paths).

    One ListRoots, one ListOrganizationalUnitsForParent and one ListAccountsForParent per
    container: the cheapest walk that yields every account's OU path.
    """
    organization = organizations.describe_organization(aws_retry=True)["Organization"]
    roots = paginate(organizations, "list_roots", "Roots")
    ous = []
    accounts = []
    pending = [(root["Id"], "") for root in roots]
    while pending:
        parent_id, parent_path = pending.pop(0)
        for account in paginate(organizations, "list_accounts_for_parent", "Accounts", ParentId=parent_id):
            accounts.append(account_to_result(account, parent_id, parent_path))
        for ou in paginate(organizations, "list_organizational_units_for_parent", "OrganizationalUnits",
                           ParentId=parent_id):
            path = f"{parent_path}/{ou['Name']}" if parent_path else ou["Name"]
            ous.append({"id": ou["Id"], "name": ou["Name"], "arn": ou["Arn"], "path": path, "parent_id": parent_id})
            pending.append((ou["Id"], path))
    return {
        "organization": {
            "id": organization["Id"],
            "arn": organization["Arn"],
            "feature_set": organization["FeatureSet"],
            "management_account_id": organization["MasterAccountId"],
            "management_account_email": organization.get("MasterAccountEmail"),
        },
        "roots": [{"id": r["Id"], "arn": r["Arn"], "name": r["Name"]} for r in roots],
        "organizational_units": sorted(ous, key=lambda ou: ou["path"]),
        "accounts": sorted(accounts, key=lambda a: a["name"]),
    }


def account_to_result(account, parent_id, ou_path):
    return {
        "id": account["Id"],
        "name": account["Name"],
        "email": account.get("Email"),
        "arn": account.get("Arn"),
        "status": account.get("Status"),
        "parent_id": parent_id,
        "ou_path": ou_path,
    }
