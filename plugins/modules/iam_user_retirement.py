#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: iam_user_retirement
short_description: Audit, disable or delete a legacy IAM user, with interlocks and a backup
version_added: 1.0.0
description:
  - With I(state=audited) (read-only), returns the user's whole footprint and the evidence of its use,
    that is every access key with status, creation date and last use (date, service, region), when the console
    password was last used, MFA devices, groups, attached and inline policies (with documents),
    permissions boundary, signing certificates, SSH public keys, service-specific credentials and tags.
  - Reports whether any credential was used within I(require_unused_days), and whether the user is the
    identity running the play (retiring it would cut the run off).
  - Reads the endpoint cannot answer are listed in C(unsupported_reads), never skipped silently.
  - With I(state=disabled), writes the backup, removes the console password, sets every access key, SSH public
    key, signing certificate and service-specific credential C(Inactive), and tags the user C(ssoshift:disabled-at)
    with the time. Nothing is deleted; rollback is reactivation
    (C(playbooks/restore_iam_user.yml)).
  - With I(state=absent), writes the backup, then removes everything IAM requires before C(DeleteUser) (console
    password, access keys, signing certificates, SSH keys, service-specific credentials, MFA devices deactivated
    and virtual MFA devices deleted, inline and attached policies, permissions boundary, group memberships) and
    deletes the user.
  - Interlocks, each of which refuses with the reason and what to do, before any write and before the backup -
    the user is the identity running the task; a credential was used within I(require_unused_days);
    I(replacement_access_verified) is not true; I(state=absent) before I(quarantine_days) have passed since
    C(disabled) (unless I(force)); the backup cannot be written to I(backup_dir).
  - The backup is a JSON file, mode 0600, in I(backup_dir) on the host running the module (run it on the
    controller - the roles delegate to localhost). It holds the whole footprint with policy documents and no
    secret.
  - One pre-change backup per user and retirement - the first run that changes the user writes it, and every
    later run (a rerun after an interrupted run, the deletion after the quarantine) finds it in I(backup_dir)
    and returns it as C(backup_file); what a later run found is kept beside it as a snapshot
    (C(<account>-<user>-<time>-snapshot.json), returned as C(snapshot_file)), never as a new pre-change
    backup of a half-changed user. A restore from either returns the user to the pre-change state.
  - With I(backup_dir) set, every state (C(audited) too, read-only) returns the pre-change backup of the user's
    latest retirement, also for a user already deleted.
  - Check mode and diff show exactly what would be removed; check mode writes nothing, not even the backup.
  - Never returns a secret; IAM read APIs do not expose secret keys or passwords.
options:
  name:
    description: Name of the IAM user.
    type: str
    required: true
  state:
    description:
      - C(audited) reads the footprint and changes nothing.
      - C(disabled) deactivates the user's credentials and keeps everything else.
      - C(absent) deletes the user and everything attached to it.
    type: str
    default: audited
    choices: [audited, disabled, absent]
  require_unused_days:
    description:
      - A credential used more recently than this many days counts as in use, and blocks C(disabled) and C(absent).
    type: int
    default: 30
  quarantine_days:
    description:
      - Days that must pass between C(disabled) and C(absent).
    type: int
    default: 7
  replacement_access_verified:
    description:
      - Confirms that the people who used this user reach the same accounts through IAM Identity Center (the
        verification phase passed and someone signed in through the access portal with MFA).
        C(disabled) and C(absent) refuse without it.
    type: bool
    default: false
  force:
    description:
      - Allows C(absent) before the quarantine is over or without a prior C(disabled). The other interlocks
        still apply.
    type: bool
    default: false
  backup_dir:
    description:
      - Folder for the backup files (created with mode 0700). Required with I(state=disabled) and I(state=absent).
      - With I(state=audited), only read, to return the user's pre-change backup.
    type: path
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

- name: Disable it once the Identity Center sign-in is verified (keys inactive, password removed)
  ssoshift.identity_center.iam_user_retirement:
    name: admin
    state: disabled
    replacement_access_verified: true
    backup_dir: "{{ playbook_dir }}/out/backups"
  delegate_to: localhost
  register: disabled

- name: Delete it on a later run, after the quarantine
  ssoshift.identity_center.iam_user_retirement:
    name: admin
    state: absent
    quarantine_days: 7
    replacement_access_verified: true
    backup_dir: "{{ playbook_dir }}/out/backups"
  delegate_to: localhost
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
      contains:
        access_key_id:
          description: Access key ID.
          type: str
        status:
          description: C(Active) or C(Inactive).
          type: str
        create_date:
          description: When the key was created (ISO 8601).
          type: str
        last_used_date:
          description: When the key was last used (ISO 8601), or null.
          type: str
        last_used_service:
          description: The service it was last used with, or null.
          type: str
        last_used_region:
          description: The region it was last used in, or null.
          type: str
    login_profile:
      description: The console password's profile (never the password), or null.
      type: dict
      contains:
        create_date:
          description: When the console password was created (ISO 8601).
          type: str
        password_reset_required:
          description: Whether the user must set a new password at the next sign-in.
          type: bool
    password_last_used:
      description: When the console password was last used, or null.
      type: str
    mfa_devices:
      description: MFA devices with C(serial_number), C(enable_date) and C(virtual).
      type: list
      elements: dict
      contains:
        serial_number:
          description: Serial number (the ARN of a virtual device).
          type: str
        enable_date:
          description: When the device was enabled (ISO 8601).
          type: str
        virtual:
          description: Whether it is a virtual MFA device.
          type: bool
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
      contains:
        certificate_id:
          description: Certificate ID.
          type: str
        status:
          description: C(Active) or C(Inactive).
          type: str
    ssh_public_keys:
      description: SSH public key IDs and status.
      type: list
      elements: dict
      contains:
        ssh_public_key_id:
          description: SSH public key ID.
          type: str
        status:
          description: C(Active) or C(Inactive).
          type: str
    service_specific_credentials:
      description: Service-specific credential IDs, services and status.
      type: list
      elements: dict
      contains:
        service_specific_credential_id:
          description: Credential ID.
          type: str
        service_name:
          description: The service the credential is for, for example C(codecommit.amazonaws.com).
          type: str
        status:
          description: C(Active) or C(Inactive).
          type: str
        service_user_name:
          description: The user name to sign in to the service with.
          type: str
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
      contains:
        credential:
          description: Which credential, for example C(console password) or C(access key AKIA... (s3)).
          type: str
        last_used:
          description: When it was last used (ISO 8601).
          type: str
        days_ago:
          description: How many days ago, to one decimal.
          type: float
    active_credentials:
      description: Whether a console password exists and how many access keys are active.
      type: dict
      contains:
        console_password:
          description: Whether the user has a console password.
          type: bool
        active_access_keys:
          description: How many of the user's access keys are active.
          type: int
is_caller:
  description: Whether the user is the identity running this task.
  returned: when the user exists
  type: bool
retirement:
  description: Where the user stands in the staged retirement.
  returned: when the user exists
  type: dict
  contains:
    disabled_at:
      description: When this collection disabled the user (its C(ssoshift:disabled-at) tag), or null.
      type: str
    quarantine_ends:
      description: When C(absent) becomes allowed without I(force), or null.
      type: str
    next_state:
      description: C(disabled) (credentials still live), C(wait) (in quarantine) or C(absent) (quarantine over).
      type: str
actions:
  description: What was done (or, in check mode, would be done), one line per IAM call.
  returned: always
  type: list
  elements: str
  sample: ["remove the console password", "deactivate access key AKIA...", "tag the user ssoshift:disabled-at=..."]
backup_file:
  description:
    - Path of the pre-change backup of the user's latest retirement, written by this run (its first change) or
      found in I(backup_dir) (an earlier run's); the backup a restore returns the user from.
    - Null without I(backup_dir), before any retirement, in check mode before the first change, and when the user
      was changed by a run whose pre-change backup is not in I(backup_dir) (a warning says so).
  returned: always
  type: str
snapshot_file:
  description:
    - Path of the snapshot this run wrote beside the pre-change backup, because an earlier run of the same
      retirement had already changed the user (an interrupted run, or the deletion after the disable); null
      otherwise.
  returned: always
  type: str
unsupported:
  description: Parts of the footprint the endpoint could not list, so they could not be removed or checked.
  returned: always
  type: list
  elements: str
"""

import datetime

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.legacy_users import Refused
from ansible_collections.ssoshift.identity_center.plugins.module_utils.legacy_users import StepFailed
from ansible_collections.ssoshift.identity_center.plugins.module_utils.legacy_users import retire_user
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import warn


def retire(module):
    params = module.params
    for option in ("require_unused_days", "quarantine_days"):
        if params[option] < 0:
            raise SsoShiftError(f"{option} must be 0 or more, got {params[option]}")
    clock = datetime.datetime.now(datetime.timezone.utc)
    now = clock.replace(microsecond=0)  # the disabled-at tag and backup names carry whole seconds
    identity = client(module, "sts").get_caller_identity(aws_retry=True)
    caller = {"arn": identity["Arn"], "account_id": identity["Account"]}
    try:
        return retire_user(client(module, "iam"), params["name"], params, caller, now, clock, module.check_mode,
                           lambda text: warn(module, text))
    except Refused as refused:
        module.fail_json(msg=str(refused), interlocks=refused.reasons, exists=True,
                         is_caller=refused.result["is_caller"], evidence=refused.result["evidence"],
                         retirement=refused.result["retirement"], backup_file=refused.result["backup_file"])
    except StepFailed as failed:
        module.fail_json_aws(failed.error, msg=str(failed), actions=failed.done, backup_file=failed.backup_file,
                             snapshot_file=failed.snapshot_file)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="audited", choices=["audited", "disabled", "absent"]),
            require_unused_days=dict(type="int", default=30),
            quarantine_days=dict(type="int", default=7),
            replacement_access_verified=dict(type="bool", default=False),
            force=dict(type="bool", default=False),
            backup_dir=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    verb = {"audited": "read", "disabled": "disable", "absent": "delete"}[module.params["state"]]
    module.exit_json(**run(module, lambda: retire(module), f"Failed to {verb} IAM user '{module.params['name']}'"))


if __name__ == "__main__":
    main()
