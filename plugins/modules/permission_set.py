#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: permission_set
short_description: Manage an IAM Identity Center permission set, its policies, and its provisioning
version_added: 1.0.0
description:
  - Creates, updates or deletes a permission set keyed by I(name), with its AWS-managed policies,
    customer-managed policy references, inline policy, permissions boundary and tags.
  - Every option is validated before the first AWS call; a bad value fails the task, naming the option and
    the value, and nothing is changed.
  - After a change to a permission set that is already provisioned to accounts, the module re-provisions it
    to all of them (C(ProvisionPermissionSet)) and waits for the result, reporting AWS's failure reason.
    Set I(provision=false) to defer that, for example to change many permission sets and provision each once.
  - Identity Center accepts one change at a time per permission set and account; C(ConflictException) and
    throttling are retried with jittered backoff.
  - Shares the engine of M(ssoshift.identity_center.permission_sets) (the whole list in one call); the ownership tag
    C(managed-by=ssoshift.identity_center) is added to a permission set that lacks it, which is reported as
    adopted.
  - Options left unset are not managed. An empty value (C({}), C([]), C("")) means "none".
  - From IAM Identity Center's delegated administrator, a change to, the provisioning of, or the deletion of a
    permission set provisioned to the management account is refused before any write (check mode too), as AWS
    refuses it there, naming the set, why and what to do. The caller is read (C(DescribeOrganization),
    C(GetCallerIdentity)) only when a permission set that exists would change, be provisioned or be deleted.
options:
  name:
    description: Name of the permission set (1-32 characters of letters, digits and C(+=,.@_-)).
    type: str
    required: true
  description:
    description: Description shown in the access portal (at most 700 characters).
    type: str
  session_duration:
    description:
      - How long a portal or CLI session lasts, as an ISO-8601 duration between C(PT1H) and C(PT12H)
        (for example C(PT4H) or C(PT1H30M)).
    type: str
  relay_state:
    description: URL in the AWS console where users land after choosing this permission set.
    type: str
  managed_policies:
    description:
      - AWS-managed policies, as ARNs (C(arn:aws:iam::aws:policy/ReadOnlyAccess)) or bare names
        (C(ReadOnlyAccess), C(job-function/ViewOnlyAccess)), which are expanded to
        C(arn:aws:iam::aws:policy/NAME).
    type: list
    elements: str
  customer_managed_policies:
    description:
      - References to customer-managed policies by name and path. The policy must exist, with that name and
        path, in every account the permission set is provisioned to.
    type: list
    elements: dict
    suboptions:
      name:
        description: Policy name.
        type: str
        required: true
      path:
        description: Policy path.
        type: str
        default: /
  purge_policies:
    description:
      - Detach managed and customer-managed policies that are not listed (only for a list that is given).
    type: bool
    default: true
  inline_policy:
    description:
      - Inline policy, as a dict or a JSON string; compared semantically, so reordering does not count as a change.
      - At most 10,240 characters. C({}) or C("") removes it.
    type: raw
  permissions_boundary:
    description:
      - Permissions boundary; give C(managed_policy_arn) or C(customer_managed_policy_reference). C({}) removes it.
    type: dict
    suboptions:
      managed_policy_arn:
        description: AWS-managed policy ARN (or bare name).
        type: str
      customer_managed_policy_reference:
        description: Customer-managed policy reference, C({name, path}).
        type: dict
  tags:
    description: Tags of the permission set.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags that are not in I(tags) (only when I(tags) is given).
    type: bool
    default: true
  provision:
    description: Re-provision the permission set to its accounts after a change, and wait for the result.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for provisioning or assignment deletions.
    type: int
    default: 300
  force:
    description:
      - With I(state=absent), delete the permission set's account assignments first. Without it, a permission
        set that still has assignments is not deleted and the task fails, naming them.
    type: bool
    default: false
  state:
    description: Whether the permission set exists.
    type: str
    default: present
    choices: [present, absent]
notes:
  - The permissions boundary and the policies are read only when their options are used. Tags are read for the
    ownership tag; against an endpoint that lacks C(ListTagsForResource) ownership is C(unknown) and only given
    I(tags) are refused.
author:
  - ssoshift contributors (@ssoshift)
extends_documentation_fragment:
  - ssoshift.identity_center.instance
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Administrators, four-hour sessions
  ssoshift.identity_center.permission_set:
    name: AdministratorAccess
    description: Full administrative access
    session_duration: PT4H
    managed_policies: [AdministratorAccess]

- name: Developers, with a boundary and an inline deny
  ssoshift.identity_center.permission_set:
    name: DeveloperAccess
    session_duration: PT8H
    managed_policies: [arn:aws:iam::aws:policy/PowerUserAccess]
    customer_managed_policies:
      - {name: developer-extras, path: /ssoshift/}
    permissions_boundary:
      managed_policy_arn: arn:aws:iam::aws:policy/PowerUserAccess
    inline_policy:
      Version: "2012-10-17"
      Statement:
        - {Effect: Deny, Action: ["organizations:*", "account:*"], Resource: "*"}
    tags: {owner: platform}

- name: Change several permission sets, provision later
  ssoshift.identity_center.permission_set:
    name: ReadOnlyAccess
    managed_policies: [ReadOnlyAccess]
    provision: false

- name: Delete a permission set and the assignments that use it
  ssoshift.identity_center.permission_set:
    name: LegacyAccess
    state: absent
    force: true
"""

RETURN = r"""
arn:
  description: ARN of the permission set; null when it does not exist (or would be created in check mode).
  returned: always
  type: str
  sample: arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-2222222222222222
permission_set:
  description: The permission set after the change (before, for C(state=absent)).
  returned: always
  type: dict
  contains:
    name:
      description: Name.
      type: str
    arn:
      description: ARN; null before it is created.
      type: str
    description:
      description: Description, or null.
      type: str
    session_duration:
      description: Session duration (ISO 8601), or null.
      type: str
    relay_state:
      description: Relay state URL, or null.
      type: str
    managed_policies:
      description: AWS-managed policy ARNs.
      type: list
      elements: str
    customer_managed_policies:
      description: Customer-managed policy references.
      type: list
      elements: dict
      contains:
        name:
          description: Policy name.
          type: str
        path:
          description: Policy path.
          type: str
    inline_policy:
      description: Inline policy document; C({}) when none.
      type: dict
    permissions_boundary:
      description: Permissions boundary; C({}) when none.
      returned: when I(permissions_boundary) is given
      type: dict
      contains:
        managed_policy_arn:
          description: ARN of the managed policy used as the boundary.
          returned: when the boundary is a managed policy
          type: str
        customer_managed_policy_reference:
          description: The customer-managed policy used as the boundary, in every account the permission set reaches.
          returned: when the boundary is a customer-managed policy
          type: dict
          contains:
            name:
              description: Policy name.
              type: str
            path:
              description: Policy path.
              type: str
    tags:
      description: Tags.
      returned: when I(tags) is given
      type: dict
changes:
  description: The changes made, or that would be made in check mode, as C({attribute, before, after}).
  returned: always
  type: list
  elements: dict
  contains:
    attribute:
      description: The attribute changed, named as the option (C(description), C(managed_policies), C(tags), ...).
      type: str
    before:
      description: Its value before, in the form of C(permission_set); null or empty when it had none.
      type: raw
    after:
      description: Its value after.
      type: raw
provisioning:
  description:
    - Result of re-provisioning, C({request_id, status, account_id, failure_reason, accounts}); null when none was needed.
    - In check mode, C(status) is C(WOULD_PROVISION).
  returned: always
  type: dict
  contains:
    request_id:
      description: AWS's request ID of the provisioning.
      returned: when provisioned (not in check mode)
      type: str
    status:
      description: AWS's final status (C(SUCCEEDED), C(FAILED)), or C(WOULD_PROVISION) in check mode.
      type: str
    account_id:
      description: The account a failure happened in, as AWS reports it; null otherwise.
      returned: when provisioned (not in check mode)
      type: str
    failure_reason:
      description: AWS's failure reason; null when it succeeded.
      returned: when provisioned (not in check mode)
      type: str
    accounts:
      description: IDs of the accounts the permission set is provisioned to.
      type: list
      elements: str
ownership:
  description: C(created), C(managed) (carries the ownership tag), C(adopted) (did not) or C(unknown).
  returned: when state=present
  type: str
adopted:
  description: The name of the permission set when it was adopted (existed without the ownership tag), else empty.
  returned: when state=present
  type: list
  elements: str
deleted_assignments:
  description: Account assignments deleted because of I(force).
  returned: when state=absent
  type: list
  elements: dict
  contains:
    account_id:
      description: Account ID.
      type: str
    principal_type:
      description: C(USER) or C(GROUP).
      type: str
    principal_id:
      description: Principal ID.
      type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import INSTANCE_OPTIONS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import instance_arn
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import member_caller_of
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.permission_sets import PermissionSets
from ansible_collections.ssoshift.identity_center.plugins.module_utils.permission_sets import converge_permission_sets
from ansible_collections.ssoshift.identity_center.plugins.module_utils.permission_sets import management_refusals
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import validate_permission_set

# How a refused permission set is named (permission_sets.management_refusals).
REFUSAL_LABEL = "permission set '{name}'"
SPEC_KEYS = ("name", "description", "session_duration", "relay_state", "managed_policies",
             "customer_managed_policies", "inline_policy", "permissions_boundary", "tags")


def _engine(module):
    return PermissionSets(client(module, "sso-admin"), instance_arn(module), module.check_mode,
                          module.params["wait_timeout"])


def absent(module, engine):
    arn = engine.by_name().get(module.params["name"])
    if arn is None:
        return dict(changed=False, arn=None, permission_set={}, changes=[], provisioning=None,
                    deleted_assignments=[])
    fail_if_problems(management_refusals(engine, [(module.params["name"], arn)], member_caller_of(module), REFUSAL_LABEL),
                     "nothing was changed")
    current = engine.read(arn, with_boundary=False, with_tags=False)
    assignments = engine.assignments(arn)
    if assignments and not module.params["force"]:
        listing = [f"{a['PrincipalType'].lower()} {a['PrincipalId']} in account {a['AccountId']}" for a in assignments]
        raise SsoShiftError(
            f"permission set '{module.params['name']}' still has {len(assignments)} account assignment(s): "
            + "; ".join(listing) + ". Remove them first, or set force: true to delete them with it.", listing)
    deleted = [{"account_id": a["AccountId"], "principal_type": a["PrincipalType"],
                "principal_id": a["PrincipalId"]} for a in assignments]
    if not module.check_mode:
        failures = engine.delete_assignments(arn, assignments)
        if failures:
            reasons = [f"{f['PrincipalId']} in {f['AccountId']}: {f['FailureReason']}" for f in failures]
            raise SsoShiftError("could not delete account assignments: " + "; ".join(reasons), reasons)
        engine.delete(arn)
    return dict(changed=True, arn=arn, permission_set=current, changes=[], provisioning=None,
                deleted_assignments=deleted, diff=dict(before=current, after={}))


def present(module, engine):
    """The bulk engine (converge_permission_sets) with this one permission set."""
    params = module.params
    converged = converge_permission_sets(engine, [{key: params[key] for key in SPEC_KEYS}], params["purge_policies"],
                                         params["purge_tags"], params["provision"], details=True,
                                         protected_account=member_caller_of(module), refusal_label=REFUSAL_LABEL)
    [entry] = converged["permission_sets"]
    result = dict(changed=converged["changed"], arn=entry["arn"], permission_set=entry["after"],
                  changes=entry["changes"], ownership=entry["ownership"], adopted=converged["adopted"],
                  provisioning=converged["provisioning"][0] if converged["provisioning"] else None,
                  diff=dict(before=entry["before"], after=dict(entry["after"], **(
                      {"adopted": True} if converged["adopted"] else {}))))
    if result["provisioning"] and result["provisioning"]["status"] == "FAILED":
        module.fail_json(msg=f"permission set '{params['name']}' was updated but provisioning failed "
                             f"in account {result['provisioning']['account_id']}: "
                             f"{result['provisioning']['failure_reason']}", **result)
    return result


def manage(module):
    params = module.params
    spec = {key: params[key] for key in SPEC_KEYS}
    fail_if_problems(validate_permission_set(spec, "permission_set"), "invalid permission set")
    engine = _engine(module)
    return absent(module, engine) if params["state"] == "absent" else present(module, engine)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        description=dict(type="str"),
        session_duration=dict(type="str"),
        relay_state=dict(type="str"),
        managed_policies=dict(type="list", elements="str"),
        customer_managed_policies=dict(type="list", elements="dict", options=dict(
            name=dict(type="str", required=True),
            path=dict(type="str", default="/"),
        )),
        purge_policies=dict(type="bool", default=True),
        inline_policy=dict(type="raw"),
        permissions_boundary=dict(type="dict", options=dict(
            managed_policy_arn=dict(type="str"),
            customer_managed_policy_reference=dict(type="dict"),
        )),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        provision=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
        force=dict(type="bool", default=False),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        **INSTANCE_OPTIONS,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    result = run(module, lambda: manage(module), f"Failed to manage permission set '{module.params['name']}'")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
