#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: iam_user_restore
short_description: Roll back the retirement of an IAM user from its backup file
version_added: 0.1.0
description:
  - Reads a backup written by M(ssoshift.identity_center.iam_user_retirement) and brings the user back.
  - A disabled user gets the access keys that were active reactivated and its C(ssoshift:disabled-at) tag removed.
  - A deleted user is recreated with its path, tags, permissions boundary, groups, attached and inline policies.
  - Secrets cannot come back, because the backup never holds one. The console password, deleted access keys, MFA
    devices, signing certificates, SSH keys and service-specific credentials are listed in C(lost_credentials)
    with the command that issues a new one.
  - Refuses a backup from another account than the caller's, so a rollback cannot land in the wrong account, and a
    user of the same name that is not the backup's user (another user ID, not recreated from this backup).
  - Idempotent; check mode and diff show the calls that would be made.
options:
  backup_file:
    description: Path of the backup JSON file on the host running the module (the controller).
    type: path
    required: true
author:
  - ssoshift contributors (@ssoshift)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Bring back the admin user disabled by the migration
  ssoshift.identity_center.iam_user_restore:
    backup_file: out/backups/123456789012-admin-20261126T101500Z.json
  delegate_to: localhost
  register: restored

- name: Say what has to be issued again
  ansible.builtin.debug:
    msg: "{{ restored.lost_credentials | map(attribute='steps') | list }}"
"""

RETURN = r"""
user_name:
  description: The user restored.
  returned: always
  type: str
recreated:
  description: Whether the user had been deleted and was (or would be) created again.
  returned: always
  type: bool
actions:
  description: The IAM calls made (or that would be made in check mode), one line each.
  returned: always
  type: list
  elements: str
lost_credentials:
  description: What the backup cannot restore, each with C(what) and the C(steps) to issue a new one.
  returned: always
  type: list
  elements: dict
  contains:
    what:
      description: The credential, for example C(console password) or C(access key AKIA...).
      type: str
    steps:
      description: How to issue a new one (an AWS CLI command, or what the person does).
      type: str
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_footprint import read_footprint
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import BACKUP_FORMAT
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import apply_steps
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import lost_credentials
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import restore_steps
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import same_user

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule


def load_backup(module, path):
    try:
        with open(path) as handle:
            backup = json.load(handle)
    except (OSError, ValueError) as error:
        module.fail_json(msg=f"backup_file: cannot read '{path}': {error}")
    if not isinstance(backup, dict) or backup.get("format") != BACKUP_FORMAT or "footprint" not in backup:
        module.fail_json(msg=f"backup_file: '{path}' is not an iam_user_retirement backup (format {BACKUP_FORMAT})")
    return backup


def restore(module):
    backup = load_backup(module, module.params["backup_file"])
    saved = backup["footprint"]
    caller_account = client(module, "sts").get_caller_identity(aws_retry=True)["Account"]
    if str(backup["account_id"]) != caller_account:
        module.fail_json(msg=f"backup_file: the backup is of account {backup['account_id']} but these credentials "
                         f"are for account {caller_account}; nothing was changed. Run it in account "
                         f"{backup['account_id']} (playbooks/restore_iam_user.yml assumes the role there).")
    iam = client(module, "iam")
    current = read_footprint(iam, saved["user_name"])
    if current is not None and not same_user(saved, current):
        module.fail_json(msg=f"IAM user '{saved['user_name']}' exists but is not the user of this backup (ID "
                         f"{current['user_id']}, the backup's is {saved['user_id']}); nothing was changed. Its "
                         "policies and groups are not granted to a different user of the same name.")
    steps = restore_steps(saved, current)
    result = dict(changed=bool(steps), user_name=saved["user_name"], recreated=current is None,
                  actions=[description for dummy, dummy2, description in steps],
                  lost_credentials=lost_credentials(saved, current))
    if steps:
        result["diff"] = dict(before={"exists": current is not None}, after={"exists": True, "calls": result["actions"]})
    if steps and not module.check_mode:
        done = []
        try:
            apply_steps(iam, steps, done)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            module.fail_json_aws(error, msg=f"Stopped restoring IAM user '{saved['user_name']}' at step "
                                 f"'{steps[len(done)][2]}' after {len(done)} of {len(steps)}; run again to continue.",
                                 actions=done)
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(backup_file=dict(type="path", required=True)),
        supports_check_mode=True,
    )
    try:
        result = restore(module)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg="Failed to restore the IAM user")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
