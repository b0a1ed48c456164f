#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: account_assignments_info
short_description: Read IAM Identity Center account assignments, with names resolved
version_added: 1.0.0
description:
  - Returns current account assignments, each with account ID and name, permission set name and ARN,
    and principal type, ID and name (C(user:alice), C(group:platform-admins)).
  - Filters combine. I(users) or I(groups) read by principal (C(ListAccountAssignmentsForPrincipal)) when
    run from the instance's management account; otherwise the module reads by account and permission set,
    only where each permission set is provisioned.
options:
  users:
    description: Only assignments of these users (user names).
    type: list
    elements: str
  groups:
    description: Only assignments of these groups (display names).
    type: list
    elements: str
  accounts:
    description: Only assignments in these accounts (IDs, Organizations names or C(management)).
    type: list
    elements: str
  ous:
    description: Only assignments in accounts under these OUs (paths or IDs, recursive).
    type: list
    elements: str
  permission_sets:
    description: Only assignments of these permission sets (names).
    type: list
    elements: str
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
- name: Everything alice can reach
  ssoshift.identity_center.account_assignments_info:
    users: [alice]
  register: alice_access

- name: Who is administrator in production
  ssoshift.identity_center.account_assignments_info:
    ous: [Workloads/Prod]
    permission_sets: [AdministratorAccess]
"""

RETURN = r"""
assignments:
  description: The assignments, sorted by account name, permission set and principal.
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
    permission_set:
      description: Permission set name.
      type: str
    permission_set_arn:
      description: Permission set ARN.
      type: str
    principal_type:
      description: C(USER) or C(GROUP).
      type: str
    principal_id:
      description: Principal ID.
      type: str
    principal:
      description: C(user:NAME) or C(group:NAME).
      type: str
strategy:
  description: How the assignments were read, C(principal) or C(account).
  returned: always
  type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils import assignments as engine
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.directory import IdentityStore
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import discover
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import DIRECTORY_OPTIONS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import describe_organization
from ansible_collections.ssoshift.identity_center.plugins.module_utils.permission_sets import PermissionSets


def read(module):
    params = module.params
    sso_admin = client(module, "sso-admin")
    identitystore = client(module, "identitystore")
    instance = discover(module, sso_admin)[0]
    instance_arn = instance["InstanceArn"]
    store = IdentityStore(identitystore, params["identity_store_id"] or instance["IdentityStoreId"])
    targets = engine.OrganizationTargets(describe_organization(client(module, "organizations")))
    by_name = PermissionSets(sso_admin, instance_arn).by_name()
    problems = []

    principals = []
    for name in params["users"] or []:
        principals.append(("USER", store.user_id(name), f"user:{name}"))
    for name in params["groups"] or []:
        principals.append(("GROUP", store.group_id(name), f"group:{name}"))
    problems.extend(f"{label.split(':')[0]}s: '{label.split(':', 1)[1]}' is not in identity store {store.store_id}"
                    for dummy, principal_id, label in principals if principal_id is None)
    arns = [by_name.get(name) for name in params["permission_sets"] or []]
    problems.extend(f"permission_sets: no permission set named '{name}'"
                    for name, arn in zip(params["permission_sets"] or [], arns) if arn is None)
    scope = None
    if params["accounts"] or params["ous"]:
        scope = set(targets.expand({"accounts": params["accounts"], "ous": params["ous"],
                                    "include_management_account": True}, "filters", problems))
    fail_if_problems(problems, "unknown filter values")

    wanted_sets = set(arns) if params["permission_sets"] else set(by_name.values())
    caller = client(module, "sts").get_caller_identity(aws_retry=True)["Account"]
    if principals and caller == instance.get("OwnerAccountId"):
        strategy = "principal"
        found = engine.read_by_principal(sso_admin, instance_arn, [(t, i) for t, i, dummy in principals])
    else:
        strategy = "account"
        pairs = engine.provisioned_pairs(sso_admin, instance_arn, wanted_sets)
        found = engine.read_by_account(sso_admin, instance_arn,
                                       {p for p in pairs if scope is None or p[0] in scope})
    wanted_principals = {(t, i) for t, i, dummy in principals}
    selected = [a for a in found
                if a.permission_set_arn in wanted_sets
                and (scope is None or a.account_id in scope)
                and (not wanted_principals or (a.principal_type, a.principal_id) in wanted_principals)]

    names = {"accounts": targets.names, "permission_sets": {arn: name for name, arn in by_name.items()},
             "principals": {(t, i): label for t, i, label in principals}}
    for assignment in selected:
        key = (assignment.principal_type, assignment.principal_id)
        if key not in names["principals"]:
            names["principals"][key] = store.principal_label(*key)
    result = [engine.describe(a, names) for a in selected]
    result.sort(key=lambda a: (a["account_name"] or a["account_id"], a["permission_set"], a["principal"]))
    return dict(changed=False, assignments=result, strategy=strategy)


def main():
    argument_spec = dict(
        users=dict(type="list", elements="str"),
        groups=dict(type="list", elements="str"),
        accounts=dict(type="list", elements="str"),
        ous=dict(type="list", elements="str"),
        permission_sets=dict(type="list", elements="str"),
        **DIRECTORY_OPTIONS,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    module.exit_json(**run(module, lambda: read(module), "Failed to read account assignments"))


if __name__ == "__main__":
    main()
