#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: permission_sets
short_description: Converge a whole list of IAM Identity Center permission sets, then provision each changed one once
version_added: 1.0.0
description:
  - Converges every permission set of the list (description, session duration, relay state, AWS-managed policies,
    customer-managed policy references, inline policy, permissions boundary, tags) in one module process, then
    re-provisions each permission set whose grants changed once, at the end.
  - "Reads grow linearly: C(ListPermissionSets) and one C(DescribePermissionSet) per set, then, only for the sets of
    the list that exist, what the list manages (policies, boundary), the tags and the accounts lacking the set's
    latest version. The instance is discovered once."
  - Every entry is checked first (names, durations, policy documents, ARNs, unknown options, duplicates); a problem
    fails the task naming the entry and the value, before any write.
  - "Writes: creations and updates in parallel (at most eight in flight, under the process's one rate limiter at
    AWS's published 20 requests per second for Identity Center), then C(ProvisionPermissionSet) for each set that
    changed what it grants, or whose latest version an interrupted earlier run left unprovisioned somewhere (at
    most three at a time, as AWS allows), each waited for."
  - "Ownership: the collection tags what it creates C(managed-by: ssoshift.identity_center). A permission set of the
    list that exists without that tag is adopted by name: reported in C(adopted) and in C(--diff), and tagged. When
    the endpoint cannot read tags, ownership is C(unknown) and only given tags are refused."
  - A create answered with C(ConflictException) (the name exists, for example the same create repeated after a
    dropped connection) is read back and treated as created, so a re-run converges.
  - From IAM Identity Center's delegated administrator, a change to (or the provisioning of) a permission set
    provisioned to the management account is refused before any write (check mode too), as AWS refuses it there,
    naming the set, why and what to do. The caller is read (C(DescribeOrganization), C(GetCallerIdentity)) only when
    a permission set that exists would change or be provisioned.
options:
  permission_sets:
    description:
      - The permission sets, as in the access model's C(identity_center.permission_sets) (C(name), C(description),
        C(session_duration), C(relay_state), C(managed_policies), C(customer_managed_policies), C(inline_policy),
        C(permissions_boundary), C(tags)). Options left unset are not managed; an empty value means none.
    type: list
    elements: dict
    required: true
  purge_policies:
    description: Detach managed and customer-managed policies that a given list does not name.
    type: bool
    default: true
  purge_tags:
    description: Remove tags that given C(tags) do not name (the ownership tag is always kept).
    type: bool
    default: true
  provision:
    description:
      - Re-provision, once each, the permission sets whose grants changed and those whose latest version is not
        provisioned to every account they are on, and wait for each result. C(false) leaves that to
        M(ssoshift.identity_center.permission_set_provisioning).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for each provisioning request.
    type: int
    default: 300
  max_requests_per_second:
    description: Identity Center calls per second, reads and writes together (AWS's published limit is 20).
    type: int
    default: 20
author:
  - ssoshift contributors (@ssoshift)
extends_documentation_fragment:
  - ssoshift.identity_center.instance
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Every permission set of the access model, provisioned once each at the end
  ssoshift.identity_center.permission_sets:
    permission_sets: "{{ identity_center.permission_sets }}"

- name: Two permission sets, provisioned later
  ssoshift.identity_center.permission_sets:
    permission_sets:
      - {name: AdministratorAccess, managed_policies: [AdministratorAccess], session_duration: PT4H}
      - {name: ReadOnlyAccess, managed_policies: [ReadOnlyAccess]}
    provision: false
"""

RETURN = r"""
instance_arn:
  description: The Identity Center instance.
  returned: always
  type: str
permission_sets:
  description: One entry per permission set of the list, in its order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name.
      type: str
    arn:
      description: ARN; null for one that would be created in check mode.
      type: str
    action:
      description: C(create), C(update) or C(none).
      type: str
    ownership:
      description: C(created) (by this run), C(managed) (carries the ownership tag), C(adopted) (existed without it)
        or C(unknown) (the endpoint cannot read tags).
      type: str
    changes:
      description: The changes made (or that would be).
      type: list
      elements: dict
      contains:
        attribute:
          description: The attribute that changes.
          type: str
        before:
          description: Its value before.
          type: raw
        after:
          description: Its value after.
          type: raw
created:
  description: Names of the permission sets created.
  returned: always
  type: list
  elements: str
updated:
  description: Names of the permission sets updated.
  returned: always
  type: list
  elements: str
adopted:
  description: Names of the permission sets adopted (existed before this run without the ownership tag), for the
    end-state report.
  returned: always
  type: list
  elements: str
  sample: ["AdministratorAccess"]
provisioning:
  description: One entry per permission set provisioned; C(status) is C(WOULD_PROVISION) in check mode.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Permission set name.
      type: str
    status:
      description: C(SUCCEEDED), C(FAILED), C(IN_PROGRESS) (timed out) or C(WOULD_PROVISION).
      type: str
    accounts:
      description: The accounts it was provisioned to.
      type: list
      elements: str
    request_id:
      description: ProvisionPermissionSet request ID.
      type: str
    account_id:
      description: The account a failure happened in.
      type: str
    failure_reason:
      description: AWS's reason for a failure.
      type: str
unsupported_reads:
  description: Reads the endpoint does not implement (C(ListTagsForResource) makes ownership C(unknown)).
  returned: always
  type: list
  elements: str
counts:
  description: Counts of the permission sets by outcome.
  returned: always
  type: dict
  contains:
    created:
      description: Created.
      type: int
    updated:
      description: Updated.
      type: int
    unchanged:
      description: Unchanged.
      type: int
    adopted:
      description: Adopted.
      type: int
    provisioned:
      description: Provisioned (or that would be).
      type: int
api_calls:
  description: AWS API calls made, by operation, and C(total) (retries included).
  returned: always
  type: dict
  sample: {"ListPermissionSets": 1, "DescribePermissionSet": 30, "ListTagsForResource": 30, "total": 150}
  contains:
    total:
      description: All calls, retries included; the other keys are the API operation names, each with its count.
      type: int
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils import rate_limit
from ansible_collections.ssoshift.identity_center.plugins.module_utils.access_model import model_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.assignments import CallCounter
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import discover
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import INSTANCE_OPTIONS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import member_caller_of
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.permission_sets import PermissionSets
from ansible_collections.ssoshift.identity_center.plugins.module_utils.permission_sets import converge_permission_sets


def converge(module):
    params = module.params
    problems = model_problems({"permission_sets": params["permission_sets"]})
    for key in ("max_requests_per_second", "wait_timeout"):
        if params[key] < 1:
            problems.append(f"{key}: must be 1 or more, got {params[key]}")
    fail_if_problems(problems, "invalid permission sets; nothing was changed")
    counter = CallCounter()
    limits = rate_limit.shared(sso_admin_rate=params["max_requests_per_second"])
    sso_admin = limits.attach(counter.attach(client(module, "sso-admin")))
    instance_arn = discover(module, sso_admin)[0]["InstanceArn"]
    engine = PermissionSets(sso_admin, instance_arn, module.check_mode, params["wait_timeout"])
    # Who the caller is (GetCallerIdentity, DescribeOrganization) is asked only when a set provisioned somewhere would
    # change or be provisioned: a delegated administrator may not touch one provisioned to the management account.
    result = converge_permission_sets(engine, params["permission_sets"], params["purge_policies"],
                                      params["purge_tags"], params["provision"],
                                      protected_account=member_caller_of(module))
    result.update(instance_arn=instance_arn, api_calls=counter.summary())
    return result


def main():
    argument_spec = dict(
        permission_sets=dict(type="list", elements="dict", required=True),
        purge_policies=dict(type="bool", default=True),
        purge_tags=dict(type="bool", default=True),
        provision=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
        max_requests_per_second=dict(type="int", default=20),
        **INSTANCE_OPTIONS,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    result = run(module, lambda: converge(module), "Failed to converge permission sets")
    failed = [p for p in result["provisioning"] if p["status"] not in ("SUCCEEDED", "WOULD_PROVISION")]
    if failed:
        module.fail_json(msg=f"{len(failed)} permission set(s) were written but not provisioned: " + "; ".join(
            f"{p['name']} in account {p.get('account_id')}: {p.get('failure_reason')}" for p in failed), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
