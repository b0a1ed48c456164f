# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One legacy IAM user taken through its retirement: read, decide, back up, change. Shared by the single-user
module (iam_user_retirement) and the bulk one (legacy_iam_users), so both behave alike.

`retire_user` reads the footprint, decides with module_utils/iam_retirement's pure functions (interlocks before
anything is written, the pre-change backup found or written, the steps), and applies them. A refusal raises
`Refused` (nothing was written); a step that fails part-way raises `StepFailed` naming where it stopped and the
pre-change backup. `summary_line` is the one line a person reads about a user.
"""

from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_footprint import read_footprint
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_footprint import usage_evidence
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import DEACTIVATABLE
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import PRE_CHANGE
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import SNAPSHOT
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import account_of
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import apply_steps
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import backup_decision
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import backup_document
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import backup_path
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import backup_problem
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import disabled_footprint
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import find_backups
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import interlocks
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import plan_steps
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import pre_change_reference
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import stage_of
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import write_backup

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule


class Refused(Exception):
    """The interlocks refused the user: nothing was written, not even the backup."""

    def __init__(self, name, state, reasons, result):
        super().__init__(f"Refusing to make IAM user '{name}' {state}; nothing was changed:\n- " + "\n- ".join(reasons))
        self.reasons = reasons
        self.result = result


class StepFailed(Exception):
    """A step failed part-way: `done` were applied; the pre-change backup is named."""

    def __init__(self, name, state, steps, done, error, backup_file, snapshot_file):
        super().__init__(f"Stopped making IAM user '{name}' {state} at step '{steps[len(done)][2]}' after {len(done)} "
                         f"of {len(steps)}; the pre-change backup is {backup_file}. Run again to continue from there.")
        self.error = error
        self.done = done
        self.backup_file = backup_file
        self.snapshot_file = snapshot_file


def diff_summary(footprint):
    """What the diff shows: every part that disabling or deleting touches."""
    if not footprint:
        return {}
    summary = {
        "console_password": footprint["login_profile"] is not None,
        "mfa_devices": [d["serial_number"] for d in footprint["mfa_devices"]],
        "groups": footprint["groups"],
        "attached_policies": footprint["attached_policies"],
        "inline_policies": sorted(footprint["inline_policies"]),
        "permissions_boundary": footprint["permissions_boundary"],
        "tags": footprint["tags"],
    }
    for key, field, dummy, dummy2, dummy3 in DEACTIVATABLE:
        summary[key] = {credential[field]: credential["status"] for credential in footprint[key]}
    return summary


def _found_backups(backup_dir, account_id, name, footprint, warn):
    """The user's latest retirement in backup_dir (read only), with its unreadable files warned about."""
    if not backup_dir:
        return {"migration": None, "backup_file": None, "snapshot_files": [], "problems": []}
    found = find_backups(backup_dir, account_id, name, footprint)
    for problem in found["problems"]:
        warn(f"backup_dir: {problem}")
    return found


def _write_backups(params, name, footprint, found, caller_arn, steps, now, warn):
    """Keep the backup this change needs (backup_decision) and return (backup_file, snapshot_file)."""
    kind, migration = backup_decision(found["migration"], footprint)
    if kind == "reuse":
        return found["backup_file"], None
    pre_change = None
    if kind == SNAPSHOT and migration is not None:
        # The pre-change backup, or (its file gone) the reference the snapshots before this one embed.
        pre_change = pre_change_reference(*migration["pre_change"]) if migration["pre_change"] \
            else migration.get("reference")
    path = backup_path(params["backup_dir"], account_of(footprint), name, now, kind)
    written = write_backup(path, backup_document(footprint, caller_arn, params["state"], steps, now, kind, pre_change))
    if kind == PRE_CHANGE:
        return written, None
    if pre_change is None:
        warn(f"IAM user '{name}' was changed by an earlier run (tag ssoshift:disabled-at) whose pre-change backup is not "
             f"in backup_dir '{params['backup_dir']}'; {written} records the user as this run found it, and cannot "
             "bring back what that earlier run removed")
    elif not found["backup_file"]:
        warn(f"IAM user '{name}': its pre-change backup {pre_change.get('file')} is gone from backup_dir "
             f"'{params['backup_dir']}'; {written} embeds it, restore from that file")
    return found["backup_file"], written


def retire_user(iam, name, params, caller, now, clock, check_mode, warn):
    """Take IAM user `name` to params["state"] (audited, disabled or absent) in the account of `iam`.

    params: state, require_unused_days, quarantine_days, replacement_access_verified, force, backup_dir.
    caller: {"arn", "account_id"} of the identity running the module. now: the whole-second UTC time the tag and
    the backup carry; clock: the exact time, for the evidence. warn(text): how warnings reach the user.
    Returns the result dict; raises Refused, StepFailed, or botocore's errors.
    """
    state = params["state"]
    footprint = read_footprint(iam, name)
    if footprint is None:
        # Absent already (deleted on an earlier run): nothing to do, nothing to refuse; its backup is still named.
        found = _found_backups(params["backup_dir"], caller.get("account_id"), name, None, warn)
        return dict(changed=False, exists=False, footprint={}, actions=[], backup_file=found["backup_file"],
                    snapshot_file=None, unsupported=[])
    evidence = usage_evidence(footprint, params["require_unused_days"], now=clock)
    found = _found_backups(params["backup_dir"], account_of(footprint), name, footprint, warn)
    result = dict(changed=False, exists=True, footprint=footprint, evidence=evidence,
                  is_caller=caller["arn"] == footprint["arn"],
                  retirement=stage_of(footprint, params["quarantine_days"], now),
                  actions=[], backup_file=found["backup_file"], snapshot_file=None,
                  unsupported=footprint["unsupported_reads"])
    if state == "audited":
        return result

    steps = plan_steps(footprint, state, now)
    if not steps:
        return result
    reasons = interlocks(footprint, evidence, result["is_caller"], state, params, now)
    problem = backup_problem(params["backup_dir"])
    if problem:
        reasons.append(f"'{name}': {problem}; fix it or choose another backup_dir.")
    if reasons:
        raise Refused(name, state, reasons, result)
    for part in footprint["unsupported_reads"]:
        warn(f"IAM user '{name}': the endpoint does not implement {part}; those credentials could not be listed, so "
             "they were neither backed up nor removed")
    result.update(changed=True, actions=[description for dummy, dummy2, description in steps],
                  diff=dict(before=diff_summary(footprint),
                            after={} if state == "absent" else diff_summary(disabled_footprint(footprint, now))))
    if check_mode:
        return result
    result["backup_file"], result["snapshot_file"] = _write_backups(params, name, footprint, found, caller["arn"],
                                                                    steps, now, warn)
    done = []
    try:
        apply_steps(iam, steps, done)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        raise StepFailed(name, state, steps, done, error, result["backup_file"], result["snapshot_file"]) from error
    result["actions"] = done
    if state == "disabled":
        # Where the user stands now, so the caller sees the quarantine this run started.
        result["retirement"] = stage_of(disabled_footprint(footprint, now), params["quarantine_days"], now)
    else:
        result["retirement"] = {"disabled_at": None, "quarantine_ends": None, "next_state": "absent"}
    return result


def summary_line(name, account_name, result):
    """One line a person reads about a user: its live credentials, policies, last use and stage."""
    where = f"{name}@{account_name}"
    if not result.get("exists"):
        return f"{where}: absent" + (f" (pre-change backup {result['backup_file']})" if result.get("backup_file")
                                     else "")
    footprint, evidence = result["footprint"], result.get("evidence") or {}
    keys = sum(1 for key in footprint["access_keys"] if key["status"] == "Active")
    policies = "+".join(arn.rsplit("/", 1)[-1] for arn in footprint["attached_policies"]) or "none"
    line = (f"{where}: {keys} active key(s), console password {'yes' if footprint['login_profile'] else 'no'}, "
            f"MFA {len(footprint['mfa_devices'])}, policies {policies}, last used {evidence.get('last_used') or 'never'}")
    stage = result.get("retirement") or {}
    if stage.get("disabled_at"):
        line += f", disabled at {stage['disabled_at']}"
    if stage.get("quarantine_ends"):
        line += f", quarantine ends {stage['quarantine_ends']}"
    return line
