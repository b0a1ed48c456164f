#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: break_glass_roles
short_description: The break-glass role (and its alert) in every account the access model names, in one run
version_added: 1.0.0
description:
  - Takes the access model's C(break_glass) section (docs/break-glass.md) and converges, in every account it names
    (C(all) - every ACTIVE account), the emergency role - trusted by the named IAM principals only, with MFA (and,
    with C(mfa_max_age), recent MFA) - its managed policies, maximum session, description and tags, and optionally
    an EventBridge rule that sends every C(AssumeRole) of the role to an SNS topic.
  - The root user cannot assume IAM roles; account principals (C(arn:aws:iam::ACCOUNT:root)) and wildcards are
    refused, as AWS's emergency-access guidance recommends named break-glass identities.
  - Ownership - a role of that name that the collection did not create (no C(managed-by=ssoshift.identity_center)
    tag) is refused unless the section says C(adopt=true); names that belong to AWS or to the operator's access path
    (the run's member role, C(OrganizationAccountAccessRole), C(AWSControlTowerExecution), C(AWSReservedSSO_*)) and
    the name of a CI/CD role of the model are refused even then.
  - Works in many accounts at once (the member role); reads every account first and writes only when no account
    refused anything. Closed accounts are skipped by C(all) and refused when named.
  - Check mode reads and plans without writing; C(--diff) shows each account's changes.
options:
  break_glass:
    description:
      - The access model's C(break_glass) section - C(role_name), C(accounts), C(trusted_principals) and optional
        C(max_session_duration), C(mfa_max_age), C(managed_policies), C(description), C(tags), C(alert_topic_arn),
        C(adopt). An empty section means no break-glass role, and nothing is done.
    type: dict
    required: true
  automation_roles:
    description: The access model's C(automation_roles), only to refuse a break-glass role name that a CI/CD role uses.
    type: list
    elements: dict
    default: []
  tags:
    description: Tags the role gets besides the ownership tag; the section's own tags win.
    type: dict
    default: {purpose: break-glass}
  limit_accounts:
    description:
      - Act only in these accounts (names or IDs) of those the model names, for runs sliced over the
        C(organization_accounts) inventory (AWX job slicing); the model is still checked as a whole.
    type: list
    elements: raw
author:
  - ssoshift contributors (@ssoshift)
extends_documentation_fragment:
  - ssoshift.identity_center.accounts
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Break-glass role in every active account
  ssoshift.identity_center.break_glass_roles:
    break_glass:
      role_name: BreakGlassAdmin
      accounts: all
      trusted_principals: [arn:aws:iam::123456789012:user/break-glass]
      alert_topic_arn: arn:aws:sns:eu-west-1:123456789012:security-alerts
"""

RETURN = r"""
roles:
  description: The break-glass role of every account, sorted by account name.
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
    role_name:
      description: Role name.
      type: str
    role_arn:
      description: Role ARN.
      type: str
    trusted_principals:
      description: The IAM principals that may assume it (with MFA).
      type: list
      elements: str
    max_session_duration:
      description: Maximum session, in seconds.
      type: int
    alert_rule:
      description: ARN of the EventBridge rule that alerts on its use, or an empty string.
      type: str
    action:
      description: C(create), C(adopt), C(update) or C(unchanged).
      type: str
    changes:
      description: The role's attributes that change (or would).
      type: list
      elements: str
skipped_accounts:
  description: Closed or not yet active accounts that C(accounts=all) left out.
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
  description: Accounts that could not be reached or changed, each with AWS's error code; the task fails when there is
    one, after every other account converged.
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
      description: The API operation that failed, when known.
      type: str
    message:
      description: What went wrong.
      type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import ACCOUNT_OPTIONS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import AccountSessions
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import failure_message
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import limited
from ansible_collections.ssoshift.identity_center.plugins.module_utils.automation import break_glass_plan
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import PartialFailure
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_roles import apply_role
from ansible_collections.ssoshift.identity_center.plugins.module_utils.member_roles import apply_alert
from ansible_collections.ssoshift.identity_center.plugins.module_utils.member_roles import plan_alert
from ansible_collections.ssoshift.identity_center.plugins.module_utils.member_roles import plan_one_role
from ansible_collections.ssoshift.identity_center.plugins.module_utils.member_roles import role_diff
from ansible_collections.ssoshift.identity_center.plugins.module_utils.member_roles import run_passes
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import read_account_index


def ensure(module):
    params = module.params
    if not params["break_glass"]:
        return dict(changed=False, roles=[], skipped_accounts=[])
    index = read_account_index(client(module, "organizations"))
    sessions = AccountSessions(module, params["member_role_name"])
    sessions.caller()
    plans, skipped = break_glass_plan(params["break_glass"], index, sessions.partition, params["tags"],
                                      params["member_role_name"], params["automation_roles"])
    by_id = {plan["account_id"]: plan for plan in plans}
    targets = limited([index.by_id[account_id] for account_id in by_id], index, params["limit_accounts"])

    def read_account(account):
        plan = by_id[account["id"]]
        role, refusal = plan_one_role(sessions.client(account["id"], "iam"), plan,
                                      f"break_glass.role_name in account {index.label(account['id'])}")
        if refusal:
            return None, [refusal]
        alert = plan_alert(sessions.client(account["id"], "events"), plan["alert"], plan["role_name"])
        return {"role": role, "alert": alert}, []

    def apply_account(account, planned):
        if planned["role"]["action"] != "unchanged":
            apply_role(sessions.client(account["id"], "iam"), planned["role"]["desired"], planned["role"]["current"],
                       planned["role"]["changes"])
        if planned["alert"] is not None:
            return apply_alert(sessions.client(account["id"], "events"), planned["alert"])
        return ""

    planned_accounts, applied, failures = run_passes(targets, read_account, apply_account, module.check_mode,
                                                     params["max_account_workers"])
    roles, diff, changed = [], {"before": {}, "after": {}}, False
    for account in targets:
        planned = planned_accounts.get(account["id"])
        if planned is None:
            continue
        plan, role, alert = by_id[account["id"]], planned["role"], planned["alert"]
        alert_changes = alert is not None and alert["action"] != "unchanged"
        changed = changed or role["action"] != "unchanged" or alert_changes
        roles.append({"account_id": account["id"], "account_name": account["name"], "role_name": plan["role_name"],
                      "role_arn": plan["role_arn"], "trusted_principals": plan["trusted_principals"],
                      "max_session_duration": plan["max_session_duration"],
                      "alert_rule": applied.get(account["id"]) or (alert or {}).get("arn") or "",
                      "action": role["action"], "changes": [c["attribute"] for c in role["changes"]]})
        if role["action"] != "unchanged":
            diff["before"][account["name"]], diff["after"][account["name"]] = role_diff(role)
        if alert_changes:
            diff["after"].setdefault(account["name"], {})["alert_rule"] = alert["name"]
    result = dict(changed=changed, roles=roles, diff=diff,
                  skipped_accounts=[{"account_id": a["id"], "account_name": a["name"], "status": a["status"]}
                                    for a in skipped])
    if failures:
        raise PartialFailure(failure_message(failures, index, "the break-glass roles"),
                             dict(result, failed_accounts=[f.to_result(index) for f in failures]))
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(break_glass=dict(type="dict", required=True),
                           automation_roles=dict(type="list", elements="dict", default=[]),
                           tags=dict(type="dict", default={"purpose": "break-glass"}), limit_accounts=dict(type="list", elements="raw"), **ACCOUNT_OPTIONS),
        supports_check_mode=True,
    )
    module.exit_json(**run(module, lambda: ensure(module), "Failed to converge the break-glass roles"))


if __name__ == "__main__":
    main()
