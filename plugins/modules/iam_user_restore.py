#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: iam_user_restore
short_description: Roll back the retirement of an IAM user from its backup file
version_added: 1.0.0
description:
  - Reads a backup written by M(ssoshift.identity_center.iam_user_retirement) and brings the user back to the state
    it had before its retirement started - from the pre-change backup, or from a later snapshot of the same
    retirement (a snapshot embeds the pre-change footprint; for a backup of the older format without a kind, the
    other backups in its folder tell which retirement it belongs to). What a snapshot holds beyond the pre-change
    state (a group or policy added during the retirement) is brought back too.
  - A disabled user gets the credentials that were active reactivated, its C(ssoshift:disabled-at) tag removed, and
    any tag, group, policy or permissions boundary it lacks put back.
  - A deleted user is recreated with its path, tags, permissions boundary, groups, attached and inline policies.
  - Secrets cannot come back, because the backup never holds one. The console password, deleted access keys, MFA
    devices, signing certificates, SSH keys, service-specific credentials and, for a recreated user, its old user
    ID are listed in C(lost_credentials) with the command (or the edit) that issues a new one.
  - When anything is listed there the user is not whole, and the module fails after restoring everything else,
    with the list in its message; C(whole) is true only when nothing is missing. The list stays until the
    credentials are issued again - and a new key has a new ID, so it is still named; the run that issued them is
    the end of the rollback.
  - Refuses a backup from another account than the caller's, so a rollback cannot land in the wrong account, and a
    user of the same name that is not the backup's user (another user ID, not recreated from this retirement).
  - Idempotent; check mode and diff show the calls that would be made (and fail the same way when the user
    would not be whole).
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
  # Everything a backup can bring back is restored either way; a lost credential fails the task with the list.
  # To print the list and fail later instead:
  failed_when: restored.failed and restored.lost_credentials is not defined

- name: Say what has to be issued again
  ansible.builtin.debug:
    msg: "{{ restored.lost_credentials | map(attribute='steps') | list }}"

- name: Stop until they are issued again
  ansible.builtin.fail:
    msg: "{{ restored.user_name }} is not whole: {{ restored.lost_credentials | map(attribute='what') | join(', ') }}"
  when: not restored.whole
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
      description: The credential or property, for example C(console password) or C(access key AKIA...).
      type: str
    steps:
      description: The command or edit that issues a new one.
      type: str
whole:
  description: Whether the user is (or, in check mode, would be) exactly as before its retirement - nothing lost.
  returned: always
  type: bool
restored_to:
  description: Path of the pre-change backup whose state the user is returned to (the given file, or the pre-change
    backup a snapshot belongs to); null when the snapshot was written without one.
  returned: always
  type: str
notes:
  description: How the restore read the backup (a snapshot of a retirement, what is not known).
  returned: always
  type: list
  elements: str
"""

import os

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import PartialFailure
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_footprint import read_footprint
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import READABLE_FORMATS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import apply_steps
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import load_backups
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import lost_credentials
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import read_backup
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import restore_steps
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import restore_target
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import same_user
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import warn

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule


def load_backup(path):
    try:
        backup = read_backup(path)
    except OSError as error:
        raise SsoShiftError(f"backup_file: cannot read '{path}': {error}") from error
    except ValueError as error:
        raise SsoShiftError(f"backup_file: {error}") from error
    if not backup.get("account_id"):
        raise SsoShiftError(f"backup_file: '{path}' names no account_id (formats {READABLE_FORMATS})")
    return backup


def target_of(module, path, backup):
    """(footprint, pre-change path, notes) the restore returns the user to (restore_target)."""
    folder = None
    if not backup.get("kind"):  # the first format: its folder tells which retirement it belongs to
        found, problems = load_backups(os.path.dirname(path), backup["account_id"], backup["footprint"]["user_name"])
        folder = found.get((str(backup["account_id"]), backup["footprint"]["user_name"]), [])
        for problem in problems:
            warn(module, f"backup folder: {problem}")
    return restore_target(path, backup, folder)


def _lost_message(user, lost, done):
    listing = "\n".join(f"- {entry['what']}: {entry['steps']}" for entry in lost)
    restored = "; ".join(done) or "nothing else was missing"
    return (f"IAM user '{user}' cannot be made whole from its backup: {len(lost)} thing(s) cannot be brought back "
            f"(no secret is ever backed up). Restored: {restored}. Issue these again:\n{listing}")


def restore(module):
    path = os.path.abspath(module.params["backup_file"])
    backup = load_backup(path)
    target, pre_change, notes = target_of(module, path, backup)
    caller_account = client(module, "sts").get_caller_identity(aws_retry=True)["Account"]
    if str(backup["account_id"]) != caller_account:
        raise SsoShiftError(f"backup_file: the backup is of account {backup['account_id']} but these credentials "
                            f"are for account {caller_account}; nothing was changed. Run it in account "
                            f"{backup['account_id']} (playbooks/restore_iam_user.yml assumes the role there).")
    iam = client(module, "iam")
    current = read_footprint(iam, target["user_name"])
    known_ids = {backup["footprint"].get("user_id"), target.get("user_id")} - {None}
    if current is not None and not same_user(target, current, known_ids):
        raise SsoShiftError(f"backup_file: IAM user '{target['user_name']}' exists but is not the user of this backup "
                            f"(ID {current['user_id']}, the backup's is {target['user_id']}); nothing was changed. Its "
                            "policies and groups are not granted to a different user of the same name.")
    for part in target.get("unsupported_reads") or []:
        notes.append(f"{part} was not answered when the backup was written: if the user had such credentials, "
                     "they are not in the backup and are not listed below")
    steps = restore_steps(target, current)
    lost = lost_credentials(target, current)
    result = dict(changed=bool(steps), user_name=target["user_name"], recreated=current is None,
                  actions=[description for dummy, dummy2, description in steps], lost_credentials=lost,
                  whole=not lost, restored_to=pre_change, notes=notes)
    if steps:
        result["diff"] = dict(before={"exists": current is not None},
                              after={"exists": True, "calls": result["actions"]})
    if steps and not module.check_mode:
        done = []
        try:
            apply_steps(iam, steps, done)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            module.fail_json_aws(error, msg=f"Stopped restoring IAM user '{target['user_name']}' at step "
                                 f"'{steps[len(done)][2]}' after {len(done)} of {len(steps)}; run again to continue.",
                                 actions=done, lost_credentials=lost, whole=False, restored_to=pre_change)
        result["actions"] = done
    if lost:
        raise PartialFailure(_lost_message(target["user_name"], lost, result["actions"]), result)
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(backup_file=dict(type="path", required=True)),
        supports_check_mode=True,
    )
    module.exit_json(**run(module, lambda: restore(module), "Failed to restore the IAM user"))


if __name__ == "__main__":
    main()
