#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: legacy_iam_users
short_description: Audit, then retire in stages, the legacy IAM users of every account, in one run
version_added: 1.0.0
description:
  - For every user of I(users) (the access model's C(legacy_iam_users), each C({name, account})), in its own account
    (through the member role, several accounts at a time), reads its whole footprint and the evidence of its use, as
    M(ssoshift.identity_center.iam_user_retirement) does, and returns the audit.
  - Goes past the audit only when I(replacement_access_verified) is true (the verification phase passed and the
    operator confirmed signing in through the access portal with MFA); otherwise it changes nothing and says why.
  - With I(state=staged) a user with live credentials is disabled (keys inactive, password removed, the pre-change
    backup written) and one disabled longer than I(quarantine_days) is deleted; C(disabled) and C(absent) ask for that
    state for every user (C(absent) still waits for the quarantine unless I(force)).
  - Every interlock of M(ssoshift.identity_center.iam_user_retirement) applies to each user, decided before its backup
    and before any write - a refused user is reported and nothing is changed for it; the others go ahead. With
    I(fail_on_refusal) the task fails at the end, listing each refusal.
  - Backups are written on the host running the module (delegate it to C(localhost)). The first change of a user
    writes its pre-change backup; later runs name that one. No secret is ever read or written.
  - Unknown and closed accounts fail before any read; check mode and C(--diff) show each user's change.
options:
  users:
    description: The legacy IAM users, each C(name) and C(account) (a name, a 12-digit ID or C(management)).
    type: list
    elements: dict
    required: true
  state:
    description: C(staged), C(audited), C(disabled) or C(absent).
    type: str
    default: staged
    choices: [staged, audited, disabled, absent]
  replacement_access_verified:
    description:
      - The people who used these users reach the same accounts through IAM Identity Center (the verification phase
        passed and someone signed in through the access portal with MFA). Without it nothing is changed.
    type: bool
    default: false
  require_unused_days:
    description: A credential used more recently than this many days counts as in use and blocks its user.
    type: int
    default: 30
  quarantine_days:
    description: Days between disabling a user and deleting it.
    type: int
    default: 7
  force:
    description: Allow deletion before the quarantine is over or without a prior disable; the other interlocks apply.
    type: bool
    default: false
  backup_dir:
    description: Folder for the backups (mode 0700; files 0600). Required to change anything.
    type: path
  fail_on_refusal:
    description: Fail the task at the end when a user was refused (the others were handled).
    type: bool
    default: true
author:
  - ssoshift contributors (@ssoshift)
extends_documentation_fragment:
  - ssoshift.identity_center.accounts
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Audit the legacy users of every account
  ssoshift.identity_center.legacy_iam_users:
    users: "{{ legacy_iam_users }}"
    state: audited

- name: Retire them in stages once the new access path is verified
  ssoshift.identity_center.legacy_iam_users:
    users: "{{ legacy_iam_users }}"
    replacement_access_verified: "{{ verification_passed and confirm_portal_sign_in }}"
    backup_dir: "{{ playbook_dir }}/out/backups"
  delegate_to: localhost
"""

RETURN = r"""
users:
  description: One entry per user, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    account_id:
      description: Account ID.
      type: str
    account_name:
      description: Account name.
      type: str
    user_name:
      description: IAM user name.
      type: str
    exists:
      description: Whether the user exists (after the run; false once deleted).
      type: bool
    state:
      description: Where the user stands after the run - C(audited) (live credentials), C(disabled), C(absent), or
        C(refused) (the interlocks refused the change; nothing was changed).
      type: str
    changed:
      description: Whether the user was (or would be) changed.
      type: bool
    actions:
      description: The IAM calls made (or, in check mode, that would be), one line each.
      type: list
      elements: str
    backup_file:
      description: The user's pre-change backup, written by this run or found from an earlier one.
      type: str
    snapshot_file:
      description: A later snapshot written beside it, when an earlier run had already changed the user.
      type: str
    disabled_at:
      description: When the collection disabled the user, or null.
      type: str
    quarantine_ends:
      description: When deletion becomes allowed without C(force), or null.
      type: str
    refused:
      description: Why the user was refused, one reason each; empty when not refused.
      type: list
      elements: str
    line:
      description: One line for people - the user's live credentials, policies, last use and stage.
      type: str
    footprint:
      description: The user's footprint as read (see M(ssoshift.identity_center.iam_user_retirement)), empty when absent.
      type: dict
      contains:
        user_name:
          description: User name.
          type: str
        arn:
          description: User ARN.
          type: str
    evidence:
      description: The evidence of use (see M(ssoshift.identity_center.iam_user_retirement)).
      type: dict
      contains:
        last_used:
          description: The most recent use of any credential, or null.
          type: str
        used_within_window:
          description: Credentials used within I(require_unused_days).
          type: list
          elements: dict
          contains:
            credential:
              description: Which credential (the console password, an access key).
              type: str
            last_used:
              description: When it was last used.
              type: str
            days_ago:
              description: How many days ago.
              type: float
gate_open:
  description: Whether the run went past the audit (I(replacement_access_verified) and a state other than C(audited)).
  returned: always
  type: bool
lines:
  description: What a person reads - why only the audit ran, or what happened to each user.
  returned: always
  type: list
  elements: str
refusals:
  description: Each refused user with the reasons (C(user@account - reason; reason)); empty when none was refused.
  returned: always
  type: list
  elements: str
failed_accounts:
  description: Accounts that could not be reached, or where a user's change failed part-way, with AWS's error code.
  returned: when an account failed
  type: list
  elements: dict
  contains:
    account_id:
      description: Account ID.
      type: str
    account_name:
      description: Account name.
      type: str
    error_code:
      description: AWS's error code.
      type: str
    operation:
      description: The API operation that failed.
      type: str
    message:
      description: What went wrong, and where a user's change stopped.
      type: str
"""

import datetime

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import ACCOUNT_OPTIONS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import AccountFailure
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import AccountSessions
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import failure_message
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import for_each_account
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import failure_of
from ansible_collections.ssoshift.identity_center.plugins.module_utils.access_model import legacy_user_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import PartialFailure
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.legacy_users import Refused
from ansible_collections.ssoshift.identity_center.plugins.module_utils.legacy_users import StepFailed
from ansible_collections.ssoshift.identity_center.plugins.module_utils.legacy_users import retire_user
from ansible_collections.ssoshift.identity_center.plugins.module_utils.legacy_users import summary_line
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import warn
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import read_account_index

GATE_CLOSED = ("Legacy IAM users are audited only; nothing is disabled or deleted in this run: the new access path is "
               "not confirmed (replacement_access_verified is false - the verify phase must pass and the operator must "
               "sign in at the access portal with MFA, then set confirm_portal_sign_in=true).")


def next_state(state, audited):
    """The state to ask for a user, from its audit: staged takes it one stage on (disabled, then absent after the
    quarantine, nothing while it waits); None when there is nothing to ask."""
    if not audited.get("exists"):
        return None
    if state != "staged":
        return state
    step = audited["retirement"]["next_state"]
    return None if step == "wait" else step


def entry(account, name, result, state, refused=()):
    stage = result.get("retirement") or {}
    gone = result.get("exists") and state == "absent" and result.get("changed")
    if refused:
        where = "refused"
    elif not result.get("exists") or gone:
        where = "absent"
    else:
        where = "disabled" if stage.get("disabled_at") else "audited"
    return {"account_id": account["id"], "account_name": account["name"], "user_name": name,
            "exists": bool(result.get("exists")) and not gone,
            "state": where,
            "changed": bool(result.get("changed")), "actions": result.get("actions") or [],
            "backup_file": result.get("backup_file"), "snapshot_file": result.get("snapshot_file"),
            "disabled_at": stage.get("disabled_at"), "quarantine_ends": stage.get("quarantine_ends"),
            "refused": list(refused), "line": summary_line(name, account["name"], result),
            "footprint": result.get("footprint") or {}, "evidence": result.get("evidence") or {},
            "diff": result.get("diff")}


def converge(module):
    params = module.params
    fail_if_problems(legacy_user_problems(params["users"]), "users")
    index = read_account_index(client(module, "organizations"))
    by_account, problems = {}, []
    for position, user in enumerate(params["users"]):
        account, problem = index.lookup(user["account"], f"users[{position}].account")
        if problem:
            problems.append(problem)
        else:
            by_account.setdefault(account["id"], (account, []))[1].append(user["name"])
    fail_if_problems(problems, "users")
    gate_open = params["state"] != "audited" and params["replacement_access_verified"]
    if gate_open and not params["backup_dir"]:
        fail_if_problems(["backup_dir: required to change anything (a backup is written before the first change)"],
                         "options")
    sessions = AccountSessions(module, params["member_role_name"])
    caller = sessions.caller()
    clock = datetime.datetime.now(datetime.timezone.utc)
    now = clock.replace(microsecond=0)  # the disabled-at tag and backup names carry whole seconds
    settings = dict(params, state="audited")

    def handle(account):
        iam = sessions.client(account["id"], "iam")
        handled = []
        for name in by_account[account["id"]][1]:
            audited = retire_user(iam, name, settings, caller, now, clock, module.check_mode,
                                  lambda text: warn(module, text))
            wanted = next_state(params["state"], audited) if gate_open else None
            if wanted is None:
                handled.append(entry(account, name, audited, "audited"))
                continue
            try:
                result = retire_user(iam, name, dict(params, state=wanted), caller, now, clock, module.check_mode,
                                     lambda text: warn(module, text))
            except Refused as refused:
                handled.append(entry(account, name, refused.result, wanted, refused.reasons))
                continue
            except StepFailed as failed:
                inner = failure_of(account["id"], failed.error)
                raise AccountFailure(account["id"], inner.code, f"{failed} ({inner.message})", inner.operation)
            handled.append(entry(account, name, result, wanted))
        return handled

    accounts = [account for account, dummy in by_account.values()]
    results, failures = for_each_account(accounts, handle, params["max_account_workers"])
    order = {(str(index.lookup(u["account"], "")[0]["id"]), u["name"]): i for i, u in enumerate(params["users"])}
    users = sorted((item for handled in results.values() for item in handled),
                   key=lambda u: order[(u["account_id"], u["user_name"])])
    diff = {"before": {}, "after": {}}
    for user in users:
        change = user.pop("diff")
        if change and user["changed"]:
            label = f"{user['user_name']}@{user['account_name']}"
            diff["before"][label], diff["after"][label] = change["before"], change["after"]
    refused = [u for u in users if u["refused"]]
    refusals = [f"{u['user_name']}@{u['account_name']}: {'; '.join(u['refused'])}" for u in refused]
    lines = [] if gate_open or params["state"] == "audited" else [GATE_CLOSED]
    lines += [u["line"] + (f" -> {u['state']}" if gate_open else "") for u in users]
    lines += [f"refused: {refusal}" for refusal in refusals]
    result = dict(changed=any(u["changed"] for u in users), users=users, gate_open=gate_open, lines=lines,
                  refusals=refusals, diff=diff)
    if failures:
        raise PartialFailure(failure_message(failures, index, "the other legacy users"),
                             dict(result, failed_accounts=[f.to_result(index) for f in failures]))
    if refusals and params["fail_on_refusal"]:
        raise PartialFailure("Refused, nothing changed for these users: " + " | ".join(refusals), result)
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            users=dict(type="list", elements="dict", required=True),
            state=dict(type="str", default="staged", choices=["staged", "audited", "disabled", "absent"]),
            replacement_access_verified=dict(type="bool", default=False),
            require_unused_days=dict(type="int", default=30),
            quarantine_days=dict(type="int", default=7),
            force=dict(type="bool", default=False),
            backup_dir=dict(type="path"),
            fail_on_refusal=dict(type="bool", default=True),
            **ACCOUNT_OPTIONS,
        ),
        supports_check_mode=True,
    )
    for option in ("require_unused_days", "quarantine_days"):
        if module.params[option] < 0:
            module.fail_json(msg=f"{option}: must be 0 or more, got {module.params[option]}")
    module.exit_json(**run(module, lambda: converge(module), "Failed to handle the legacy IAM users"))


if __name__ == "__main__":
    main()
