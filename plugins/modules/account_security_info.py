#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: account_security_info
short_description: Security posture of an AWS account, before and after the move to IAM Identity Center
version_added: 1.0.0
description:
  - Returns checks with a stable C(id), a C(status) (C(pass), C(fail) or C(unknown)), the C(evidence), and the
    matching Prowler check and AWS Security Hub control where one exists.
  - Root MFA (C(iam_root_mfa_enabled), IAM.9), no root access keys (C(iam_no_root_access_key), IAM.4), root
    hardware MFA (IAM.6), centralized root access, password policy (IAM.15), IAM users with console passwords,
    with active access keys (and their last use), with AdministratorAccess, with directly attached policies
    (IAM.2), credentials unused for longer than I(unused_days) (IAM.22), the security alternate contact
    (Account.1), and whether IAM Identity Center is enabled.
  - Uses the IAM credential report (generated and waited for; its C(N/A), C(not_supported) and C(no_information)
    values read as absent) and the IAM, Account Management and Identity Center APIs. A read the caller may not
    make, or the endpoint does not implement, makes its check C(unknown) with the reason.
  - Reads only. Without I(accounts), reads the caller's own account. With I(accounts), reads every account named (or
    every ACTIVE account with C(all)) in one run, each with its own credentials (the member role), several at a
    time; the organization-level facts (IAM's organizations features, the Identity Center instance) are read once
    from the caller, where AWS allows them (the management account or a delegated administrator).
  - Closed accounts (C(SUSPENDED), C(PENDING_CLOSURE), C(CLOSED)) are never reached - C(all) lists them in
    C(closed_accounts); naming one in I(accounts) is an error, before any read in any account.
  - Where the caller may not read a fact (C(AccessDenied); IAM's organizations features from a member account,
    C(AccountNotManagementOrDelegatedAdministratorException)), its check is C(unknown) with the reason; without
    trusted access for C(iam.amazonaws.com) (C(ServiceAccessNotEnabledException)) centralized root access is not
    enabled, so that check fails, saying why.
options:
  unused_days:
    description: A credential not used for longer than this many days counts as unused (Security Hub IAM.22 uses 45).
    type: int
    default: 45
  accounts:
    description:
      - The accounts to read, each an account name, a 12-digit ID or C(management); C(all) reads every ACTIVE account of
        the organization.
      - Omitted, the module reads the caller's own account and returns C(account_id), C(checks) and C(summary) at the
        top level.
    type: list
    elements: raw
  audit_root_credentials:
    description:
      - With I(accounts), where centralized root access is enabled (C(RootCredentialsManagement) and C(RootSessions)),
        read each member account's root credentials through a privileged root session (C(sts:AssumeRoot) with the
        AWS-managed C(IAMAuditRootUserCredentials) task policy). A member account whose root user holds no password,
        access key, signing certificate or MFA device passes the root checks, with that as the evidence.
      - Never for the management account. A root session that cannot be opened leaves the account summary's answer.
    type: bool
    default: true
  fail_on:
    description:
      - Check IDs (for example C(root_mfa), C(root_no_access_keys)) whose failure in any account read fails the task,
        after every account was read, listing each account and check. Empty - findings are reported, never fatal.
    type: list
    elements: str
    default: []
author:
  - ssoshift contributors (@ssoshift)
extends_documentation_fragment:
  - ssoshift.identity_center.accounts
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Posture before the migration
  ssoshift.identity_center.account_security_info:
  register: posture_before

- name: Posture of every active account of the organization, read from the management account
  ssoshift.identity_center.account_security_info:
    accounts: all
  register: organization_posture

- name: Show what fails
  ansible.builtin.debug:
    msg: "{{ posture_before.checks | selectattr('status', 'equalto', 'fail') | map(attribute='title') | list }}"
"""

RETURN = r"""
account_id:
  description: The account assessed.
  returned: without I(accounts)
  type: str
checks:
  description: The checks.
  returned: without I(accounts)
  type: list
  elements: dict
  contains:
    id:
      description: Stable check ID, for example C(root_mfa).
      type: str
    title:
      description: What the check asserts.
      type: str
    status:
      description: C(pass), C(fail) or C(unknown).
      type: str
    evidence:
      description: What the status rests on.
      type: dict
    prowler:
      description: Matching Prowler check ID, or null.
      type: str
    security_hub:
      description: Matching AWS Security Hub control ID, or null.
      type: str
summary:
  description: How many checks pass, fail and are unknown (over every account read, with I(accounts)).
  returned: always
  type: dict
  sample: {"pass": 6, "fail": 5, "unknown": 1}
  contains:
    pass:
      description: Checks that pass.
      type: int
    fail:
      description: Checks that fail.
      type: int
    unknown:
      description: Checks that could not be read, each with the reason in its evidence.
      type: int
accounts:
  description: One item per account read, sorted by name; each has C(account_id), C(account_name), C(checks) (as above)
    and C(summary).
  returned: with I(accounts)
  type: list
  elements: dict
  contains:
    account_id:
      description: Account ID.
      type: str
    account_name:
      description: Account name in AWS Organizations.
      type: str
    checks:
      description: The account's checks, as C(checks) above.
      type: list
      elements: dict
      contains:
        id:
          description: Stable check ID.
          type: str
        title:
          description: What the check asserts.
          type: str
        status:
          description: C(pass), C(fail) or C(unknown).
          type: str
        evidence:
          description: What the status rests on.
          type: dict
        prowler:
          description: Matching Prowler check ID, or null.
          type: str
        security_hub:
          description: Matching AWS Security Hub control ID, or null.
          type: str
    summary:
      description: The account's pass, fail and unknown counts.
      type: dict
      contains:
        pass:
          description: Checks that pass.
          type: int
        fail:
          description: Checks that fail.
          type: int
        unknown:
          description: Checks that could not be read.
          type: int
    line:
      description: One line for people - the account, its counts and the IDs of its failing checks.
      type: str
closed_accounts:
  description: Accounts of the organization that are closed or not activated, so were not read (with C(accounts=all)).
  returned: with I(accounts)
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
      description: The account's state (C(SUSPENDED), C(PENDING_CLOSURE), C(CLOSED), C(PENDING_ACTIVATION)).
      type: str
blocking:
  description: The findings listed in I(fail_on), each as the account name, a colon and the check ID; the task fails when there is one.
  returned: when a check of I(fail_on) fails
  type: list
  elements: str
failed_accounts:
  description: Accounts that could not be read, each with AWS's error code; the task fails when there is one.
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
      description: AWS's error code (for example C(AccessDenied) from C(sts:AssumeRole)).
      type: str
    operation:
      description: The API operation that failed, when known.
      type: str
    message:
      description: What went wrong and what to do.
      type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils import root_credentials
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import ACCOUNT_OPTIONS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import AccountFailure
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import AccountSessions
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import failure_message
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import for_each_account
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import PartialFailure
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import read_account_index
from ansible_collections.ssoshift.identity_center.plugins.module_utils.posture import assess
from ansible_collections.ssoshift.identity_center.plugins.module_utils.posture import blocking_findings
from ansible_collections.ssoshift.identity_center.plugins.module_utils.posture import combine
from ansible_collections.ssoshift.identity_center.plugins.module_utils.posture import gather
from ansible_collections.ssoshift.identity_center.plugins.module_utils.posture import gather_account
from ansible_collections.ssoshift.identity_center.plugins.module_utils.posture import gather_organization
from ansible_collections.ssoshift.identity_center.plugins.module_utils.posture import summarize


def read(module):
    if module.params["unused_days"] < 1:
        raise SsoShiftError(f"unused_days: must be 1 or more, got {module.params['unused_days']}")
    if module.params["accounts"] is not None:
        return read_many(module)
    facts = gather(client(module, "iam"), client(module, "account"), client(module, "sso-admin"))
    checks = assess(facts, module.params["unused_days"])
    account_id = client(module, "sts").get_caller_identity(aws_retry=True)["Account"]
    result = dict(changed=False, account_id=account_id, checks=checks, summary=summarize(checks))
    blocking = blocking_findings([{"account_name": account_id, "checks": checks}], module.params["fail_on"])
    if blocking:
        raise PartialFailure(f"Findings listed in fail_on: {'; '.join(blocking)}", dict(result, blocking=blocking))
    return result


def audit_member_root(sessions, account_id, facts):
    """A member account's root credentials through a root session (IAMAuditRootUserCredentials), for the root
    checks; None (with the reason in the facts) when the session cannot be opened."""
    try:
        return root_credentials.facts_for_posture(root_credentials.read(
            sessions.root_client(account_id, root_credentials.AUDIT)))
    except AccountFailure as failure:
        facts["unknown"]["root_credentials"] = f"{failure.code}: {failure.message}"
        return None


def read_many(module):
    index = read_account_index(client(module, "organizations"))
    chosen, closed, problems = index.select(module.params["accounts"], "accounts")
    fail_if_problems(problems, "accounts")
    sessions = AccountSessions(module, module.params["member_role_name"])
    organization_facts = gather_organization(client(module, "iam"), client(module, "sso-admin"))

    audit_root = module.params["audit_root_credentials"] and set(
        organization_facts.get("organizations_features") or []) >= root_credentials.FEATURES

    def posture_of(account):
        facts = gather_account(sessions.client(account["id"], "iam"),
                               read_contact=lambda kind: sessions.get_alternate_contact(account["id"], kind))
        if audit_root and account["id"] != index.management_account_id:
            facts["root_credentials"] = audit_member_root(sessions, account["id"], facts)
        checks = assess(combine(facts, organization_facts), module.params["unused_days"])
        summary = summarize(checks)
        failing = ", ".join(c["id"] for c in checks if c["status"] == "fail") or "none"
        return {"account_id": account["id"], "account_name": account["name"], "checks": checks, "summary": summary,
                "line": f"{account['name']} ({account['id']}): {summary['pass']} pass, {summary['fail']} fail, "
                        f"{summary['unknown']} unknown; failing: {failing}"}

    results, failures = for_each_account(chosen, posture_of, module.params["max_account_workers"])
    accounts = [results[a["id"]] for a in chosen if a["id"] in results]
    result = dict(changed=False, accounts=accounts,
                  summary=summarize([c for a in accounts for c in a["checks"]]),
                  closed_accounts=[{"account_id": a["id"], "account_name": a["name"], "status": a["status"]}
                                   for a in closed])
    if failures:
        raise PartialFailure(failure_message(failures, index, "the posture"),
                             dict(result, failed_accounts=[f.to_result(index) for f in failures]))
    blocking = blocking_findings(accounts, module.params["fail_on"])
    if blocking:
        raise PartialFailure(f"Findings listed in fail_on: {'; '.join(blocking)}", dict(result, blocking=blocking))
    return result


def main():
    module = AnsibleAWSModule(argument_spec=dict(unused_days=dict(type="int", default=45),
                                                 accounts=dict(type="list", elements="raw"),
                                                 fail_on=dict(type="list", elements="str", default=[]),
                                                 audit_root_credentials=dict(type="bool", default=True),
                                                 **ACCOUNT_OPTIONS),
                              supports_check_mode=True)
    module.exit_json(**run(module, lambda: read(module), "Failed to read the account's security posture"))


if __name__ == "__main__":
    main()
