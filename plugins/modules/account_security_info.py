#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: account_security_info
short_description: Security posture of an AWS account, before and after the move to IAM Identity Center
version_added: 0.1.0
description:
  - Returns checks with a stable C(id), a C(status) (C(pass), C(fail) or C(unknown)), the C(evidence), and the
    matching Prowler check and AWS Security Hub control where one exists.
  - Root MFA (C(iam_root_mfa_enabled), IAM.9), no root access keys (C(iam_no_root_access_key), IAM.4), root
    hardware MFA (IAM.6), centralized root access, password policy (IAM.15), IAM users with console passwords,
    with active access keys (and their last use), with AdministratorAccess, with directly attached policies
    (IAM.2), credentials unused for longer than I(unused_days) (IAM.22), the security alternate contact
    (Account.1), and whether IAM Identity Center is enabled.
  - Uses the IAM credential report (generated and waited for; its C(N/A), C(not_supported) and C(no_information)
    values read as absent) and the IAM, Account Management and Identity Center APIs. A read the caller may not
    make, or the endpoint does not implement, makes its check C(unknown) with the reason.
  - Reads only; acts in the caller's account (use the member_account role for the others).
options:
  unused_days:
    description: A credential not used for longer than this many days counts as unused (Security Hub IAM.22 uses 45).
    type: int
    default: 45
author:
  - ssoshift contributors (@ssoshift)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Posture before the migration
  ssoshift.identity_center.account_security_info:
  register: posture_before

- name: Show what fails
  ansible.builtin.debug:
    msg: "{{ posture_before.checks | selectattr('status', 'equalto', 'fail') | map(attribute='title') | list }}"
"""

RETURN = r"""
account_id:
  description: The account assessed.
  returned: always
  type: str
checks:
  description: The checks.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Stable check ID, for example C(root_mfa).
      type: str
    title:
      description: What the check asserts.
      type: str
    status:
      description: C(pass), C(fail) or C(unknown).
      type: str
    evidence:
      description: What the status rests on.
      type: dict
    prowler:
      description: Matching Prowler check ID, or null.
      type: str
    security_hub:
      description: Matching AWS Security Hub control ID, or null.
      type: str
summary:
  description: How many checks pass, fail and are unknown.
  returned: always
  type: dict
  sample: {"pass": 6, "fail": 5, "unknown": 1}
  contains:
    pass:
      description: Checks that pass.
      type: int
    fail:
      description: Checks that fail.
      type: int
    unknown:
      description: Checks that could not be read, each with the reason in its evidence.
      type: int
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.posture import assess
from ansible_collections.ssoshift.identity_center.plugins.module_utils.posture import gather


def read(module):
    if module.params["unused_days"] < 1:
        raise SsoShiftError(f"unused_days: must be 1 or more, got {module.params['unused_days']}")
    facts = gather(client(module, "iam"), client(module, "account"), client(module, "sso-admin"))
    checks = assess(facts, module.params["unused_days"])
    summary = {status: sum(1 for c in checks if c["status"] == status) for status in ("pass", "fail", "unknown")}
    account_id = client(module, "sts").get_caller_identity(aws_retry=True)["Account"]
    return dict(changed=False, account_id=account_id, checks=checks, summary=summary)


def main():
    module = AnsibleAWSModule(argument_spec=dict(unused_days=dict(type="int", default=45)), supports_check_mode=True)
    module.exit_json(**run(module, lambda: read(module), "Failed to read the account's security posture"))


if __name__ == "__main__":
    main()
