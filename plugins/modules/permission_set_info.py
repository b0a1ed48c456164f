#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: permission_set_info
short_description: Read IAM Identity Center permission sets with their policies and provisioning
version_added: 1.0.0
description:
  - Returns permission sets (all, or those named in I(names)) with description, session duration, relay state,
    managed and customer-managed policies, inline policy, permissions boundary, tags and the accounts each is
    provisioned to.
  - A read the endpoint does not implement is listed in C(unsupported_reads) of that permission set, never skipped silently.
options:
  names:
    description: Names of the permission sets to read; all when unset. Names that do not exist are listed in C(missing).
    type: list
    elements: str
author:
  - ssoshift contributors (@ssoshift)
extends_documentation_fragment:
  - ssoshift.identity_center.instance
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Every permission set
  ssoshift.identity_center.permission_set_info:
  register: permission_sets

- name: Where is AdministratorAccess provisioned?
  ssoshift.identity_center.permission_set_info:
    names: [AdministratorAccess]
  register: admin
"""

RETURN = r"""
permission_sets:
  description: The permission sets, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name.
      type: str
    arn:
      description: ARN.
      type: str
    session_duration:
      description: Session duration (ISO 8601).
      type: str
    managed_policies:
      description: AWS-managed policy ARNs.
      type: list
      elements: str
    customer_managed_policies:
      description: Customer-managed policy references C({name, path}).
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
      type: dict
    provisioned_accounts:
      description: IDs of the accounts the permission set is provisioned to.
      type: list
      elements: str
    unsupported_reads:
      description: Reads the endpoint did not implement (their fields are then absent).
      type: list
      elements: str
missing:
  description: Names in I(names) that do not exist.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import endpoint_lacks
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import INSTANCE_OPTIONS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import instance_arn
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.permission_sets import PermissionSets

try:
    import botocore
    import botocore.parsers
except ImportError:
    pass  # handled by AnsibleAWSModule


def _optional_read(view, name, read):
    try:
        view.update(read())
    except (botocore.exceptions.ClientError, botocore.parsers.ResponseParserError) as error:
        if not endpoint_lacks(error):
            raise
        view["unsupported_reads"].append(name)


def describe(engine, arn):
    view = engine.read(arn, with_boundary=False, with_tags=False)
    view["unsupported_reads"] = []
    _optional_read(view, "GetPermissionsBoundaryForPermissionSet",
                   lambda: {"permissions_boundary": engine.read_boundary(arn)})
    _optional_read(view, "ListTagsForResource", lambda: {"tags": engine.read_tags(arn)})
    view["provisioned_accounts"] = sorted(engine.provisioned_accounts(arn))
    return view


def read(module):
    engine = PermissionSets(client(module, "sso-admin"), instance_arn(module))
    by_name = engine.by_name()
    names = module.params["names"] if module.params["names"] is not None else sorted(by_name)
    return dict(changed=False, permission_sets=[describe(engine, by_name[n]) for n in names if n in by_name],
                missing=[n for n in names if n not in by_name])


def main():
    module = AnsibleAWSModule(argument_spec=dict(names=dict(type="list", elements="str"), **INSTANCE_OPTIONS),
                              supports_check_mode=True)
    module.exit_json(**run(module, lambda: read(module), "Failed to read permission sets"))


if __name__ == "__main__":
    main()
