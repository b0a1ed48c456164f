# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The end state, read from AWS and from the controller's files (not from a run's facts).

`read_estate` gathers everything module_utils/report.py renders (the input contract of report.build): Identity
Center (every assignment, the directory, which permission sets and groups the collection adopted), every active
account in its own credentials through the multi-account layer (posture, the model's CI/CD and break-glass roles,
OIDC providers, IAM users, the legacy users and where each stands), drift against the access model, the CLI
profiles written, the posture before the migration and the legacy users' backups. Read-only.
"""

import glob
import json
import os

from ansible_collections.ssoshift.identity_center.plugins.module_utils import assignments as engine
from ansible_collections.ssoshift.identity_center.plugins.module_utils import drift
from ansible_collections.ssoshift.identity_center.plugins.module_utils import password_policy
from ansible_collections.ssoshift.identity_center.plugins.module_utils import root_credentials
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import AccountFailure
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import for_each_account
from ansible_collections.ssoshift.identity_center.plugins.module_utils.automation import automation_plan
from ansible_collections.ssoshift.identity_center.plugins.module_utils.automation import break_glass_plan
from ansible_collections.ssoshift.identity_center.plugins.module_utils.cli_config import parse
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import endpoint_lacks
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import owned
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import paginate
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_footprint import read_footprint
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import DISABLED_TAG
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_retirement import stage_of
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_roles import read_role
from ansible_collections.ssoshift.identity_center.plugins.module_utils.oidc_provider import OidcProviders
from ansible_collections.ssoshift.identity_center.plugins.module_utils.posture import assess
from ansible_collections.ssoshift.identity_center.plugins.module_utils.posture import combine
from ansible_collections.ssoshift.identity_center.plugins.module_utils.posture import gather_account
from ansible_collections.ssoshift.identity_center.plugins.module_utils.posture import summarize

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule


def _list(model, key):
    value = (model or {}).get(key)
    return value if isinstance(value, list) else []


# --------------------------------------------------------------------------- Identity Center

def read_identity_center(sso_admin, store, instance_arn, targets, identity_center, owns_instance=False):
    """Every assignment, the groups with their members, what the collection adopted, and the assignment and member
    drift against the model. store: directory.IdentityStore; targets: assignments.OrganizationTargets; owns_instance:
    whether the caller is the instance's owner (assignments.read_every)."""
    from ansible_collections.ssoshift.identity_center.plugins.module_utils.permission_sets import PermissionSets

    sets = PermissionSets(sso_admin, instance_arn)
    by_name = sets.by_name()
    names = {"accounts": targets.names, "permission_sets": {arn: name for name, arn in by_name.items()},
             "principals": {}}
    store.load()
    current = engine.read_every(sso_admin, instance_arn, store.principals,
                                engine.provisioned_pairs(sso_admin, instance_arn, set(by_name.values())), owns_instance)
    for assignment in current:
        key = (assignment.principal_type, assignment.principal_id)
        if key not in names["principals"]:
            names["principals"][key] = store.principal_label(*key)
    assignments = sorted((engine.describe(a, names) for a in current),
                         key=lambda a: (a["account_name"] or a["account_id"], a["permission_set"], a["principal"]))

    groups = []
    for name, group in sorted(store.groups.items()):
        members = sorted(store.user_name(user_id) or user_id for user_id in store.memberships(group["group_id"]))
        groups.append({"display_name": name, "members": members, "marked": group["marked"]})

    model_sets = [p for p in _list(identity_center, "permission_sets") if isinstance(p, dict)]
    model_set_arns = {by_name[p["name"]] for p in model_sets if p.get("name") in by_name}
    adopted_sets = []
    for entry in model_sets:
        arn = by_name.get(entry.get("name"))
        if arn is None:
            continue
        try:
            if not owned(sets.read_tags(arn)):
                adopted_sets.append(entry["name"])
        except (botocore.exceptions.ClientError, botocore.parsers.ResponseParserError) as error:
            if not endpoint_lacks(error):
                raise  # tags the endpoint cannot read: ownership unknown, not adopted
    model_groups = {g["name"]: g.get("members") for g in _list(identity_center, "groups")
                    if isinstance(g, dict) and isinstance(g.get("name"), str)}
    adopted_groups = sorted(g["display_name"] for g in groups if g["display_name"] in model_groups and not g["marked"])

    desired = set()
    if _list(identity_center, "assignments"):
        pending = []
        resolved, dummy = engine.resolve(_list(identity_center, "assignments"), store, by_name, targets, pending)
        desired = {tuple(a) for a in resolved}
    lines = drift.assignment_drift(assignments, desired, model_set_arns)
    lines += drift.member_drift(groups, {name: members for name, members in model_groups.items()
                                         if isinstance(members, list)})
    return {"assignments": assignments,
            "groups": [{"display_name": g["display_name"], "members": g["members"]} for g in groups],
            "adopted": {"permission_sets": sorted(adopted_sets), "groups": adopted_groups},
            "drift": lines}


# --------------------------------------------------------------------------- every account

def _roles(iam):
    """[{name, path, trust_policy}] of every role of the account (ListRoles carries the trust policies)."""
    return [{"name": r["RoleName"], "path": r.get("Path", "/"), "trust_policy": r.get("AssumeRolePolicyDocument")}
            for r in paginate(iam, "list_roles", "Roles")]


def _providers(iam):
    providers = OidcProviders(iam)
    found = []
    for entry in iam.list_open_id_connect_providers(aws_retry=True).get("OpenIDConnectProviderList", []):
        provider = providers.read(entry["Arn"])
        found.append(dict(provider, arn=entry["Arn"]))
    return found


def _ownership(tags, adopt=False):
    if owned(tags):
        return "managed"
    return "adopted" if adopt else "unmanaged"


def legacy_state(footprint, quarantine_days, now, backups):
    """(state, stage) of a legacy user: audited (live credentials), disabled (disabled by the collection, nothing
    live), deleted (gone, and a backup shows the collection took it down), absent (gone, no backup)."""
    if footprint is None:
        return ("deleted" if backups else "absent"), {}
    stage = stage_of(footprint, quarantine_days, now)
    if footprint["tags"].get(DISABLED_TAG) and stage["next_state"] != "disabled":
        return "disabled", stage
    return "audited", stage


def backups_of(backup_dir, account_id, user_name):
    """The backup files of one user, oldest first (the first is the one taken before any change)."""
    if not backup_dir:
        return []
    pattern = os.path.join(backup_dir, f"{account_id}-{glob.escape(user_name)}-*.json")
    return sorted(glob.glob(pattern))


def _root_credentials(sessions, account, facts):
    """The report's entry for a member account's root credentials (read in a root audit session), and the facts the
    root checks read; None and the reason when no root session can be opened."""
    try:
        found = root_credentials.read(sessions.root_client(account["id"], root_credentials.AUDIT))
    except AccountFailure as failure:
        facts["unknown"]["root_credentials"] = f"{failure.code}: {failure.message}"
        return {"account_id": account["id"], "account_name": account["name"], "before": None, "after": None,
                "deleted": [], "status": "unknown", "reason": f"{failure.code}: {failure.message}"}
    facts["root_credentials"] = root_credentials.facts_for_posture(found)
    held = root_credentials.counts(found)
    return {"account_id": account["id"], "account_name": account["name"], "before": held, "after": held,
            "deleted": [], "status": "audited" if root_credentials.holds_any(found) else "none", "reason": None}


def read_accounts(sessions, accounts, organization_facts, plans, legacy_by_account, organization_account_ids,
                  unused_days, quarantine_days, backup_dir, now, max_workers, management_account_id=None):
    """Per active account: posture, the model's roles, OIDC providers, IAM users, the legacy users, role and user
    drift. plans: {"automation": automation_plan(...) accounts by ID, "break_glass": break_glass plans by ID}.
    Returns (results by account ID, failures)."""
    automation_by_id = plans["automation"]
    break_glass_by_id = plans["break_glass"]
    known_principals = set(plans.get("known_principals") or ())
    audit_root = set(organization_facts.get("organizations_features") or []) >= root_credentials.FEATURES

    def read(account):
        account_id, name = account["id"], account["name"]
        iam = sessions.client(account_id, "iam")
        facts = gather_account(iam, read_contact=lambda kind: sessions.get_alternate_contact(account_id, kind))
        root = None
        if audit_root and account_id != management_account_id:
            root = _root_credentials(sessions, account, facts)
        checks = assess(combine(facts, organization_facts), unused_days, now)
        roles = _roles(iam)
        providers = _providers(iam)
        automation = automation_by_id.get(account_id) or {"roles": [], "providers": []}
        break_glass = break_glass_by_id.get(account_id)
        model_roles = {role["name"]: role for role in automation["roles"]}
        if break_glass:
            model_roles[break_glass["role_name"]] = break_glass
        found_roles = {}
        for role_name, entry in model_roles.items():
            # The report shows a role's ARN, ownership (tags) and session duration, never its policies: GetRole alone.
            current = read_role(iam, role_name, policies=False)
            if current is not None:
                found_roles[role_name] = (current, entry)
        legacy = []
        for user_name in legacy_by_account.get(account_id, []):
            footprint = read_footprint(iam, user_name)
            backups = backups_of(backup_dir, account_id, user_name)
            state, stage = legacy_state(footprint, quarantine_days, now, backups)
            legacy.append({"account_id": account_id, "account_name": name, "user_name": user_name, "state": state,
                           "backup_file": backups[0] if backups else None,
                           "disabled_at": stage.get("disabled_at"), "quarantine_ends": stage.get("quarantine_ends"),
                           "message": None})
        lines = drift.iam_user_drift(account_id, name, facts.get("iam_users") or [],
                                     legacy_by_account.get(account_id, []))
        lines += drift.role_drift(account_id, name, roles, organization_account_ids, set(model_roles),
                                  known_principals, {p["arn"] for p in automation["providers"]})
        policy_check = next(c for c in checks if c["id"] == "password_policy")
        return {"posture": {"account_id": account_id, "account_name": name, "checks": checks,
                            "summary": summarize(checks)},
                "password_policy": {"account_id": account_id, "account_name": name,
                                    "compliant": policy_check["status"] == "pass",
                                    "policy": password_policy.from_aws(facts["password_policy"])},
                "roles": found_roles, "providers": providers, "legacy": legacy, "drift": lines, "root": root,
                "automation": automation, "break_glass": break_glass}

    return for_each_account(accounts, read, max_workers)


def model_plans(index, partition, automation_roles, break_glass, member_role_name):
    """The per-account plans of the model's CI/CD and break-glass roles (what the report expects to find)."""
    automation = automation_plan(automation_roles or [], index, partition, None, member_role_name)
    break_glass_plans, dummy = break_glass_plan(break_glass or {}, index, partition, None, member_role_name,
                                                automation_roles)
    return {"automation": {plan["account_id"]: plan for plan in automation["accounts"]},
            "break_glass": {plan["account_id"]: plan for plan in break_glass_plans},
            "known_principals": [p for plan in break_glass_plans for p in plan["trusted_principals"]]}


def role_views(results, accounts):
    """(automation roles, break-glass roles, OIDC providers, adopted roles) as the report lists them."""
    automation, break_glass, providers, adopted = [], [], [], []
    for account in accounts:
        result = results.get(account["id"])
        if result is None:
            continue
        for role_name, (current, entry) in sorted(result["roles"].items()):
            ownership = _ownership(current["tags"], entry.get("adopt"))
            view = {"account_id": account["id"], "account_name": account["name"], "role_name": role_name,
                    "role_arn": current["arn"], "ownership": ownership}
            if "trusted_principals" in entry:
                break_glass.append(dict(view, trusted_principals=entry["trusted_principals"],
                                        max_session_duration=current["max_session_duration"],
                                        alert_rule=(entry.get("alert") or {}).get("name") or ""))
            else:
                automation.append(dict(view, provider_arn=entry["provider_arn"], subjects=entry["subjects"]))
            if entry.get("adopt"):
                adopted.append({"account_id": account["id"], "account_name": account["name"], "role_name": role_name})
        for provider in result["providers"]:
            providers.append({"account_id": account["id"], "account_name": account["name"], "url": provider["url"],
                              "arn": provider["arn"], "client_ids": provider["client_ids"],
                              "ownership": _ownership(provider["tags"])})
    return automation, break_glass, providers, adopted


# --------------------------------------------------------------------------- the controller's files

def read_cli_profiles(directory):
    """[{user_name, path, profiles, content}] of the snippets the cli phase wrote (<directory>/<user>.config)."""
    found = []
    for path in sorted(glob.glob(os.path.join(directory or "", "*.config"))):
        with open(path) as handle:
            content = handle.read()
        profiles = [chunk.key[1] for chunk in parse(content) if chunk.managed and chunk.key[0] == "profile"]
        user = os.path.basename(path)[:-len(".config")]
        login = f"aws sso login --profile {profiles[0]}" if profiles else ""
        found.append({"user_name": user, "path": path, "profiles": profiles, "content": content,
                      "login_command": login})
    return found


def read_posture_before(path):
    """The posture before the migration (the root phase's first run), or None when there is none."""
    if not path or not os.path.exists(path):
        return None
    with open(path) as handle:
        return json.load(handle)
