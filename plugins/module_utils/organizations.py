# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The organisation tree, and accounts named by ID, by Organizations name or as `management`.

`AccountIndex` is the one resolver every phase uses for the accounts the access model names: one
message for an unknown account, a shared name, an ID that YAML read as a number, and a closed account.
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import paginate

# The access model may call the management account "management" whatever its real name is.
MANAGEMENT_ALIAS = "management"
# Organizations' account states (the Account `State` field; `Status`, which it replaced, was retired on
# 9 September 2026 and is read only as a fallback): PENDING_CLOSURE right after CloseAccount, SUSPENDED
# for the 90 days before AWS closes it for good, then CLOSED; PENDING_ACTIVATION before sign-up is
# complete. No phase may act in an account that is not ACTIVE.
CLOSED_STATUSES = ("SUSPENDED", "PENDING_CLOSURE", "CLOSED")
UNUSABLE_STATUSES = CLOSED_STATUSES + ("PENDING_ACTIVATION",)
ACCOUNT_ID = re.compile(r"^\d{12}$")
# AWS Organizations answers DescribeOrganization to every account of the organization, and its other reads (ListRoots,
# ListAccounts, ListAccountsForParent, ListOrganizationalUnitsForParent, ListAWSServiceAccessForOrganization,
# ListDelegatedAdministrators, ListDelegatedServicesForAccount, ListTagsForResource) only to the management account and
# to member accounts registered as delegated administrator of an AWS service (Organizations API reference, "API
# operations by account"); any other member account - one reached through the member role, for example - gets
# AccessDeniedException. The same code answers a management account whose IAM policy lacks the action.
ADMINISTRATOR_READ_REFUSAL = (
    "AWS Organizations refused {operation} (AccessDeniedException): it answers only the management account "
    "({management}) and delegated administrators. Run this with the management account's credentials or a delegated "
    "administrator's - a member account (one reached through the member role, for example) cannot read the "
    "organization - or, if these credentials are theirs, allow organizations:{operation} in their IAM policy")


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


def administrator_read(organizations, method, result_key, management_account_id=None, **params):
    """paginate() of an Organizations read that AWS answers only to the management account and delegated
    administrators. Its AccessDeniedException raises SsoShiftError (ADMINISTRATOR_READ_REFUSAL: the operation, the
    management account and what to change); any other error is AWS's."""
    try:
        return paginate(organizations, method, result_key, **params)
    except is_boto3_error_code("AccessDeniedException") as error:
        raise SsoShiftError(ADMINISTRATOR_READ_REFUSAL.format(
            operation=getattr(error, "operation_name", None) or method,
            management=management_account_id or "see DescribeOrganization")) from error


def member_caller(organizations, sts):
    """(caller account ID, management account ID) when the caller is a member account of an organization; None for
    the management account and for an account in no organization (AWSOrganizationsNotInUseException).
    One DescribeOrganization (AWS answers it to every member account) and one sts:GetCallerIdentity."""
    try:
        management = organizations.describe_organization(aws_retry=True)["Organization"]["MasterAccountId"]
    except is_boto3_error_code("AWSOrganizationsNotInUseException"):
        return None
    caller = sts.get_caller_identity(aws_retry=True)["Account"]
    return None if caller == management else (caller, management)


def describe_organization(organizations):
    """The organization, its roots, OU tree (with paths) and accounts (with OU paths).

    One ListRoots, one ListOrganizationalUnitsForParent and one ListAccountsForParent per
    container: the cheapest walk that yields every account's OU path. A caller that may not read
    the tree (a member account that is not a delegated administrator) gets SsoShiftError
    (ADMINISTRATOR_READ_REFUSAL) before anything else is read.
    """
    organization = organizations.describe_organization(aws_retry=True)["Organization"]
    management = organization["MasterAccountId"]
    roots = administrator_read(organizations, "list_roots", "Roots", management)
    ous = []
    accounts = []
    pending = [(root["Id"], "") for root in roots]
    while pending:
        parent_id, parent_path = pending.pop(0)
        for account in administrator_read(organizations, "list_accounts_for_parent", "Accounts", management,
                                          ParentId=parent_id):
            accounts.append(account_to_result(account, parent_id, parent_path))
        for ou in administrator_read(organizations, "list_organizational_units_for_parent", "OrganizationalUnits",
                                     management, ParentId=parent_id):
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


def account_state(account):
    """An Organizations Account's state: `State`, or the retired `Status` from older endpoints."""
    return account.get("State") or account.get("Status")


def account_to_result(account, parent_id, ou_path):
    return {
        "id": account["Id"],
        "name": account["Name"],
        "email": account.get("Email"),
        "arn": account.get("Arn"),
        "status": account_state(account),
        "parent_id": parent_id,
        "ou_path": ou_path,
    }


def _quoted(reference):
    return f"'{reference}'"


class AccountIndex:
    """The organization's accounts by ID, by name and by the `management` alias, with their status.

    accounts: describe_organization()["accounts"] or list_accounts() items in that shape
    ({id, name, status, ...}); management_account_id: the organization's management account.
    """

    def __init__(self, accounts, management_account_id=None):
        self.accounts = sorted(accounts, key=lambda a: (a["name"], a["id"]))
        self.management_account_id = management_account_id
        self.by_id = {a["id"]: a for a in self.accounts}
        self.references = account_reference_map(self.accounts, management_account_id)
        names = {}
        for account in self.accounts:
            names.setdefault(account["name"], []).append(account["id"])
        self.shared_names = {name: ids for name, ids in names.items() if len(ids) > 1}

    @classmethod
    def from_organization(cls, organization):
        """From describe_organization's result."""
        return cls(organization["accounts"], organization["organization"]["management_account_id"])

    def name(self, account_id):
        account = self.by_id.get(account_id)
        return account["name"] if account else account_id

    def label(self, account_id):
        """'prod (210987654321)' for messages."""
        return f"{self.name(account_id)} ({account_id})"

    @staticmethod
    def is_closed(account):
        """Whether no phase may act in the account (closed, closing, or not activated yet)."""
        return account.get("status") in UNUSABLE_STATUSES

    def lookup(self, reference, field):
        """(account, problem): the account a reference names, or why it names none.

        A reference is an account name, a 12-digit ID or `management`. YAML reads an unquoted ID as a
        number, and one with a leading zero as an octal number (012345670123 becomes 1402433619): the
        problem says so and what to write instead.
        """
        if isinstance(reference, bool) or not isinstance(reference, (str, int)):
            return None, (f"{field}: an account is a name, a 12-digit ID or 'management', got "
                          f"{type(reference).__name__} {_quoted(reference)}")
        if isinstance(reference, int):
            text = str(reference)
            if len(text) != 12:
                octal = "0" + format(reference, "o")
                meant = f" ('{octal}')" if len(octal) == 12 else ""
                return None, (f"{field}: {reference} is a number, not a 12-digit account ID: YAML reads an unquoted "
                              f"ID that starts with 0 as an octal number; write the ID in quotes{meant}")
            reference = text
        if reference in self.shared_names:
            return None, (f"{field}: the name {_quoted(reference)} is shared by accounts "
                          f"{', '.join(self.shared_names[reference])}; name the account by its ID")
        account_id = self.references.get(reference)
        if account_id is None:
            return None, f"{field}: no account with ID or name {_quoted(reference)} in the organization"
        account = self.by_id.get(account_id) or {"id": account_id, "name": reference, "status": "ACTIVE"}
        if self.is_closed(account):
            why = "not activated yet" if account["status"] == "PENDING_ACTIVATION" else "closed with CloseAccount"
            return None, (f"{field}: account {_quoted(reference)} ({account_id}) is {account['status']} ({why}): "
                          "nothing may be given access or changed in it; remove it from the model")
        return account, None

    def resolve(self, references, field):
        """(accounts in the order given without repeats, problems) for a list of references."""
        accounts, problems, seen = [], [], set()
        for reference in references:
            account, problem = self.lookup(reference, field)
            if problem:
                problems.append(problem)
            elif account["id"] not in seen:
                seen.add(account["id"])
                accounts.append(account)
        return accounts, problems

    def active(self, include_management=True):
        """(active accounts, closed accounts) of the whole organization, each sorted by name."""
        chosen = [a for a in self.accounts if include_management or a["id"] != self.management_account_id]
        return ([a for a in chosen if not self.is_closed(a)], [a for a in chosen if self.is_closed(a)])

    def select(self, references, field):
        """(accounts, closed accounts skipped, problems): `all` (or None) expands to every active account
        and lists the closed ones it skipped; a list is resolved and a closed account named in it is a problem."""
        if references is None or references == "all" or references == ["all"]:
            active, closed = self.active()
            return active, closed, []
        if isinstance(references, (str, int)):
            references = [references]
        accounts, problems = self.resolve(references, field)
        return accounts, [], problems


def read_account_index(organizations):
    """AccountIndex of the organization: DescribeOrganization (the management account) and ListAccounts
    (every account with its status; 20 a page). ListAccounts works from the management account and from a
    delegated administrator of an AWS service (Identity Center's included); another member account gets
    SsoShiftError (ADMINISTRATOR_READ_REFUSAL), before any account is read or written."""
    organization = organizations.describe_organization(aws_retry=True)["Organization"]
    listed = administrator_read(organizations, "list_accounts", "Accounts", organization["MasterAccountId"])
    accounts = [{"id": a["Id"], "name": a["Name"], "email": a.get("Email"), "arn": a.get("Arn"),
                 "status": account_state(a)} for a in listed]
    return AccountIndex(accounts, organization["MasterAccountId"])
