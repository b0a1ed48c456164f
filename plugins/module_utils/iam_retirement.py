# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Staged retirement of a legacy IAM user: interlocks, backup, plan, apply, restore, history.

The pure parts (`interlocks`, `plan_steps`, `restore_steps`, `stage_of`, `migrations`, `backup_decision`,
`restore_target`, `lost_credentials`, `history_of`) decide; `apply_steps`, `write_backup` and the readers of
the backup folder (`load_backups`, `find_backups`, `retirement_history`) act. A refusal is decided before the
backup is written and before any IAM write, so a refused run changes nothing. Disabling only deactivates
(rollback is reactivation); deletion removes everything IAM requires, including virtual MFA devices.

Backups (docs/retirement.md): the first run that changes a user writes its *pre-change* backup. Every later
run of the same migration - a rerun after a kill, the deletion after the quarantine - finds it in the backup
folder, names it, and keeps what it saw itself in a *snapshot* beside it (`...-snapshot.json`, kind
`snapshot`, with the pre-change footprint embedded), never in a new pre-change backup. A restore from any of
them brings the user back to the pre-change state and lists what it cannot bring back.
"""

import datetime
import json
import os
import re
import tempfile

try:
    from botocore.exceptions import ClientError
except ImportError:  # AnsibleAWSModule reports the missing botocore
    ClientError = RuntimeError

DISABLED_TAG = "ssoshift:disabled-at"
RESTORED_TAG = "ssoshift:restored-from"
BACKUP_FORMAT = 2
READABLE_FORMATS = (1, 2)  # format 1: one file per run, no kind; read, and classified by `migrations`
PRE_CHANGE = "pre-change"
SNAPSHOT = "snapshot"
SNAPSHOT_SUFFIX = "-snapshot.json"


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
            # The tag goes first: a run killed part-way leaves a user that says it is being retired.
            steps.insert(0, ("tag_user", {"UserName": user, "Tags": [{"Key": DISABLED_TAG, "Value": now.isoformat()}]},
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


# The answer AWS gives when a write is repeated after it was applied: the retry of a call whose answer a
# dropped connection lost (botocore and the retry policy send it again), or a run that died between the
# call and its record. Each means the step is done. (IAM API reference: NoSuchEntity, HTTP 404;
# EntityAlreadyExists, HTTP 409.) Updates, tags, attachments, memberships and puts repeat harmlessly.
ALREADY_DONE = {
    "delete_login_profile": "NoSuchEntity", "delete_access_key": "NoSuchEntity",
    "delete_signing_certificate": "NoSuchEntity", "delete_ssh_public_key": "NoSuchEntity",
    "delete_service_specific_credential": "NoSuchEntity", "deactivate_mfa_device": "NoSuchEntity",
    "delete_virtual_mfa_device": "NoSuchEntity", "delete_user_policy": "NoSuchEntity",
    "detach_user_policy": "NoSuchEntity", "delete_user_permissions_boundary": "NoSuchEntity",
    "remove_user_from_group": "NoSuchEntity", "delete_user": "NoSuchEntity",
    "create_user": "EntityAlreadyExists",
}


def _error_code(error):
    return getattr(error, "response", {}).get("Error", {}).get("Code")


def _our_creation(iam, kwargs):
    """Whether the user that exists is the one this create_user made (its restored-from tag)."""
    wanted = {t["Key"]: t["Value"] for t in kwargs.get("Tags") or []}.get(RESTORED_TAG)
    if not wanted:
        return False
    tags = iam.list_user_tags(UserName=kwargs["UserName"], aws_retry=True)["Tags"]
    return {t["Key"]: t["Value"] for t in tags}.get(RESTORED_TAG) == wanted


def apply_steps(iam, steps, done):
    """Run the planned calls in order, appending each description to `done`; a failure stops at that
    step, and a re-run plans again from what is left.

    A step AWS answers with its "already done" error (ALREADY_DONE: the delete of what is gone, the
    creation of the user this restore created) counts as done: that is what a write repeated after a
    dropped connection meets. A user of the same name created by someone else is not this restore's:
    EntityAlreadyExists is raised then.
    """
    for operation, kwargs, description in steps:
        try:
            getattr(iam, operation)(aws_retry=True, **kwargs)
        except ClientError as error:
            if _error_code(error) != ALREADY_DONE.get(operation):
                raise
            if operation == "create_user" and not _our_creation(iam, kwargs):
                raise
            description = f"{description} (already done)"
        done.append(description)


def _file_prefix(account_id, user_name):
    safe = re.sub(r"[^\w+=,.@-]", "_", user_name)
    return f"{account_id}-{safe}-"


def backup_path(backup_dir, account_id, user_name, now, kind=PRE_CHANGE):
    """<backup_dir>/<account>-<user>-<UTC time>.json; a snapshot ends in -snapshot.json."""
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    suffix = SNAPSHOT_SUFFIX if kind == SNAPSHOT else ".json"
    return os.path.join(backup_dir, f"{_file_prefix(account_id, user_name)}{stamp}{suffix}")


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


def backup_document(footprint, caller_arn, state, steps, now, kind=PRE_CHANGE, pre_change=None):
    """The backup of `footprint` taken before this run's `steps`.

    kind: PRE_CHANGE, the user before the first change of its retirement (what every restore returns to), or
    SNAPSHOT, the user as a later run of the same retirement found it; a snapshot names and embeds the
    pre-change backup (`pre_change`: {"file", "written_at", "footprint"}, or None when none was found).
    """
    document = {
        "format": BACKUP_FORMAT,
        "kind": kind,
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
    if kind == SNAPSHOT:
        document["pre_change"] = pre_change
        document["note"] += (" This is a later snapshot: an earlier run of this retirement had already changed the "
                             "user. A restore from it returns the user to the pre-change backup named in "
                             "pre_change (embedded), plus anything this snapshot holds beyond it.")
    return document


def pre_change_reference(path, document):
    return {"file": os.path.basename(path) if path else None, "written_at": document.get("written_at"),
            "footprint": document["footprint"]}


def same_user(saved, current, known_ids=()):
    """Whether today's user of that name is the backup's (or was recreated from it, or is one of
    `known_ids`, the IDs the same user had in the backups of its retirement)."""
    ids = {saved.get("user_id")} | set(known_ids)
    return (not saved.get("user_id") or current["user_id"] in ids or current["tags"].get(RESTORED_TAG) in ids)


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
    if saved.get("user_id") and current.get("user_id") != saved["user_id"]:
        # A deleted user cannot come back with its ID: AWS gives the recreated user a new one, and resource-based
        # policies that named the old user's ARN now show the old ID and no longer grant the new user anything.
        lost.append({"what": f"user ID {saved['user_id']} (a recreated user gets a new ID)",
                     "steps": f"edit the resource-based policies (S3 buckets, KMS keys, SQS/SNS, role trust policies) "
                              f"that show the principal {saved['user_id']} to name {saved.get('arn') or user} again"})
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


# --------------------------------------------------------------------------- backups of a retirement

def gaps(saved, current):
    """What `current` (a footprint, None when deleted) lacks of `saved`: the restore steps and the lost
    credentials, as text. Empty when a restore from `saved` would change and lose nothing. Pure."""
    if current is None:
        return ["the user is deleted"]
    return ([description for dummy, dummy2, description in restore_steps(saved, current)]
            + [entry["what"] for entry in lost_credentials(saved, current)])


def merge_footprints(pre, later):
    """The user as `pre` (the pre-change footprint) had it, plus what `later` (a snapshot) holds beyond it:
    groups, policies, tags and credentials added during the retirement. Where both hold a value (a tag, an
    inline policy, a credential's status), the pre-change one wins. Pure."""
    merged = dict(pre)
    later_tags = {k: v for k, v in (later.get("tags") or {}).items() if k not in (DISABLED_TAG, RESTORED_TAG)}
    merged["tags"] = dict(later_tags, **pre.get("tags", {}))
    for key in ("groups", "attached_policies"):
        merged[key] = sorted(set(pre.get(key) or []) | set(later.get(key) or []))
    merged["inline_policies"] = dict(later.get("inline_policies") or {}, **(pre.get("inline_policies") or {}))
    for key in ("login_profile", "permissions_boundary"):
        merged[key] = pre.get(key) if pre.get(key) is not None else later.get(key)
    for key, field in [(kind[0], kind[1]) for kind in DEACTIVATABLE] + [("mfa_devices", "serial_number")]:
        known = {item[field] for item in pre.get(key) or []}
        merged[key] = list(pre.get(key) or []) + [item for item in later.get(key) or [] if item[field] not in known]
    unsupported = set(pre.get("unsupported_reads") or []) | set(later.get("unsupported_reads") or [])
    merged["unsupported_reads"] = sorted(unsupported)
    return merged


def read_backup(path):
    """The backup document at `path`. Raises OSError (unreadable) or ValueError (not a retirement backup)."""
    with open(path) as handle:
        document = json.load(handle)
    if not isinstance(document, dict) or document.get("format") not in READABLE_FORMATS \
            or not isinstance(document.get("footprint"), dict) or "user_name" not in document["footprint"]:
        formats = ", ".join(map(str, READABLE_FORMATS))
        raise ValueError(f"'{path}' is not an iam_user_retirement backup (format {formats})")
    return document


def load_backups(backup_dir, account_id=None, user_name=None):
    """Every retirement backup in `backup_dir` (of one account and user when given), as
    ({(account_id, user_name): [(path, document), ...] oldest first}, problems). A missing folder has none;
    an unreadable file or one that is not a backup is a problem (its path and why), never a failure."""
    found, problems = {}, []
    try:
        names = sorted(os.listdir(backup_dir)) if backup_dir else []
    except FileNotFoundError:
        names = []
    except OSError as error:
        return found, [f"backup_dir '{backup_dir}' cannot be read: {error}"]
    prefix = _file_prefix(account_id, user_name) if account_id is not None and user_name is not None else ""
    for name in names:
        if not name.endswith(".json") or name.startswith(".") or not name.startswith(prefix):
            continue
        path = os.path.join(backup_dir, name)
        try:
            document = read_backup(path)
        except (OSError, ValueError) as error:
            if prefix or re.match(r"^\d{12}-", name):
                problems.append(f"{path}: {error}")
            continue
        key = (str(document.get("account_id")), document["footprint"]["user_name"])
        if prefix and key != (str(account_id), user_name):
            continue  # another user whose name starts like this one's
        found.setdefault(key, []).append((path, document))
    for backups in found.values():
        backups.sort(key=lambda entry: (str(entry[1].get("written_at")), entry[0]))
    return found, problems


def lineage(backups, footprint=None):
    """The backups of the same user as `footprint` (today's; None when deleted: the user of the latest
    backup): the same user ID, or a user recreated from one of them (its ssoshift:restored-from tag). Pure."""
    if footprint:
        ids = {footprint.get("user_id"), footprint.get("tags", {}).get(RESTORED_TAG)}
    elif backups:
        latest = backups[-1][1]["footprint"]
        ids = {latest.get("user_id"), latest.get("tags", {}).get(RESTORED_TAG)}
    else:
        return []
    ids.discard(None)
    grown = True
    while grown:
        grown = False
        for dummy, document in backups:
            saved = document["footprint"]
            if saved.get("user_id") in ids and saved.get("tags", {}).get(RESTORED_TAG) not in ids | {None}:
                ids.add(saved["tags"][RESTORED_TAG])
                grown = True
    return [(path, document) for path, document in backups if document["footprint"].get("user_id") in ids]


def migrations(backups):
    """One user's backups (one lineage, oldest first) grouped into retirements:
    [{"pre_change": (path, document) or None, "pre_change_footprint": dict or None, "snapshots": [...]}]; a
    retirement whose pre-change file is gone keeps the snapshots' embedded copy and its "reference".

    Format 2 says which is which (a snapshot names its pre-change backup). A format-1 backup (no kind) is a
    snapshot of the retirement before it when it found the user lacking something the pre-change backup holds
    (a run that came after an interrupted or finished change), the same backup again when it found the user
    exactly as that backup has it, and the pre-change backup of a new retirement otherwise (the user was
    whole again, and more: restored, then changed). Pure."""
    found = []
    for path, document in backups:
        kind = document.get("kind")
        if kind == PRE_CHANGE:
            found.append({"pre_change": (path, document), "pre_change_footprint": document["footprint"],
                          "snapshots": []})
        elif kind == SNAPSHOT:
            reference = document.get("pre_change") or {}
            owner = next((m for m in reversed(found) if m["pre_change"] and reference.get("file")
                          and os.path.basename(m["pre_change"][0]) == reference["file"]), None)
            if owner is None and found and found[-1]["pre_change"] is None \
                    and found[-1]["pre_change_footprint"] == reference.get("footprint"):
                owner = found[-1]  # the same missing pre-change backup as the snapshot before
            if owner is None:
                owner = {"pre_change": None, "pre_change_footprint": reference.get("footprint"), "snapshots": [],
                         "reference": reference or None}
                found.append(owner)
            owner["snapshots"].append((path, document))
        elif found and found[-1]["pre_change_footprint"] is not None \
                and (gaps(found[-1]["pre_change_footprint"], document["footprint"])
                     or not gaps(document["footprint"], found[-1]["pre_change_footprint"])):
            found[-1]["snapshots"].append((path, document))
        else:
            found.append({"pre_change": (path, document), "pre_change_footprint": document["footprint"],
                          "snapshots": []})
    return found


def backup_decision(migration, footprint):
    """What a run about to change `footprint` keeps as its backup, given the user's latest retirement
    (`migrations(...)[-1]`, or None). Pure. One of:

    - ("pre-change", None): no retirement yet, or the user is whole again and more (a new retirement);
    - ("reuse", migration): the pre-change backup holds the user exactly as it is (a run killed right after
      writing it): nothing new is written;
    - ("snapshot", migration): an earlier run of this retirement changed the user (it lacks something the
      pre-change backup holds); the pre-change backup stays the way back, this run's view is a snapshot;
    - ("snapshot", None): the user carries the ssoshift:disabled-at tag but no pre-change backup was found:
      what the earlier run removed is unknown; the snapshot says so.
    """
    pre = (migration or {}).get("pre_change_footprint")
    if pre is None:
        return (SNAPSHOT, migration) if DISABLED_TAG in footprint.get("tags", {}) else (PRE_CHANGE, None)
    if gaps(pre, footprint):
        return SNAPSHOT, migration
    if not gaps(footprint, pre):
        return "reuse", migration
    return PRE_CHANGE, None


def find_backups(backup_dir, account_id, user_name, footprint=None):
    """The user's latest retirement in `backup_dir`: {"migration" (or None), "backup_file" (the pre-change
    backup's path or None), "snapshot_files", "problems"}. `footprint` is today's user (None when deleted)."""
    found, problems = load_backups(backup_dir, account_id, user_name)
    retirements = migrations(lineage(found.get((str(account_id), user_name), []), footprint))
    latest = retirements[-1] if retirements else None
    return {"migration": latest, "backup_file": latest["pre_change"][0] if latest and latest["pre_change"] else None,
            "snapshot_files": [path for path, dummy in (latest or {}).get("snapshots", [])], "problems": problems}


def restore_target(path, document, folder_backups=None):
    """(footprint, pre-change path or None, notes): the state a restore from the backup at `path` returns the
    user to - the pre-change footprint of its retirement, merged with what a snapshot holds beyond it.

    A format-2 snapshot embeds its pre-change footprint. For a format-1 backup, `folder_backups` (the same
    user's backups, `load_backups` of its folder) tell which retirement it belongs to. Pure."""
    notes = []
    if document.get("kind") == PRE_CHANGE:
        return document["footprint"], path, notes
    if document.get("kind") == SNAPSHOT:
        reference = document.get("pre_change") or {}
        if not reference.get("footprint"):
            notes.append(f"{path} is a snapshot taken when no pre-change backup was found: what the run before it "
                         "removed is not known; the restore brings back what the snapshot holds")
            return document["footprint"], None, notes
        pre_path = os.path.join(os.path.dirname(path), reference["file"]) if reference.get("file") else None
        return merge_footprints(reference["footprint"], document["footprint"]), pre_path, notes
    for retirement in migrations(lineage(folder_backups or [], document["footprint"])):
        if retirement["pre_change"] and retirement["pre_change"][0] == path:
            return document["footprint"], path, notes
        if any(snapshot_path == path for snapshot_path, dummy in retirement["snapshots"]):
            pre_path = retirement["pre_change"][0]
            notes.append(f"{path} was written after an earlier run had changed the user; the restore returns it to "
                         f"the backup written before that change, {pre_path}")
            return merge_footprints(retirement["pre_change_footprint"], document["footprint"]), pre_path, notes
    return document["footprint"], path, notes


# --------------------------------------------------------------------------- history for the report

def _live(footprint):
    return footprint.get("login_profile") is not None or any(True for dummy in _active_credentials(footprint))


def history_of(backups, users, quarantine_days=None, now=None):
    """Pure part of `retirement_history`: `backups` as `load_backups` returns them ({(account_id, user_name):
    [(path, document)]}), `users` as there."""
    listed = []
    for user in users:
        account_id, user_name = str(user["account_id"]), user["user_name"]
        footprint = user.get("footprint") or None
        own = lineage(backups.get((account_id, user_name), []), footprint)
        retirements = migrations(own)
        latest = retirements[-1] if retirements else None
        entry = {"account_id": account_id, "user_name": user_name, "exists": footprint is not None,
                 "state": "audited", "disabled_at": None, "quarantine_ends": None,
                 "backup_file": latest["pre_change"][0] if latest and latest["pre_change"] else None,
                 "snapshot_files": [path for path, dummy in (latest or {}).get("snapshots", [])],
                 "unfinished": None, "deleted": None}
        last_path, last = own[-1] if own else (None, None)
        if footprint is not None:
            entry["disabled_at"] = footprint.get("tags", {}).get(DISABLED_TAG)
            if entry["disabled_at"] and not _live(footprint):
                entry["state"] = "disabled"
            if quarantine_days is not None and entry["state"] == "disabled":
                entry["quarantine_ends"] = stage_of(footprint, quarantine_days, now or datetime.datetime.now(
                    datetime.timezone.utc))["quarantine_ends"]
            if last and last.get("action") == "absent":
                entry["unfinished"] = "absent"
            elif last and last.get("action") == "disabled" and _live(footprint):
                entry["unfinished"] = "disabled"
        else:
            entry["state"] = "absent"
            saved = last["footprint"] if last else {}
            disabling = [document.get("written_at") for dummy, document in own if document.get("action") == "disabled"]
            entry["disabled_at"] = saved.get("tags", {}).get(DISABLED_TAG) or (disabling[-1] if disabling else None)
            if last and last.get("action") == "absent":
                entry["deleted"] = {"backup_file": last_path, "not_before": last.get("written_at"),
                                    "user_id": saved.get("user_id"), "caller": last.get("caller")}
        listed.append(entry)
    return listed


def retirement_history(backup_dir, users, quarantine_days=None, now=None):
    """What earlier runs did to each legacy user, from the backup folder and today's footprints - never from a
    run's own results, so a run that did nothing (or a report written after a killed run) still names them.

    backup_dir: the retirement's backup folder (the role's iam_user_retirement_backup_dir). users: one dict per
    legacy user with account_id, user_name and footprint (iam_user_retirement's `footprint`; {} or None when the
    user does not exist) - the entries of the role's `iam_user_retirement_audit` fit as they are.
    quarantine_days / now (aware datetime): to compute quarantine_ends of disabled users.

    Returns (entries, problems). One entry per user, in order:
      account_id, user_name (str), exists (bool);
      state: "audited" (live credentials), "disabled" (tagged ssoshift:disabled-at and nothing live) or "absent";
      disabled_at: ISO 8601 from the tag, or for a deleted user from its last backup; None if never disabled;
      quarantine_ends: ISO 8601 or None;
      backup_file: path of the pre-change backup of its latest retirement (what to restore from), or None;
      snapshot_files: paths of the later snapshots of that retirement, oldest first;
      unfinished: "disabled" / "absent" when the latest backup was written for that change and the user has not
        (or no longer) reached it - an interrupted run, or credentials turned on again since; else None;
      deleted: for an absent user whose latest backup was written to delete it, {backup_file (that backup),
        not_before (its time: the deletion came after it), user_id, caller}; else None.
    problems: backup files that could not be read, each "path: why".
    """
    backups, problems = load_backups(backup_dir)
    return history_of(backups, users, quarantine_days, now), problems
