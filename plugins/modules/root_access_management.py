#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: root_access_management
short_description: Centralized root access management for the organization's member accounts
version_added: 1.0.0
description:
  - Enables or disables the IAM organizations features that centralize root access for member accounts
    (C(ListOrganizationsFeatures), C(EnableOrganizationsRootCredentialsManagement),
    C(EnableOrganizationsRootSessions) and their C(Disable) calls).
  - C(RootCredentialsManagement) lets the management account delete member accounts' root credentials and
    keep them from being recovered. C(RootSessions) lets it run the few tasks that need root in a member
    account through short, audited privileged sessions.
  - Needs AWS Organizations with all features and trusted access for C(iam.amazonaws.com)
    (M(ssoshift.identity_center.organization)); a missing prerequisite fails with what to do.
  - Only the management account changes the features; the IAM delegated administrator may only read them. From any
    other account a change is refused before any write, check mode included, naming the management account. In check
    mode before trusted access for C(iam.amazonaws.com) exists, both features are planned instead.
  - Root credentials are never read, created or stored by this collection.
  - An endpoint that does not implement these IAM calls (a local emulator) gives C(supported=false) and a
    warning instead of a failure; AWS itself always has them.
options:
  features:
    description: The features to manage.
    type: list
    elements: str
    choices: [RootCredentialsManagement, RootSessions]
    default: [RootCredentialsManagement, RootSessions]
  state:
    description: Whether the features are enabled.
    type: str
    default: present
    choices: [present, absent]
author:
  - ssoshift contributors (@ssoshift)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Centralize root access for member accounts
  ssoshift.identity_center.root_access_management:
"""

RETURN = r"""
enabled_features:
  description: The features enabled after the change.
  returned: always
  type: list
  elements: str
  sample: ["RootCredentialsManagement", "RootSessions"]
supported:
  description: False when the endpoint does not implement the IAM organizations-features API; nothing was done.
  returned: always
  type: bool
changes:
  description: The features enabled (or disabled) by this task, or that would be in check mode.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import member_caller_of
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import warn
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.root_access import ensure_root_access


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            features=dict(type="list", elements="str", choices=["RootCredentialsManagement", "RootSessions"],
                          default=["RootCredentialsManagement", "RootSessions"]),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        ),
        supports_check_mode=True,
    )
    result = run(module, lambda: ensure_root_access(
        client(module, "iam"), module.params["features"], module.params["state"], module.check_mode,
        member_caller=member_caller_of(module)),
        "Failed to manage centralized root access")
    if not result["supported"]:
        warn(module, result["msg"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
