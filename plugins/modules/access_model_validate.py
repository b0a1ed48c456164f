#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: access_model_validate
short_description: Check a whole access model before anything is changed
version_added: 1.0.0
description:
  - Validates the C(identity_center) part of the access model (users, groups, permission sets, assignments) as a whole,
    and fails once with every problem found, each naming the entry, the field and the value.
  - Checks values (names, durations, policy documents and sizes, policy ARNs, emails), unknown options
    (typos), duplicate names, and cross-references (group members).
  - Group members and assignment principals that are not in the model, and with I(manage_directory=false) every
    user and group named, are looked up in the identity store; permission sets that assignments name outside the
    model are looked up in Identity Center; assignment targets (accounts, OU paths) are checked against the
    organization. All of it read-only.
  - From IAM Identity Center's delegated administrator, an assignment that AWS refuses there is a problem - targets
    that include the management account, and a permission set provisioned to the management account (one
    C(ListAccountsForProvisionedPermissionSet) per permission set the assignments name that exists, on that path only).
  - With I(automation_roles) and I(break_glass), also checks those sections - unsafe OIDC subjects (C(*), C(repo:*),
    organization-wide wildcards without C(allow_wildcard_subjects)), missing audiences, break-glass principals that
    are whole accounts or wildcards - and that every account they name is in the organization.
  - Makes no write call; the roles run it before their first change.
options:
  identity_center:
    description:
      - The C(identity_center) part of the access model (C(users), C(groups), C(permission_sets), C(assignments)).
      - Not checked when not given.
    type: dict
  automation_roles:
    description: The C(automation_roles) part of the access model (docs/automation-roles.md).
    type: list
    elements: dict
  break_glass:
    description: The C(break_glass) part of the access model (docs/break-glass.md).
    type: dict
  verification:
    description:
      - The C(verification) part of the access model - C(administrators) (Identity Center user names),
        C(permission_set) (default C(AdministratorAccess)) and C(accounts). The users must be in the model or the
        identity store, the permission set in the model or Identity Center, the accounts in the organization and
        active.
    type: raw
  password_policy:
    description:
      - The C(password_policy) part of the access model - settings that differ from AWS's recommended IAM password
        policy (M(ssoshift.identity_center.account_password_policy)). IAM's limits and a minimum length of 14 are
        checked.
    type: raw
  variable_names:
    description:
      - The names of the play's variables (C(lookup('ansible.builtin.varnames', '.+'))). A name spelt close to a
        section of the access model (C(identity_centre) for C(identity_center)) is a problem naming the likely
        intended section, since a misspelt section is silently not read.
    type: list
    elements: str
    default: []
  alternate_contacts:
    description:
      - The C(alternate_contacts) part of the access model, C(billing), C(operations) and C(security), each with
        C(name), C(title), C(email) and C(phone). Emails and phone numbers are checked.
    type: dict
  legacy_iam_users:
    description:
      - The C(legacy_iam_users) part of the access model, a list of C(name) and C(account) (account name, ID or
        C(management)). Each account is checked against the organization.
    type: list
    elements: raw
  member_role_name:
    description:
      - The role the run assumes in member accounts. No section of the model may manage a role of that name (nor
        C(OrganizationAccountAccessRole), C(AWSControlTowerExecution), C(AWSReservedSSO_*), C(AWSServiceRoleFor*)) -
        rewriting it would cut the operator off the member accounts.
    type: str
    default: OrganizationAccountAccessRole
  manage_directory:
    description:
      - Whether the collection creates users and groups. Set C(false) when an external identity provider
        (Okta, Entra ID, Google) feeds the directory through SCIM; then users and groups are only looked up
        and each one missing is a problem.
    type: bool
    default: true
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
- name: Check the access model before the first write
  ssoshift.identity_center.access_model_validate:
    identity_center: "{{ identity_center }}"
    manage_directory: true

- name: Check the CI/CD roles and the break-glass section
  ssoshift.identity_center.access_model_validate:
    automation_roles: "{{ automation_roles }}"
    break_glass: "{{ break_glass }}"
"""

RETURN = r"""
problems:
  description: Every problem found; the task fails when there is one.
  returned: always
  type: list
  elements: str
  sample: ["identity_center.permission_sets[1] (ReadOnly).session_duration: must be between PT1H and PT12H, got 'PT13H'"]
summary:
  description: How many users, groups, permission sets, assignment entries and automation roles the model declares,
    and whether it has a break-glass section.
  returned: always
  type: dict
  sample: {"users": 2, "groups": 2, "permission_sets": 3, "assignments": 3, "automation_roles": 1, "break_glass": true}
  contains:
    users:
      description: Users in C(identity_center.users).
      type: int
    groups:
      description: Groups in C(identity_center.groups).
      type: int
    permission_sets:
      description: Permission sets in C(identity_center.permission_sets).
      type: int
    assignments:
      description: Entries in C(identity_center.assignments).
      type: int
    legacy_iam_users:
      description: Entries in I(legacy_iam_users).
      type: int
    automation_roles:
      description: Entries in I(automation_roles).
      returned: when I(automation_roles) or I(break_glass) is given
      type: int
    break_glass:
      description: Whether the model has a break-glass section.
      returned: when I(automation_roles) or I(break_glass) is given
      type: bool
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils.access_model import assignment_references
from ansible_collections.ssoshift.identity_center.plugins.module_utils.access_model import contact_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.access_model import legacy_user_accounts
from ansible_collections.ssoshift.identity_center.plugins.module_utils.access_model import legacy_user_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.access_model import model_names
from ansible_collections.ssoshift.identity_center.plugins.module_utils.access_model import model_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.access_model import principals_to_look_up
from ansible_collections.ssoshift.identity_center.plugins.module_utils.access_model import section_name_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.access_model import verification_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.access_model import verification_references
from ansible_collections.ssoshift.identity_center.plugins.module_utils.automation import account_references
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.directory import IdentityStore
from ansible_collections.ssoshift.identity_center.plugins.module_utils.identity_center import delegated_refusal
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import DIRECTORY_OPTIONS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.assignments import OrganizationTargets
from ansible_collections.ssoshift.identity_center.plugins.module_utils.assignments import management_set_refusals
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import identity_store_id
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import instance_arn
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import AccountIndex
from ansible_collections.ssoshift.identity_center.plugins.module_utils.password_policy import policy_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import describe_organization
from ansible_collections.ssoshift.identity_center.plugins.module_utils.permission_sets import PermissionSets
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run


def check(module):
    params = module.params
    model = params["identity_center"] or {}
    manage_directory = params["manage_directory"]
    automation_roles, break_glass = params["automation_roles"], params["break_glass"]
    legacy_users, verification = params["legacy_iam_users"], params["verification"]
    problems = section_name_problems(params["variable_names"])
    problems += model_problems(params["identity_center"], manage_directory, automation_roles, break_glass,
                               params["member_role_name"])
    problems += contact_problems(params["alternate_contacts"]) + legacy_user_problems(legacy_users)
    problems += verification_problems(verification)
    problems += policy_problems(params["password_policy"])

    # Every account the model names, through the one resolver: unknown, shared-name, closed accounts and IDs
    # that YAML read as numbers are named where they are written.
    administrators, admin_set, verification_accounts = verification_references(verification)
    references = (account_references(automation_roles, break_glass) + legacy_user_accounts(legacy_users)
                  + verification_accounts)
    outside_sets, targets, named_sets = assignment_references(model)
    organization = None
    if references or targets:
        organization = describe_organization(client(module, "organizations"))
        index = AccountIndex.from_organization(organization)
        for where, reference in references:
            dummy, problem = index.lookup(reference, where)
            problems.extend([problem] if problem else [])
    sets_engine = None  # the instance's permission sets, read once, only when needed
    if targets:
        expander = OrganizationTargets(organization)
        caller = client(module, "sts").get_caller_identity(aws_retry=True)["Account"]
        management = expander.management_account_id
        for where, target in targets:
            if management in expander.expand(target, where, problems) and caller != management:
                problems.append(f"{where}.targets: " + delegated_refusal(
                    caller, management, "account assignments in the management account",
                    "leave the management account out of this entry (drop it from targets.accounts, or "
                    "include_management_account: false) or run the migration from the management account"))
        if caller != management:
            # The delegated administrator may not assign a set provisioned to the management account, in any account.
            sets_engine = PermissionSets(client(module, "sso-admin"), instance_arn(module))
            problems.extend(management_set_refusals(named_sets, sets_engine.by_name(), sets_engine.provisioned_accounts,
                                                    caller, management))

    wanted = principals_to_look_up(model, manage_directory)
    model_users = model_names(model, "users", "user_name")
    for name in administrators:
        if name not in model_users or not manage_directory:
            wanted["users"].setdefault(name, []).append("verification.administrators")
    if wanted["users"] or wanted["groups"]:
        store = IdentityStore(client(module, "identitystore"), identity_store_id(module))
        for name, places in wanted["users"].items():
            if store.user_id(name) is None:
                problems.append(f"{places[0]}: user '{name}' is not in the identity store {store.store_id}"
                                + ("" if manage_directory else " (manage_directory is false: users are only looked up)"))
        for name, places in wanted["groups"].items():
            if store.group_id(name) is None:
                problems.append(f"{places[0]}: group '{name}' is not in the identity store {store.store_id}"
                                + ("" if manage_directory else " (manage_directory is false: groups are only looked up)"))
    model_sets = model_names(model, "permission_sets", "name")
    if verification is not None and admin_set and admin_set not in model_sets:
        outside_sets.setdefault(admin_set, []).append("verification.permission_set")
    if outside_sets:
        sets_engine = sets_engine or PermissionSets(client(module, "sso-admin"), instance_arn(module))
        existing = sets_engine.by_name()
        for name, places in outside_sets.items():
            if name not in existing:
                problems.append(f"{places[0]}: permission set '{name}' is neither in identity_center.permission_sets "
                                "nor in Identity Center")
    summary = {key: len(model[key]) if isinstance(model, dict) and isinstance(model.get(key), list) else 0
               for key in ("users", "groups", "permission_sets", "assignments")}
    summary["legacy_iam_users"] = len(legacy_users) if isinstance(legacy_users, list) else 0
    if automation_roles is not None or break_glass is not None:
        summary.update(automation_roles=len(automation_roles or []), break_glass=bool(break_glass))
    return problems, summary


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(identity_center=dict(type="dict"),
                           alternate_contacts=dict(type="dict"),
                           legacy_iam_users=dict(type="list", elements="raw"),
                           automation_roles=dict(type="list", elements="dict"),
                           break_glass=dict(type="dict"),
                           verification=dict(type="raw"),
                           password_policy=dict(type="raw", no_log=False),
                           variable_names=dict(type="list", elements="str", default=[]),
                           manage_directory=dict(type="bool", default=True),
                           member_role_name=dict(type="str", default="OrganizationAccountAccessRole"),
                           **DIRECTORY_OPTIONS),
        supports_check_mode=True,
    )
    problems, summary = run(module, lambda: check(module), "Failed to check the access model")
    if problems:
        module.fail_json(msg=f"The access model has {len(problems)} problem(s); nothing was changed:\n- "
                         + "\n- ".join(problems), problems=problems, summary=summary)
    module.exit_json(changed=False, problems=[], summary=summary)


if __name__ == "__main__":
    main()
