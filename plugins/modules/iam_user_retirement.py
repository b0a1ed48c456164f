#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: iam_user_retirement
short_description: Audit a legacy IAM user before it is retired in favour of IAM Identity Center
version_added: 0.1.0
description:
  - With I(state=audited) (read-only), returns the user's whole footprint and the evidence of its use,
    that is every access key with status, creation date and last use (date, service, region), when the console
    password was last used, MFA devices, groups, attached and inline policies (with documents),
    permissions boundary, signing certificates, SSH public keys, service-specific credentials and tags.
  - Reports whether any credential was used within I(require_unused_days), and whether the user is the
    identity running the play (retiring it would cut the run off).
  - Reads the endpoint cannot answer are listed in C(unsupported_reads), never skipped silently.
  - Never returns a secret; IAM read APIs do not expose secret keys or passwords.
options:
  name:
    description: Name of the IAM user.
    type: str
    required: true
  state:
    description:
      - C(audited) reads the footprint and changes nothing.
    type: str
    default: audited
    choices: [audited]
  require_unused_days:
    description:
      - A credential used more recently than this many days counts as in use.
    type: int
    default: 30
author:
  - ssoshift contributors (@ssoshift)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Audit the legacy admin user
  ssoshift.identity_center.iam_user_retirement:
    name: admin
    state: audited
  register: admin_audit

- name: Stop if the user is still in use
  ansible.builtin.assert:
    that: not admin_audit.evidence.used_within_window
"""

RETURN = r"""
exists:
  description: Whether the user exists.
  returned: always
  type: bool
footprint:
  description: The user's footprint; empty when the user does not exist.
  returned: always
  type: dict
  contains:
    user_name:
      description: User name.
      type: str
    arn:
      description: User ARN.
      type: str
    access_keys:
      description: Access keys with C(access_key_id), C(status), C(create_date), C(last_used_date),
        C(last_used_service) and C(last_used_region).
      type: list
      elements: dict
    login_profile:
      description: The console password's profile (never the password), or null.
      type: dict
    password_last_used:
      description: When the console password was last used, or null.
      type: str
    mfa_devices:
      description: MFA devices with C(serial_number), C(enable_date) and C(virtual).
      type: list
      elements: dict
    groups:
      description: Group names.
      type: list
      elements: str
    attached_policies:
      description: Attached managed policy ARNs.
      type: list
      elements: str
    inline_policies:
      description: Inline policy documents by name.
      type: dict
    permissions_boundary:
      description: Permissions boundary ARN, or null.
      type: str
    signing_certificates:
      description: Signing certificate IDs and status.
      type: list
      elements: dict
    ssh_public_keys:
      description: SSH public key IDs and status.
      type: list
      elements: dict
    service_specific_credentials:
      description: Service-specific credential IDs, services and status.
      type: list
      elements: dict
    tags:
      description: Tags.
      type: dict
    unsupported_reads:
      description: IAM reads the endpoint did not implement, so their part of the footprint is unknown.
      type: list
      elements: str
evidence:
  description: Evidence of use.
  returned: when the user exists
  type: dict
  contains:
    last_used:
      description: The most recent use of any credential (ISO 8601), or null.
      type: str
    last_used_by:
      description: Which credential that was.
      type: str
    never_used:
      description: No credential of the user was ever used.
      type: bool
    used_within_window:
      description: Credentials used within I(require_unused_days), with how many days ago.
      type: list
      elements: dict
    active_credentials:
      description: Whether a console password exists and how many access keys are active.
      type: dict
is_caller:
  description: Whether the user is the identity running this task.
  returned: when the user exists
  type: bool
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_footprint import read_footprint
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_footprint import usage_evidence

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="audited", choices=["audited"]),
            require_unused_days=dict(type="int", default=30),
        ),
        supports_check_mode=True,
    )
    if module.params["require_unused_days"] < 0:
        module.fail_json(msg=f"require_unused_days must be 0 or more, got {module.params['require_unused_days']}")
    iam = client(module, "iam")
    try:
        footprint = read_footprint(iam, module.params["name"])
        if footprint is None:
            module.exit_json(changed=False, exists=False, footprint={})
        caller_arn = client(module, "sts").get_caller_identity(aws_retry=True)["Arn"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg=f"Failed to read IAM user '{module.params['name']}'")

    module.exit_json(
        changed=False,
        exists=True,
        footprint=footprint,
        evidence=usage_evidence(footprint, module.params["require_unused_days"]),
        is_caller=caller_arn == footprint["arn"],
    )


if __name__ == "__main__":
    main()
