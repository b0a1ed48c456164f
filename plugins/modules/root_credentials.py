#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: root_credentials
short_description: Audit, or remove, the root user credentials of member accounts centrally
version_added: 1.0.0
description:
  - With centralized root access enabled (M(ssoshift.identity_center.root_access_management) - C(RootCredentialsManagement)
    and C(RootSessions)), opens a privileged root session in each member account (C(sts:AssumeRoot), at most 900
    seconds, from the management account or the IAM delegated administrator) and reads whether its root user holds a
    password, access keys, signing certificates or MFA devices (the AWS-managed task policy
    C(IAMAuditRootUserCredentials)).
  - With I(state=absent), removes them (C(IAMDeleteRootUserCredentials)) - the password, the access keys, the signing
    certificates, then the MFA devices - which is AWS's recommendation for member accounts, so nobody can sign in as
    their root user. Recovering a root password afterwards needs a new centralized root session
    (C(IAMCreateRootUserPassword)).
  - Never acts on the management account - AWS refuses a root session there, and its root user stays a person's
    (hardware MFA, console only). Naming it is an error; C(all) leaves it out.
  - Reads every account first; check mode and C(--diff) show each account's before and after, and no secret is ever
    read (IAM returns none).
options:
  accounts:
    description: Member accounts by name or ID; C(all) means every ACTIVE member account.
    type: list
    elements: raw
    default: [all]
  state:
    description: C(audited) reads only; C(absent) removes every root credential.
    type: str
    default: audited
    choices: [audited, absent]
author:
  - ssoshift contributors (@ssoshift)
extends_documentation_fragment:
  - ssoshift.identity_center.accounts
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: What root credentials the member accounts still hold
  ssoshift.identity_center.root_credentials:
  register: roots

- name: Remove them, centrally
  ssoshift.identity_center.root_credentials:
    state: absent
"""

RETURN = r"""
accounts:
  description: Per member account, its root credentials before and after, and what was removed.
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
      description: C(none) (holds no root credential), C(audited) (holds some, not removed) or C(deleted) (removed in
        this run, or would be in check mode).
      type: str
    before:
      description: How many of each kind the root user held.
      type: dict
      contains:
        password:
          description: 1 when it had a password.
          type: int
        access_keys:
          description: Access keys.
          type: int
        signing_certificates:
          description: Signing certificates.
          type: int
        mfa_devices:
          description: MFA devices.
          type: int
    after:
      description: The same counts after the run.
      type: dict
      contains:
        password:
          description: 1 when it has a password.
          type: int
        access_keys:
          description: Access keys.
          type: int
        signing_certificates:
          description: Signing certificates.
          type: int
        mfa_devices:
          description: MFA devices.
          type: int
    deleted:
      description: What was (or would be) removed.
      type: list
      elements: str
failed_accounts:
  description: Accounts where no root session could be opened, or a removal failed, each with AWS's error code.
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

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils import root_credentials as engine
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import ACCOUNT_OPTIONS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import AccountSessions
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import failure_message
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import for_each_account
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import PartialFailure
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import read_account_index

EMPTY = {"password": False, "access_keys": [], "signing_certificates": [], "mfa_devices": []}


def converge(module):
    params = module.params
    index = read_account_index(client(module, "organizations"))
    chosen, dummy, problems = index.select(params["accounts"], "accounts")
    fail_if_problems(problems, "accounts")
    management = index.management_account_id
    if any(account["id"] == management for account in chosen):
        if params["accounts"] not in (["all"], "all"):
            raise SsoShiftError(f"accounts: {index.label(management)} is the management account: its root user is never "
                                "handled by the collection (AWS refuses a root session there; secure it with "
                                "hardware MFA in the console)")
        chosen = [account for account in chosen if account["id"] != management]
    sessions = AccountSessions(module, params["member_role_name"])
    sessions.caller()

    def one(account):
        found = engine.read(sessions.root_client(account["id"], engine.AUDIT))
        steps = engine.plan_removal(found) if params["state"] == "absent" else []
        done = []
        if steps and not module.check_mode:
            done = engine.apply(sessions.root_client(account["id"], engine.DELETE), steps)
        after = EMPTY if steps else found
        return found, after, done or [description for dummy, dummy2, description in steps]

    results, failures = for_each_account(chosen, one, params["max_account_workers"])
    accounts, diff = [], {"before": {}, "after": {}}
    for account in chosen:
        if account["id"] not in results:
            continue
        found, after, deleted = results[account["id"]]
        status = "deleted" if deleted else ("audited" if engine.holds_any(found) else "none")
        accounts.append({"account_id": account["id"], "account_name": account["name"], "status": status,
                         "before": engine.counts(found), "after": engine.counts(after), "deleted": deleted})
        if deleted:
            diff["before"][account["name"]], diff["after"][account["name"]] = engine.counts(found), engine.counts(after)
    result = dict(changed=any(a["deleted"] for a in accounts), accounts=accounts, diff=diff)
    if failures:
        raise PartialFailure(failure_message(failures, index, "the root credentials"),
                             dict(result, failed_accounts=[f.to_result(index) for f in failures]))
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(accounts=dict(type="list", elements="raw", default=["all"]),
                           state=dict(type="str", default="audited", choices=["audited", "absent"]),
                           **ACCOUNT_OPTIONS),
        supports_check_mode=True,
    )
    module.exit_json(**run(module, lambda: converge(module), "Failed to handle the member accounts' root credentials"))


if __name__ == "__main__":
    main()
