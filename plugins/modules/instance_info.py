#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: instance_info
short_description: Discover the AWS IAM Identity Center instance and its access portal URL
version_added: 1.0.0
description:
  - Lists the IAM Identity Center instances visible to the caller and selects the one to act on.
  - Exactly one instance is used as is. When several are visible, I(instance_arn) must name one.
    When none is visible the module fails and names the console step that enables an
    organization instance, because AWS offers no API to create one; from a member account that does
    not administer Identity Center (AWS shows it such an account no instance) it says so instead, and
    where to run it.
  - Returns the instance ARN, identity store ID, owner account, status and the AWS access portal URL.
  - Run it from the organization's management account or the delegated administrator account,
    in the region where Identity Center is enabled.
options:
  instance_arn:
    description:
      - ARN of the instance to select when several are visible.
      - When given, the module fails if no visible instance has this ARN.
    type: str
  portal_url:
    description:
      - The access portal URL, when the instance uses a custom subdomain
        (for example C(https://acme.awsapps.com/start)).
      - Defaults to C(https://<identity-store-id>.awsapps.com/start).
    type: str
author:
  - ssoshift contributors (@ssoshift)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the Identity Center instance
  ssoshift.identity_center.instance_info:
  register: identity_center

- name: Show where people sign in
  ansible.builtin.debug:
    msg: "Access portal: {{ identity_center.instance.portal_url }}"

- name: Select one of several instances, with a custom portal subdomain
  ssoshift.identity_center.instance_info:
    instance_arn: arn:aws:sso:::instance/ssoins-1234567890abcdef
    portal_url: https://acme.awsapps.com/start
    region: eu-west-1
"""

RETURN = r"""
instance:
  description: The selected instance.
  returned: success
  type: dict
  contains:
    instance_arn:
      description: ARN of the instance.
      type: str
      sample: arn:aws:sso:::instance/ssoins-1234567890abcdef
    identity_store_id:
      description: ID of the identity store attached to the instance.
      type: str
      sample: d-1234567890
    owner_account_id:
      description: Account that owns the instance (the management account for an organization instance).
      type: str
      sample: "123456789012"
    name:
      description: Name of the instance, when it has one.
      type: str
      sample: acme
    status:
      description: Status of the instance (C(ACTIVE), C(CREATE_IN_PROGRESS), C(DELETE_IN_PROGRESS)).
      type: str
      sample: ACTIVE
    created_date:
      description: When the instance was created (ISO 8601).
      type: str
      sample: "2025-10-26T09:12:03+00:00"
    portal_url:
      description: The AWS access portal URL people sign in through.
      type: str
      sample: https://d-1234567890.awsapps.com/start
    region:
      description: The region the instance was found in, which is the SSO region of AWS CLI profiles.
      type: str
      sample: eu-west-1
instances:
  description: Every instance visible to the caller, in the same form as I(instance) (without selection).
  returned: success
  type: list
  elements: dict
  contains:
    instance_arn:
      description: ARN of the instance.
      type: str
    identity_store_id:
      description: ID of the identity store attached to the instance.
      type: str
    owner_account_id:
      description: Account that owns the instance.
      type: str
    name:
      description: Name of the instance, when it has one.
      type: str
    status:
      description: Status of the instance.
      type: str
    created_date:
      description: When the instance was created (ISO 8601).
      type: str
    portal_url:
      description: The AWS access portal URL of the instance's identity store (I(portal_url) is not applied here).
      type: str
    region:
      description: The region the instance was found in.
      type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils.identity_center import instance_to_result
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import discover
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run


def read(module):
    # No instance visible: one DescribeOrganization and one GetCallerIdentity (on that path only) tell a member account
    # apart, which is told where to run instead of the console step (identity_center.NOT_ADMINISTERING).
    selected, instances = discover(module)
    override = module.params["portal_url"]
    return dict(
        changed=False,
        instance=dict(instance_to_result(selected, override), region=module.region),
        instances=[dict(instance_to_result(instance), region=module.region) for instance in instances],
    )


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            instance_arn=dict(type="str"),
            portal_url=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    module.exit_json(**run(module, lambda: read(module), "Failed to list IAM Identity Center instances"))


if __name__ == "__main__":
    main()
