#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: alternate_contact
short_description: Manage the billing, operations or security alternate contact of an AWS account
version_added: 1.0.0
description:
  - Sets or removes one alternate contact of an account with the AWS Account Management API.
  - Without I(account_id) it acts on the caller's account. With I(account_id), on that member account, from the
    management account (or the delegated administrator) with trusted access for C(account.amazonaws.com).
  - With I(accounts) (names, IDs, C(management), or C(all) for every ACTIVE account) or I(account_ids) it sets the
    same contact on many accounts in one task, several accounts at a time (one process, no loop); the caller's own
    account is addressed without C(AccountId), as the Account Management API requires. Closed accounts are skipped
    by C(all) and refused when named. An account that fails does not stop the others; the task fails at the end
    naming it with AWS's error code.
  - The email address and phone number are checked before any call; nothing is changed when they are invalid.
  - AWS Security Hub control Account.1 expects a security contact on every account.
options:
  contact_type:
    description: Which contact.
    type: str
    required: true
    choices: [billing, operations, security]
  name:
    description: Name of the contact. Required with I(state=present).
    type: str
  title:
    description: Title of the contact. Required with I(state=present).
    type: str
  email:
    description: Email address. Required with I(state=present).
    type: str
  phone:
    description: Phone number, digits with an optional leading C(+), spaces, dashes and parentheses.
      Required with I(state=present).
    type: str
  account_id:
    description: 12-digit ID of a member account; the caller's own account when unset.
    type: str
  account_ids:
    description:
      - 12-digit IDs of the accounts to set the contact on, in one task. May include the caller's own account.
      - Mutually exclusive with I(account_id).
    type: list
    elements: str
  accounts:
    description:
      - The accounts to set the contact on, each a name, a 12-digit ID or C(management), or C(all) for every ACTIVE
        account of the organization. Mutually exclusive with I(account_id) and I(account_ids).
    type: list
    elements: raw
  max_account_workers:
    description: How many accounts are worked on at once with I(accounts) or I(account_ids).
    type: int
    default: 10
  member_role_name:
    description:
      - Where C(AccountId) is refused (no trusted access for C(account.amazonaws.com) yet, or a caller that is neither
        the management account nor Account Management's delegated administrator), the contact is read and set inside
        the account, through this role (an account may always manage its own contacts).
    type: str
    default: OrganizationAccountAccessRole
  state:
    description: Whether the contact is set.
    type: str
    default: present
    choices: [present, absent]
author:
  - ssoshift contributors (@ssoshift)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Security contact of the management account
  ssoshift.identity_center.alternate_contact:
    contact_type: security
    name: Security team
    title: CISO office
    email: security@example.com
    phone: "+44 20 7946 0000"

- name: The same on a member account
  ssoshift.identity_center.alternate_contact:
    account_id: "210987654321"
    contact_type: security
    name: Security team
    title: CISO office
    email: security@example.com
    phone: "+44 20 7946 0000"

- name: Operations contact on every account of the organization
  ssoshift.identity_center.alternate_contact:
    account_ids: "{{ organization_details.accounts | map(attribute='id') | list }}"
    contact_type: operations
    name: Platform on-call
    title: Operations
    email: ops@example.com
    phone: "+44 20 7946 0001"
"""

RETURN = r"""
contact:
  description: The contact after the change (C(name), C(title), C(email), C(phone), C(contact_type)); empty when absent.
  returned: always
  type: dict
  contains:
    name:
      description: Contact name.
      type: str
    title:
      description: Contact title.
      type: str
    email:
      description: Contact email address.
      type: str
    phone:
      description: Contact phone number.
      type: str
    contact_type:
      description: C(billing), C(operations) or C(security).
      type: str
accounts:
  description: With I(accounts) or I(account_ids), per account whether its contact was (or would be) changed.
  returned: when accounts or account_ids is given
  type: list
  elements: dict
  sample: [{"account_id": "210987654321", "account_name": "prod", "changed": true}]
  contains:
    account_id:
      description: Account ID.
      type: str
    account_name:
      description: Account name (with I(accounts)).
      type: str
    changed:
      description: Whether the contact was (or would be) changed.
      type: bool
skipped_accounts:
  description: Closed or not yet active accounts that C(accounts=all) left out.
  returned: when accounts is given
  type: list
  elements: dict
  contains:
    account_id:
      description: Account ID.
      type: str
    account_name:
      description: Account name.
      type: str
    status:
      description: The account's state.
      type: str
failed_accounts:
  description: Accounts whose contact could not be read or set, each with AWS's error code.
  returned: when an account failed
  type: list
  elements: dict
  contains:
    account_id:
      description: Account ID.
      type: str
    account_name:
      description: Account name.
      type: str
    error_code:
      description: AWS's error code.
      type: str
    operation:
      description: The API operation that failed.
      type: str
    message:
      description: What went wrong.
      type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import AccountSessions
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import failure_message
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import for_each_account
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import PartialFailure
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import read_account_index
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import ACCOUNT_ID
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import validate_contact

FIELDS = {"name": "Name", "title": "Title", "email": "EmailAddress", "phone": "PhoneNumber"}


def problems_of(params):
    account_ids = ([params["account_id"]] if params["account_id"] is not None else []) + (params["account_ids"] or [])
    if params["max_account_workers"] < 1:
        return [f"max_account_workers: must be 1 or more, got {params['max_account_workers']}"]
    problems = [f"account_id: must be 12 digits, got '{account_id}'"
                for account_id in account_ids if not ACCOUNT_ID.match(str(account_id))]
    if params["state"] == "present":
        problems.extend(validate_contact(params))
    return problems


def ensure_one(account, params, target, check_mode):
    """Converge the contact of one account; returns (changed, before, after)."""
    contact_type = params["contact_type"].upper()
    try:
        current = account.get_alternate_contact(AlternateContactType=contact_type, aws_retry=True,
                                                **target)["AlternateContact"]
        before = {field: current.get(key) for field, key in FIELDS.items()}
    except is_boto3_error_code("ResourceNotFoundException"):
        before = {}
    if params["state"] == "absent":
        if before and not check_mode:
            account.delete_alternate_contact(AlternateContactType=contact_type, aws_retry=True, **target)
        return bool(before), before, {}
    after = {field: params[field] for field in FIELDS}
    if after != before and not check_mode:
        account.put_alternate_contact(AlternateContactType=contact_type, aws_retry=True, **target,
                                      **{key: params[field] for field, key in FIELDS.items()})
    return after != before, before, after


def ensure(module):
    params = module.params
    fail_if_problems(problems_of(params), "invalid alternate contact")
    account = client(module, "account")
    contact = {} if params["state"] == "absent" else dict(
        {field: params[field] for field in FIELDS}, contact_type=params["contact_type"])
    if params["account_ids"] is None and params["accounts"] is None:
        target = {"AccountId": params["account_id"]} if params["account_id"] else {}
        changed, before, after = ensure_one(account, params, target, module.check_mode)
        result = dict(changed=changed, contact=contact)
        if changed:
            result["diff"] = dict(before=before, after=after)
        return result
    index, skipped = None, []
    if params["accounts"] is not None:
        index = read_account_index(client(module, "organizations"))
        chosen, skipped, problems = index.select(params["accounts"], "accounts")
        fail_if_problems(problems, "accounts")
    else:
        chosen = [{"id": account_id, "name": account_id} for account_id in sorted(set(params["account_ids"]))]
    # The Account Management API refuses AccountId for the caller's own account.
    sessions = AccountSessions(module, params["member_role_name"])
    caller = sessions.caller_account_id()

    def one(target_account):
        if target_account["id"] == caller:
            return ensure_one(account, params, {}, module.check_mode)
        try:
            return ensure_one(account, params, {"AccountId": target_account["id"]}, module.check_mode)
        except is_boto3_error_code("AccessDeniedException"):
            # AccountId works only from the management account (or Account Management's delegated administrator)
            # once trusted access for account.amazonaws.com is enabled (AWS Account Management API reference). Any
            # account may read and write its own contacts: do it inside the account, through the member role.
            return ensure_one(sessions.client(target_account["id"], "account"), params, {}, module.check_mode)

    results, failures = for_each_account(chosen, one, params["max_account_workers"])
    accounts, before_all, after_all = [], {}, {}
    for target_account in chosen:
        if target_account["id"] not in results:
            continue
        changed, before, after = results[target_account["id"]]
        accounts.append({"account_id": target_account["id"], "changed": changed}
                        if index is None else {"account_id": target_account["id"],
                                               "account_name": target_account["name"], "changed": changed})
        if changed:
            before_all[target_account["id"]], after_all[target_account["id"]] = before, after
    result = dict(changed=bool(after_all), contact=contact, accounts=accounts,
                  diff=dict(before=before_all, after=after_all))
    if index is not None:
        result["skipped_accounts"] = [{"account_id": a["id"], "account_name": a["name"], "status": a["status"]}
                                      for a in skipped]
    if failures:
        raise PartialFailure(failure_message(failures, index, f"the {params['contact_type']} contact"),
                             dict(result, failed_accounts=[f.to_result(index) for f in failures]))
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            contact_type=dict(type="str", required=True, choices=["billing", "operations", "security"]),
            name=dict(type="str"),
            title=dict(type="str"),
            email=dict(type="str"),
            phone=dict(type="str"),
            account_id=dict(type="str"),
            account_ids=dict(type="list", elements="str"),
            accounts=dict(type="list", elements="raw"),
            max_account_workers=dict(type="int", default=10),
            member_role_name=dict(type="str", default="OrganizationAccountAccessRole"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        ),
        mutually_exclusive=[("account_id", "account_ids", "accounts")],
        supports_check_mode=True,
    )
    module.exit_json(**run(module, lambda: ensure(module), "Failed to manage the alternate contact"))


if __name__ == "__main__":
    main()
