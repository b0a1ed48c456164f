#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: account_password_policy
short_description: The IAM password policy of many accounts, AWS's recommended values by default, in one run
version_added: 1.0.0
description:
  - Sets the IAM account password policy (C(UpdateAccountPasswordPolicy)) in every account named, each in its own
    credentials (the member role), several at a time.
  - Without I(policy) settings, AWS Security Hub's recommendations - minimum length 14 (IAM.15, CIS), upper and lower
    case, numbers and symbols required (IAM.7), no reuse of the last 24 passwords (IAM.16), users may change their own
    password, no periodic expiry (NIST SP 800-63B; set C(max_password_age) to require one).
  - Every setting is sent with each update, since IAM resets a setting left out to its default.
  - Checks I(policy) first (IAM's limits, and at least 14 characters) and fails naming the field and the value before
    any write. Check mode and C(--diff) show each account's change.
  - Amazon's own C(amazon.aws.iam_password_policy) manages one account per task; this module is for the whole
    organization in one task.
options:
  accounts:
    description:
      - The accounts, each a name, a 12-digit ID or C(management); C(all) means every ACTIVE account. Closed accounts
        are skipped by C(all) and refused when named.
    type: list
    elements: raw
    default: [all]
  policy:
    description:
      - Settings that differ from the recommendation - C(minimum_password_length), C(require_symbols),
        C(require_numbers), C(require_uppercase_characters), C(require_lowercase_characters),
        C(allow_users_to_change_password), C(max_password_age) (days), C(password_reuse_prevention), C(hard_expiry).
    type: dict
    default: {}
  state:
    description: C(present) sets the policy; C(absent) deletes it (IAM then applies its weak defaults).
    type: str
    default: present
    choices: [present, absent]
author:
  - ssoshift contributors (@ssoshift)
extends_documentation_fragment:
  - ssoshift.identity_center.accounts
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: AWS's recommended password policy in every account
  ssoshift.identity_center.account_password_policy:

- name: A stricter minimum in two accounts
  ssoshift.identity_center.account_password_policy:
    accounts: [prod, "210987654321"]
    policy:
      minimum_password_length: 20
"""

RETURN = r"""
policy:
  description: The policy set (the recommendation with I(policy) applied).
  returned: always
  type: dict
  contains:
    minimum_password_length:
      description: Minimum length.
      type: int
    require_symbols:
      description: Whether a symbol is required.
      type: bool
    require_numbers:
      description: Whether a number is required.
      type: bool
    require_uppercase_characters:
      description: Whether an upper-case letter is required.
      type: bool
    require_lowercase_characters:
      description: Whether a lower-case letter is required.
      type: bool
    allow_users_to_change_password:
      description: Whether IAM users may change their own password.
      type: bool
    max_password_age:
      description: Days before a password expires, or null for never.
      type: int
    password_reuse_prevention:
      description: How many previous passwords cannot be reused, or null.
      type: int
    hard_expiry:
      description: Whether an expired password needs an administrator to reset it.
      type: bool
accounts:
  description: Per account, whether the policy was (or would be) changed and what changed.
  returned: always
  type: list
  elements: dict
  contains:
    account_id:
      description: Account ID.
      type: str
    account_name:
      description: Account name.
      type: str
    changed:
      description: Whether the policy was (or would be) changed.
      type: bool
    changes:
      description: The settings that change.
      type: list
      elements: str
skipped_accounts:
  description: Closed or not yet active accounts that C(all) left out.
  returned: always
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
  description: Accounts whose policy could not be read or set, each with AWS's error code.
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

from ansible_collections.ssoshift.identity_center.plugins.module_utils import password_policy as engine
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import ACCOUNT_OPTIONS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import AccountSessions
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import failure_message
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import for_each_account
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import PartialFailure
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import read_account_index


def ensure(module):
    params = module.params
    fail_if_problems(engine.policy_problems(params["policy"], "policy"), "invalid password policy")
    index = read_account_index(client(module, "organizations"))
    chosen, skipped, problems = index.select(params["accounts"], "accounts")
    fail_if_problems(problems, "accounts")
    sessions = AccountSessions(module, params["member_role_name"])
    desired = engine.desired_policy(params["policy"])

    def converge(account):
        iam = sessions.client(account["id"], "iam")
        current = engine.read(iam)
        if params["state"] == "absent":
            changes = {} if current is None else {key: (value, None) for key, value in current.items()}
            if changes and not module.check_mode:
                try:
                    iam.delete_account_password_policy(aws_retry=True)
                except is_boto3_error_code("NoSuchEntity"):
                    pass  # already gone (a repeat after a dropped connection)
            return current, changes
        changes = engine.plan(desired, current)
        if changes and not module.check_mode:
            engine.write(iam, desired)
        return current, changes

    results, failures = for_each_account(chosen, converge, params["max_account_workers"])
    accounts, diff = [], {"before": {}, "after": {}}
    for account in chosen:
        if account["id"] not in results:
            continue
        current, changes = results[account["id"]]
        accounts.append({"account_id": account["id"], "account_name": account["name"], "changed": bool(changes),
                         "changes": sorted(changes)})
        if changes:
            diff["before"][account["name"]] = current
            diff["after"][account["name"]] = desired if params["state"] == "present" else None
    result = dict(changed=any(a["changed"] for a in accounts), accounts=accounts, diff=diff,
                  policy=desired if params["state"] == "present" else {},
                  skipped_accounts=[{"account_id": a["id"], "account_name": a["name"], "status": a["status"]}
                                    for a in skipped])
    if failures:
        raise PartialFailure(failure_message(failures, index, "the password policy"),
                             dict(result, failed_accounts=[f.to_result(index) for f in failures]))
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(accounts=dict(type="list", elements="raw", default=["all"]),
                           policy=dict(type="dict", default={}),
                           state=dict(type="str", default="present", choices=["present", "absent"]),
                           **ACCOUNT_OPTIONS),
        supports_check_mode=True,
    )
    module.exit_json(**run(module, lambda: ensure(module), "Failed to converge the password policy"))


if __name__ == "__main__":
    main()
