# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Staged retirement of a legacy IAM user: interlocks, backup, plan, apply, restore.

The pure parts (`interlocks`, `plan_steps`, `restore_steps`, `stage_of`) decide; `apply_steps`
and `write_backup` act. A refusal is decided before the backup is written and before any IAM
write, so a refused run changes nothing. Disabling only deactivates (rollback is reactivation);
deletion removes everything IAM requires, including virtual MFA devices.
"""

import datetime
import json
import os
import re
import tempfile

DISABLED_TAG = "ssoshift:disabled-at"
RESTORED_TAG = "ssoshift:restored-from"
BACKUP_FORMAT = 1


def _moment(value):
    moment = datetime.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=datetime.timezone.utc) if moment.tzinfo is None else moment


# Credentials a disabled user must not keep active: (footprint key, ID field, update call, ID parameter, label).
DEACTIVATABLE = (
    ("access_keys", "access_key_id", "update_access_key", "AccessKeyId", "access key"),
    ("ssh_public_keys", "ssh_public_key_id", "update_ssh_public_key", "SSHPublicKeyId", "SSH public key"),
    ("signing_certificates", "certificate_id", "update_signing_certificate", "CertificateId", "signing certificate"),
    ("service_specific_credentials", "service_specific_credential_id", "update_service_specific_credential",
     "ServiceSpecificCredentialId", "service-specific credential"),
)


def _active_credentials(footprint):
    """(kind, credential) for every credential still Active."""
    for kind in DEACTIVATABLE:
        for credential in footprint.get(kind[0]) or []:
            if credential.get("status") == "Active":
                yield kind, credential


def stage_of(footprint, quarantine_days, now):
    """Where the user stands: {disabled_at, quarantine_ends, next_state} with next_state one of
    disabled (still has live credentials), absent (disabled and quarantine over), wait."""
    disabled_at = footprint["tags"].get(DISABLED_TAG)
    live = footprint["login_profile"] is not None or any(True for dummy in _active_credentials(footprint))
    if not disabled_at or live:
        return {"disabled_at": disabled_at, "quarantine_ends": None, "next_state": "disabled"}
    try:
        ends = _moment(disabled_at) + datetime.timedelta(days=quarantine_days)
    except ValueError:
        return {"disabled_at": disabled_at, "quarantine_ends": None, "next_state": "disabled"}
    return {"disabled_at": disabled_at, "quarantine_ends": ends.isoformat(),
            "next_state": "absent" if now >= ends else "wait"}


def interlocks(footprint, evidence, is_caller, state, params, now):
    """Every reason to refuse disabling/deleting this user; empty means go. Pure."""
    name = footprint["user_name"]
    reasons = []
    if is_caller:
        reasons.append(f"'{name}' is the identity running this play; retiring it would cut the run off. "
                       "Run the retirement with other credentials (an Identity Center session).")
    for use in evidence["used_within_window"]:
        reasons.append(f"'{name}': {use['credential']} was used {use['days_ago']} day(s) ago ({use['last_used']}), "
                       f"within require_unused_days={params['require_unused_days']}. Find and move what uses it first.")
    if not params["replacement_access_verified"]:
        reasons.append(f"'{name}': replacement_access_verified is not true. Verify that the people who used this user "
                       "can sign in through the access portal with MFA and hold the access they need, then set it.")
    if state == "absent" and not params["force"]:
        stage = stage_of(footprint, params["quarantine_days"], now)
        if stage["disabled_at"] is None:
            reasons.append(f"'{name}' was never disabled by this collection; disable it first (state=disabled) and "
                           f"delete it after quarantine_days={params['quarantine_days']}, or set force=true.")
        elif stage["next_state"] == "disabled":
            reasons.append(f"'{name}' has live credentials again since it was disabled at {stage['disabled_at']}; "
                           "disable it again and wait for the quarantine, or set force=true.")
        elif stage["next_state"] == "wait":
            reasons.append(f"'{name}' was disabled at {stage['disabled_at']}; the quarantine of "
                           f"{params['quarantine_days']} day(s) ends at {stage['quarantine_ends']}. "
                           "Run again after that, or set force=true.")
    return reasons


def disabled_footprint(footprint, now):
    """The footprint as state=disabled leaves it (for the diff and the stage after the change)."""
    after = dict(footprint, login_profile=None)
    for key, dummy, dummy2, dummy3, dummy4 in DEACTIVATABLE:
        after[key] = [dict(credential, status="Inactive") for credential in footprint.get(key) or []]
    if plan_steps(footprint, "disabled", now):
        after["tags"] = dict(footprint["tags"], **{DISABLED_TAG: now.isoformat()})
    return after


def plan_steps(footprint, state, now):
    """The IAM calls that take the user to `state`, as (operation, kwargs, description). Pure."""
    user = footprint["user_name"]
    steps = []
    if footprint["login_profile"] is not None:
        steps.append(("delete_login_profile", {"UserName": user}, "remove the console password"))
    if state == "disabled":
        # Every credential that signs in or calls AWS: access keys, CodeCommit SSH keys, X.509 signing
        # certificates and service-specific credentials (Git over HTTPS, Keyspaces, Bedrock API keys).
        for (dummy, field, call, parameter, label), credential in _active_credentials(footprint):
            steps.append((call, {"UserName": user, parameter: credential[field], "Status": "Inactive"},
                          f"deactivate {label} {credential[field]}"))
        if steps or DISABLED_TAG not in footprint["tags"]:
            steps.append(("tag_user", {"UserName": user, "Tags": [{"Key": DISABLED_TAG, "Value": now.isoformat()}]},
                          f"tag the user {DISABLED_TAG}={now.isoformat()}"))
        return steps
    for key in footprint["access_keys"]:
        steps.append(("delete_access_key", {"UserName": user, "AccessKeyId": key["access_key_id"]},
                      f"delete access key {key['access_key_id']}"))
    for certificate in footprint["signing_certificates"]:
        steps.append(("delete_signing_certificate", {"UserName": user, "CertificateId": certificate["certificate_id"]},
                      f"delete signing certificate {certificate['certificate_id']}"))
    for ssh_key in footprint["ssh_public_keys"]:
        steps.append(("delete_ssh_public_key", {"UserName": user, "SSHPublicKeyId": ssh_key["ssh_public_key_id"]},
                      f"delete SSH public key {ssh_key['ssh_public_key_id']}"))
    for credential in footprint["service_specific_credentials"]:
        steps.append(("delete_service_specific_credential",
                      {"UserName": user, "ServiceSpecificCredentialId": credential["service_specific_credential_id"]},
                      f"delete service-specific credential {credential['service_specific_credential_id']} "
                      f"({credential['service_name']})"))
    for device in footprint["mfa_devices"]:
        steps.append(("deactivate_mfa_device", {"UserName": user, "SerialNumber": device["serial_number"]},
                      f"deactivate MFA device {device['serial_number']}"))
        if device["virtual"]:
            steps.append(("delete_virtual_mfa_device", {"SerialNumber": device["serial_number"]},
                          f"delete virtual MFA device {device['serial_number']}"))
    for policy_name in sorted(footprint["inline_policies"]):
        steps.append(("delete_user_policy", {"UserName": user, "PolicyName": policy_name},
                      f"delete inline policy {policy_name}"))
    for policy_arn in footprint["attached_policies"]:
        steps.append(("detach_user_policy", {"UserName": user, "PolicyArn": policy_arn},
                      f"detach policy {policy_arn}"))
    if footprint["permissions_boundary"]:
        steps.append(("delete_user_permissions_boundary", {"UserName": user},
                      f"remove permissions boundary {footprint['permissions_boundary']}"))
    for group in footprint["groups"]:
        steps.append(("remove_user_from_group", {"UserName": user, "GroupName": group},
                      f"remove from group {group}"))
    steps.append(("delete_user", {"UserName": user}, f"delete user {user}"))
    return steps


def apply_steps(iam, steps, done):
    """Run the planned calls in order, appending each description to `done`; a failure stops at that
    step, and a re-run plans again from what is left."""
    for operation, kwargs, description in steps:
        getattr(iam, operation)(aws_retry=True, **kwargs)
        done.append(description)


def backup_path(backup_dir, account_id, user_name, now):
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    safe = re.sub(r"[^\w+=,.@-]", "_", user_name)
    return os.path.join(backup_dir, f"{account_id}-{safe}-{stamp}.json")


def backup_problem(backup_dir):
    """Why a backup could not be written to backup_dir, or None. Creates nothing."""
    if not backup_dir:
        return "backup_dir is not set; a backup is required before any change"
    existing = backup_dir
    while not os.path.isdir(existing):
        parent = os.path.dirname(existing)
        if parent == existing or (os.path.exists(existing) and not os.path.isdir(existing)):
            return f"backup_dir '{backup_dir}' cannot be created: '{existing}' is not a folder"
        existing = parent
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"backup_dir '{backup_dir}' is not writable ('{existing}' refuses writes)"
    return None


def write_backup(path, document):
    """Write the backup atomically with mode 0600 (folder 0700); never overwrites an existing file."""
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".backup-", suffix=".json")
    try:
        with os.fdopen(descriptor, "w") as handle:
            json.dump(document, handle, indent=2, sort_keys=True, default=str)
            handle.write("\n")
        os.chmod(temporary, 0o600)
        os.link(temporary, path)  # fails if the path exists: one file per user and run
    finally:
        os.unlink(temporary)
    return path


def account_of(footprint):
    return footprint["arn"].split(":")[4]


def backup_document(footprint, caller_arn, state, steps, now):
    return {
        "format": BACKUP_FORMAT,
        "written_by": "ssoshift.identity_center.iam_user_retirement",
        "written_at": now.isoformat(),
        "account_id": account_of(footprint),
        "caller": caller_arn,
        "action": state,
        "planned_steps": [description for dummy, dummy2, description in steps],
        "footprint": footprint,
        "note": "No secret is stored: IAM never returns secret access keys or passwords. "
                "Restore with playbooks/restore_iam_user.yml.",
    }


def same_user(saved, current):
    """Whether today's user of that name is the backup's (or was recreated from it)."""
    return (not saved.get("user_id") or current["user_id"] == saved["user_id"]
            or current["tags"].get(RESTORED_TAG) == saved["user_id"])


# How to issue a new credential of each kind once the old one is gone (secrets are never backed up).
REISSUE = {
    "access_keys": "aws iam create-access-key --user-name {user}  (a new key; update what used the old one)",
    "ssh_public_keys": "aws iam upload-ssh-public-key --user-name {user}",
    "signing_certificates": "aws iam upload-signing-certificate --user-name {user}",
    "service_specific_credentials": "aws iam create-service-specific-credential --user-name {user} "
                                    "--service-name {service_name}",
}


def lost_credentials(saved, current=None):
    """What the backup cannot bring back (secrets are never stored), with the steps to issue new ones:
    every credential of the backup that today's user (None when deleted) no longer has."""
    user = saved["user_name"]
    current = current or {}
    lost = []
    if saved["login_profile"] is not None and current.get("login_profile") is None:
        lost.append({"what": "console password",
                     "steps": f"aws iam create-login-profile --user-name {user} --password-reset-required "
                              "--password '<temporary password, given out of band>'"})
    for key, field, dummy, dummy2, label in DEACTIVATABLE:
        kept = {credential[field] for credential in current.get(key) or []}
        for credential in saved.get(key) or []:
            if credential[field] not in kept:
                lost.append({"what": f"{label} {credential[field]}",
                             "steps": REISSUE[key].format(user=user, service_name=credential.get("service_name"))})
    kept_devices = {device["serial_number"] for device in current.get("mfa_devices") or []}
    for device in saved["mfa_devices"]:
        if device["serial_number"] not in kept_devices:
            lost.append({"what": f"MFA device {device['serial_number']}",
                         "steps": f"the person enrols a new MFA device: aws iam create-virtual-mfa-device, then "
                                  f"aws iam enable-mfa-device --user-name {user} (or the IAM console)"})
    return lost


def restore_steps(saved, current):
    """Calls that bring the user back from its backup. `current` is today's footprint or None.

    A disabled user gets its once-active keys reactivated and the disabled tag removed; a
    deleted user is recreated with path, tags, boundary, groups and policies.
    """
    user = saved["user_name"]
    steps = []
    tags = {k: v for k, v in saved["tags"].items() if k != DISABLED_TAG}
    if current is None:
        create = {"UserName": user, "Path": saved.get("path") or "/"}
        # The new user gets a new ID; the tag tells a later restore that it is this backup's user.
        create_tags = dict(tags, **{RESTORED_TAG: saved["user_id"]}) if saved.get("user_id") else tags
        if create_tags:
            create["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(create_tags.items())]
        if saved.get("permissions_boundary"):
            create["PermissionsBoundary"] = saved["permissions_boundary"]
        steps.append(("create_user", create, f"create user {user} (path {create['Path']})"))
        current = {"groups": [], "attached_policies": [], "inline_policies": {}, "access_keys": [], "tags": tags,
                   "permissions_boundary": saved.get("permissions_boundary")}
    else:
        saved_active = {(kind[0], credential[kind[1]]) for kind, credential in _active_credentials(saved)}
        for key, field, call, parameter, label in DEACTIVATABLE:
            for credential in current.get(key) or []:
                if (key, credential[field]) in saved_active and credential["status"] != "Active":
                    steps.append((call, {"UserName": user, parameter: credential[field], "Status": "Active"},
                                  f"reactivate {label} {credential[field]}"))
        if DISABLED_TAG in current["tags"]:
            steps.append(("untag_user", {"UserName": user, "TagKeys": [DISABLED_TAG]}, f"remove tag {DISABLED_TAG}"))
        missing_tags = {k: v for k, v in tags.items() if current["tags"].get(k) != v}
        if missing_tags:
            steps.append(("tag_user", {"UserName": user, "Tags": [{"Key": k, "Value": v}
                                                                  for k, v in sorted(missing_tags.items())]},
                          f"restore tags {', '.join(sorted(missing_tags))}"))
        if saved.get("permissions_boundary") and current.get("permissions_boundary") != saved["permissions_boundary"]:
            steps.append(("put_user_permissions_boundary",
                          {"UserName": user, "PermissionsBoundary": saved["permissions_boundary"]},
                          f"restore permissions boundary {saved['permissions_boundary']}"))
    for group in saved["groups"]:
        if group not in current["groups"]:
            steps.append(("add_user_to_group", {"UserName": user, "GroupName": group}, f"add to group {group}"))
    for policy_arn in saved["attached_policies"]:
        if policy_arn not in current["attached_policies"]:
            steps.append(("attach_user_policy", {"UserName": user, "PolicyArn": policy_arn},
                          f"attach policy {policy_arn}"))
    for policy_name, document in sorted(saved["inline_policies"].items()):
        if current["inline_policies"].get(policy_name) != document:
            steps.append(("put_user_policy", {"UserName": user, "PolicyName": policy_name,
                                              "PolicyDocument": json.dumps(document)},
                          f"put inline policy {policy_name}"))
    return steps
