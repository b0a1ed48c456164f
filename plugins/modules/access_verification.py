#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: access_verification
short_description: The verification gate - is the IAM Identity Center access path in place before the legacy users go?
version_added: 1.0.0
description:
  - Read-only. Checks, against Identity Center as it is now, that every account assignment of the access model exists,
    that every permission set of the model is provisioned with its latest version wherever it is provisioned, and
    that each of I(administrators) holds I(permission_set) in every account of I(accounts) (directly or through a
    group).
  - Returns C(passed) and every problem; the retirement of legacy IAM users only goes ahead when C(passed) is true and
    the operator confirmed signing in through the access portal with MFA.
  - Never fails on a gate problem (the gate is an answer, not an error); fails only when AWS cannot be read.
options:
  identity_center:
    description: The C(identity_center) part of the access model; its C(assignments) and C(permission_sets) are checked.
    type: dict
    default: {}
  administrators:
    description: Identity Center user names who replace the legacy admins (the access model's
      C(verification.administrators)).
    type: list
    elements: str
    default: []
  permission_set:
    description: The administrator permission set they must hold.
    type: str
    default: AdministratorAccess
  accounts:
    description:
      - Accounts the administrators must reach, each a name, an ID or C(management). Empty - every ACTIVE account.
    type: list
    elements: raw
    default: []
author:
  - ssoshift contributors (@ssoshift)
extends_documentation_fragment:
  - ssoshift.identity_center.instance
  - ssoshift.identity_center.instance.identity_store
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Verify the new access path
  ssoshift.identity_center.access_verification:
    identity_center: "{{ identity_center }}"
    administrators: [alice]
    permission_set: AdministratorAccess
  register: gate

- name: Stop unless it passed
  ansible.builtin.assert:
    that: gate.passed
    fail_msg: "{{ gate.problems }}"
"""

RETURN = r"""
passed:
  description: Whether the gate opens - no problem was found.
  returned: always
  type: bool
problems:
  description: Every reason the gate stays shut.
  returned: always
  type: list
  elements: str
  sample: ["assignment missing: group:platform-admins / AdministratorAccess / prod"]
portal_url:
  description: The AWS access portal URL, where the operator signs in to confirm.
  returned: always
  type: str
accounts_checked:
  description: The accounts the administrators must reach, by name.
  returned: always
  type: list
  elements: str
lines:
  description: The gate's result for people, the first line the verdict.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils import assignments as engine
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import paginate
from ansible_collections.ssoshift.identity_center.plugins.module_utils.directory import IdentityStore
from ansible_collections.ssoshift.identity_center.plugins.module_utils.identity_center import instance_to_result
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import discover
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import DIRECTORY_OPTIONS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import describe_organization
from ansible_collections.ssoshift.identity_center.plugins.module_utils.permission_sets import PermissionSets
from ansible_collections.ssoshift.identity_center.plugins.module_utils.verification import admin_gaps
from ansible_collections.ssoshift.identity_center.plugins.module_utils.verification import gate_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.verification import holders_of
from ansible_collections.ssoshift.identity_center.plugins.module_utils.verification import summary_line


def _model_list(model, key):
    value = (model or {}).get(key)
    return value if isinstance(value, list) else []


def verify(module):
    params = module.params
    sso_admin = client(module, "sso-admin")
    instance = discover(module, sso_admin)[0]
    instance_arn = instance["InstanceArn"]
    store = IdentityStore(client(module, "identitystore"), params["identity_store_id"] or instance["IdentityStoreId"])
    targets = engine.OrganizationTargets(describe_organization(client(module, "organizations")))
    sets = PermissionSets(sso_admin, instance_arn)
    by_name = sets.by_name()

    account_problems = []
    if params["accounts"]:
        accounts, account_problems = targets.index.resolve(params["accounts"], "verification.accounts")
    else:
        accounts = targets.index.active()[0]
    account_ids = [account["id"] for account in accounts]

    # The model's assignments, and every assignment of the administrator permission set in the verified accounts:
    # read once, by principal where the caller owns the instance and that is cheaper (assignments.read_every).
    desired, names = set(), {}
    model_assignments = _model_list(params["identity_center"], "assignments")
    if model_assignments:
        pending = []
        desired, names = engine.resolve(model_assignments, store, by_name, targets, pending)
    admin_arn = by_name.get(params["permission_set"])
    admin_pairs = {(account_id, admin_arn) for account_id in account_ids} if admin_arn else set()
    owns = client(module, "sts").get_caller_identity(aws_retry=True)["Account"] == instance.get("OwnerAccountId")
    found = engine.read_every(sso_admin, instance_arn, store.principals,
                              {(a.account_id, a.permission_set_arn) for a in desired} | admin_pairs, owns)

    # The model's assignments that Identity Center does not have (planned as account_assignments would).
    missing = []
    if desired:
        managed = {a.permission_set_arn for a in desired}
        to_create, dummy, dummy2 = engine.plan(desired, found, managed)
        missing = [engine.describe(a, names) for a in to_create]

    # Permission sets not provisioned with their latest version where they are provisioned.
    outdated = []
    for entry in _model_list(params["identity_center"], "permission_sets"):
        name = entry.get("name") if isinstance(entry, dict) else None
        if isinstance(name, str) and (name not in by_name
                                      or sets.provisioned_accounts(by_name[name], only_outdated=True)):
            outdated.append(name)  # not created yet, or some account lacks its latest version

    # Who holds the administrator permission set where: every assignment of it, groups expanded to members.
    unknown = [user for user in params["administrators"] if store.user_id(user) is None]
    holders = set()
    if admin_arn:
        found = {a for a in found if (a.account_id, a.permission_set_arn) in admin_pairs}
        members = {}
        for assignment in found:
            if assignment.principal_type == "GROUP" and assignment.principal_id not in members:
                members[assignment.principal_id] = {
                    store.user_name(m["MemberId"]["UserId"]) for m in paginate(
                        store.client, "list_group_memberships", "GroupMemberships", IdentityStoreId=store.store_id,
                        GroupId=assignment.principal_id) if (m.get("MemberId") or {}).get("UserId")}
        holders = holders_of([(a.principal_type, a.principal_id if a.principal_type == "GROUP"
                               else store.user_name(a.principal_id), a.account_id) for a in found], members)
    gaps = admin_gaps(holders, params["administrators"], account_ids)
    problems = gate_problems(params["administrators"], params["permission_set"], admin_arn is not None, unknown,
                             account_problems, missing, outdated, gaps, targets.names)
    passed = not problems
    portal_url = instance_to_result(instance)["portal_url"]
    return dict(changed=False, passed=passed, problems=problems, portal_url=portal_url,
                accounts_checked=[account["name"] for account in accounts],
                lines=[f"Access portal URL: {portal_url}",
                       summary_line(passed, params["administrators"], params["permission_set"], len(account_ids))]
                + problems)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(identity_center=dict(type="dict", default={}),
                           administrators=dict(type="list", elements="str", default=[]),
                           permission_set=dict(type="str", default="AdministratorAccess"),
                           accounts=dict(type="list", elements="raw", default=[]),
                           **DIRECTORY_OPTIONS),
        supports_check_mode=True,
    )
    module.exit_json(**run(module, lambda: verify(module), "Failed to read the access path"))


if __name__ == "__main__":
    main()
