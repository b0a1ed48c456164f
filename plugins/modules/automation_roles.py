#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: automation_roles
short_description: OIDC providers and CI/CD roles in every account the access model names, in one run
version_added: 1.0.0
description:
  - Takes the access model's C(automation_roles) section (docs/automation-roles.md) and converges, in every account
    the entries name, the IAM OIDC identity provider of each issuer (audiences merged over the entries that use it)
    and each CI/CD role - its trust policy (audience always required, exact subjects), managed and inline policies,
    permissions boundary, maximum session, description and tags. Policies and inline policies the entry does not
    list are removed from the role.
  - Works in many accounts at once (the member role, see I(member_role_name)); reads every account first, and writes
    only when no account refused anything.
  - Ownership - the collection tags what it creates C(managed-by=ssoshift.identity_center). A role or OIDC provider
    that exists without that tag is refused, naming it, unless its entry says C(adopt=true). Names that belong to
    AWS or to the way the operator reaches member accounts are refused even then - the member role of the run,
    C(OrganizationAccountAccessRole), C(AWSControlTowerExecution), C(AWSReservedSSO_*), C(AWSServiceRoleFor*) and
    roles on the C(/aws-service-role/) or C(/aws-reserved/) paths.
  - An OIDC provider may already serve other pipelines, so audiences and tags are only ever added to it.
  - Invalid entries (unsafe subjects such as C(*), wildcards in the owner, missing audiences), unknown and closed
    accounts fail before any call that writes, each naming the field and the value.
  - Check mode reads and plans without writing; C(--diff) shows each role's and provider's changes per account.
options:
  automation_roles:
    description:
      - The access model's C(automation_roles), a list of C(name), C(accounts), C(oidc), C(subjects) and optional
        C(allow_wildcard_subjects), C(managed_policies), C(inline_policies), C(permissions_boundary),
        C(max_session_duration), C(description), C(tags), C(replaces_iam_users) and C(adopt) (docs/automation-roles.md).
    type: list
    elements: dict
    required: true
  tags:
    description: Tags every role gets besides the ownership tag; an entry's own tags win.
    type: dict
    default: {}
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
- name: CI/CD roles of the access model in every account they name
  ssoshift.identity_center.automation_roles:
    automation_roles: "{{ automation_roles }}"
  register: automation

- name: Take over a role that an older pipeline created by hand
  ssoshift.identity_center.automation_roles:
    automation_roles:
      - name: deploy
        accounts: [prod]
        oidc: github
        subjects: ["repo:acme/app:environment:prod"]
        adopt: true
"""

RETURN = r"""
roles:
  description: Every CI/CD role of the model, one item per account and role, sorted by account name.
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
    provider_arn:
      description: ARN of the OIDC provider the role trusts.
      type: str
    subjects:
      description: The token subjects (C(sub)) the role accepts.
      type: list
      elements: str
    action:
      description: C(create), C(adopt), C(update) or C(unchanged) (what was done, or would be in check mode).
      type: str
accounts:
  description: Per account, what was (or would be) done to each provider and role.
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
      description: Whether anything changed (or would) in the account.
      type: bool
    providers:
      description: OIDC providers of the account.
      type: list
      elements: dict
      contains:
        url:
          description: The issuer URL.
          type: str
        arn:
          description: The provider's ARN.
          type: str
        action:
          description: C(create), C(adopt), C(update) or C(unchanged).
          type: str
        changes:
          description: What changes (C(add_client_ids), C(thumbprints), C(tag), C(create)).
          type: list
          elements: str
    roles:
      description: Roles of the account.
      type: list
      elements: dict
      contains:
        name:
          description: Role name.
          type: str
        action:
          description: C(create), C(adopt), C(update) or C(unchanged).
          type: str
        changes:
          description: The attributes that change.
          type: list
          elements: str
retirement_candidates:
  description: IAM users the roles replace (C(replaces_iam_users)), each with C(name), C(account_id), C(account_name)
    and C(replaced_by) (role ARNs), for the retirement phase.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: IAM user name.
      type: str
    account:
      description: The account as the model names it.
      type: str
    account_id:
      description: Account ID.
      type: str
    account_name:
      description: Account name.
      type: str
    replaced_by:
      description: ARNs of the roles that replace the user.
      type: list
      elements: str
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
from ansible_collections.ssoshift.identity_center.plugins.module_utils.automation import automation_plan
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import PartialFailure
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_roles import apply_role
from ansible_collections.ssoshift.identity_center.plugins.module_utils.member_roles import apply_provider
from ansible_collections.ssoshift.identity_center.plugins.module_utils.member_roles import plan_one_role
from ansible_collections.ssoshift.identity_center.plugins.module_utils.member_roles import plan_provider
from ansible_collections.ssoshift.identity_center.plugins.module_utils.member_roles import role_diff
from ansible_collections.ssoshift.identity_center.plugins.module_utils.member_roles import role_view
from ansible_collections.ssoshift.identity_center.plugins.module_utils.member_roles import run_passes
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import read_account_index


def ensure(module):
    params = module.params
    index = read_account_index(client(module, "organizations"))
    sessions = AccountSessions(module, params["member_role_name"])
    sessions.caller()
    plan = automation_plan(params["automation_roles"], index, sessions.partition, params["tags"],
                           params["member_role_name"])
    by_id = {account["account_id"]: account for account in plan["accounts"]}
    targets = limited([index.by_id[account_id] for account_id in by_id], index, params["limit_accounts"])

    def read_account(account):
        iam = sessions.client(account["id"], "iam")
        label = index.label(account["id"])
        refusals, providers, roles = [], [], []
        for provider in by_id[account["id"]]["providers"]:
            planned, refusal = plan_provider(iam, provider, f"automation_roles: account {label}")
            refusals += [refusal] if refusal else []
            providers += [planned] if planned else []
        for role in by_id[account["id"]]["roles"]:
            planned, refusal = plan_one_role(iam, role, f"{role['where']} in account {label}")
            refusals += [refusal] if refusal else []
            roles += [dict(planned, entry=role)] if planned else []
        return {"providers": providers, "roles": roles}, refusals

    def apply_account(account, planned):
        iam = sessions.client(account["id"], "iam")
        for provider in planned["providers"]:
            if provider["action"] != "unchanged":
                apply_provider(iam, provider)
        return {role["name"]: apply_role(iam, role["desired"], role["current"], role["changes"])
                for role in planned["roles"] if role["action"] != "unchanged"}

    plans, dummy, failures = run_passes(targets, read_account, apply_account, module.check_mode,
                                        params["max_account_workers"])
    accounts, roles, diff = [], [], {"before": {}, "after": {}}
    for account in targets:
        planned = plans.get(account["id"])
        if planned is None:
            continue
        changed = any(item["action"] != "unchanged" for item in planned["providers"] + planned["roles"])
        accounts.append({"account_id": account["id"], "account_name": account["name"],
                         "changed": changed,
                         "providers": [{"url": p["url"], "arn": p["arn"], "action": p["action"],
                                        "changes": sorted(p["changes"])} for p in planned["providers"]],
                         "roles": [role_view(r) for r in planned["roles"]]})
        for role in planned["roles"]:
            entry = role["entry"]
            roles.append({"account_id": account["id"], "account_name": account["name"], "role_name": role["name"],
                          "role_arn": entry["role_arn"], "provider_arn": entry["provider_arn"],
                          "subjects": entry["subjects"], "action": role["action"]})
        if changed:
            label = account["name"]
            diff["before"][label] = {"roles": {}, "providers": {}}
            diff["after"][label] = {"roles": {}, "providers": {}}
            for role in planned["roles"]:
                if role["action"] != "unchanged":
                    diff["before"][label]["roles"][role["name"]], diff["after"][label]["roles"][role["name"]] = \
                        role_diff(role)
            for provider in planned["providers"]:
                if provider["action"] != "unchanged":
                    diff["before"][label]["providers"][provider["url"]] = provider["current"]
                    diff["after"][label]["providers"][provider["url"]] = provider["after"]
    result = dict(changed=any(a["changed"] for a in accounts), accounts=accounts, roles=roles,
                  retirement_candidates=plan["retirement_candidates"], diff=diff)
    if failures:
        raise PartialFailure(failure_message(failures, index, "the CI/CD roles"),
                             dict(result, failed_accounts=[f.to_result(index) for f in failures]))
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(automation_roles=dict(type="list", elements="dict", required=True),
                           tags=dict(type="dict", default={}), limit_accounts=dict(type="list", elements="raw"), **ACCOUNT_OPTIONS),
        supports_check_mode=True,
    )
    module.exit_json(**run(module, lambda: ensure(module), "Failed to converge the CI/CD roles"))


if __name__ == "__main__":
    main()
