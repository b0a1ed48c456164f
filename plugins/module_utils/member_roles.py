# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""CI/CD roles (with their OIDC providers) and break-glass roles across the organization's accounts.

Two passes over the accounts, each on the multi-account layer's worker pool:

1. read every account's providers and roles, plan the changes, and decide ownership (module_utils/iam_roles):
   a role or provider the collection did not create is refused unless the model says `adopt: true`;
2. only when no account refused anything: apply the plans (not in check mode).

A refusal is a problem of the access model, so it stops the run before any write in any account. An
account that cannot be reached (no member role, AccessDenied) fails alone: the others converge, and the
task fails at the end naming it.
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import for_each_account
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import OWNER_TAG_KEY
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import OWNER_TAG_VALUE
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_roles import OWNER_TAGS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import owned
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_roles import ownership
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_roles import plan_role
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_roles import read_role
from ansible_collections.ssoshift.identity_center.plugins.module_utils.oidc_provider import OidcProviders
from ansible_collections.ssoshift.identity_center.plugins.module_utils.oidc_provider import apply_changes
from ansible_collections.ssoshift.identity_center.plugins.module_utils.oidc_provider import plan_changes

ACTIONS = ("create", "adopt", "update", "unchanged")


def _action(state, changes):
    if state == "create":
        return "create"
    if state == "adopt":
        return "adopt"
    return "update" if changes else "unchanged"


def desired_role(plan_role_entry):
    """A plan's role (automation or break-glass) in the shape iam_roles.plan_role compares."""
    inline = plan_role_entry.get("inline_policies") or []
    return {
        "name": plan_role_entry.get("name") or plan_role_entry["role_name"],
        "trust_policy": plan_role_entry["trust_policy"],
        "description": plan_role_entry.get("description") or "",
        "max_session_duration": plan_role_entry.get("max_session_duration") or 3600,
        "permissions_boundary": plan_role_entry.get("permissions_boundary") or "",
        "managed_policies": sorted(plan_role_entry.get("managed_policies") or []),
        "inline_policies": {p["name"]: p["document"] for p in inline},
        "tags": {str(k): str(v) for k, v in (plan_role_entry.get("tags") or {}).items()},
    }


def plan_one_role(iam, entry, where, purge_tags=True):
    """Read the role, decide ownership and plan. Returns (role plan, refusal or None)."""
    desired = desired_role(entry)
    current = read_role(iam, desired["name"])
    state, refusal = ownership(current, entry.get("adopt"), where)
    if refusal:
        return None, refusal
    changes = plan_role(desired, current, purge_tags)
    return {"name": desired["name"], "desired": desired, "current": current, "state": state,
            "changes": changes, "action": _action(state, changes)}, None


# --------------------------------------------------------------------------- OIDC providers

def plan_provider(iam, provider, where):
    """Read an OIDC provider of the plan and decide what to do; (plan, refusal)."""
    providers = OidcProviders(iam)
    arn = providers.find(provider["url"])
    desired = {"client_ids": provider["client_ids"], "thumbprints": provider["thumbprints"] or None,
               "tags": dict(OWNER_TAGS)}
    if arn is None:
        after = {"url": provider["url"], "client_ids": list(provider["client_ids"]),
                 "thumbprints": list(provider["thumbprints"]), "tags": dict(OWNER_TAGS)}
        return {"url": provider["url"], "arn": provider["arn"], "state": "create", "current": None, "after": after,
                "changes": {"create": True}, "action": "create"}, None
    current = providers.read(arn)
    state = "owned" if owned(current["tags"]) else ("adopt" if provider.get("adopt") else None)
    if state is None:
        return None, (f"{where}: the OIDC provider {provider['url']} already exists in the account and was not created "
                      f"by this collection (no tag {OWNER_TAG_KEY}={OWNER_TAG_VALUE}); set adopt: true on the entry "
                      "to use it (the audiences the model needs are added; none is removed)")
    # A provider may serve other pipelines (Terraform, older roles): add audiences and tags, never take away.
    changes = plan_changes(current, desired, purge_client_ids=False, purge_tags=False)
    return {"url": provider["url"], "arn": arn, "state": state, "current": current,
            "after": apply_changes(current, changes), "changes": changes,
            "action": _action(state, changes)}, None


def apply_provider(iam, plan):
    providers = OidcProviders(iam)
    if plan["state"] == "create":
        return providers.create(dict(plan["after"], thumbprints=plan["after"]["thumbprints"] or None))
    if plan["changes"]:
        providers.update(plan["arn"], plan["changes"])
    return plan["arn"]


# --------------------------------------------------------------------------- break-glass alert rule

def plan_alert(events, alert, role_name):
    """The EventBridge rule that fires on every AssumeRole of the break-glass role; (plan or None)."""
    if alert is None:
        return None
    pattern = json.dumps(alert["event_pattern"], sort_keys=True)
    description = f"Break-glass role {role_name} was assumed"
    try:
        rule = events.describe_rule(Name=alert["name"], aws_retry=True)
    except is_boto3_error_code("ResourceNotFoundException"):
        rule = None
    targets = []
    if rule is not None:
        targets = [t["Arn"] for t in events.list_targets_by_rule(Rule=alert["name"], aws_retry=True).get("Targets", [])]
    same = (rule is not None and json.loads(rule.get("EventPattern") or "{}") == alert["event_pattern"]
            and rule.get("State") == "ENABLED" and rule.get("Description") == description
            and targets == [alert["topic_arn"]])
    return {"name": alert["name"], "pattern": pattern, "description": description, "topic_arn": alert["topic_arn"],
            "arn": rule.get("Arn") if rule else None, "exists": rule is not None,
            "action": "unchanged" if same else ("update" if rule else "create")}


def apply_alert(events, plan):
    if plan["action"] == "unchanged":
        return plan["arn"]
    arn = events.put_rule(Name=plan["name"], EventPattern=plan["pattern"], State="ENABLED",
                          Description=plan["description"], aws_retry=True)["RuleArn"]
    events.put_targets(Rule=plan["name"], Targets=[{"Id": "break-glass-alert", "Arn": plan["topic_arn"]}],
                       aws_retry=True)
    return arn


# --------------------------------------------------------------------------- results

def role_view(role_plan):
    """What a role plan shows in results and diffs: the attributes that change, before and after."""
    return {"name": role_plan["name"], "action": role_plan["action"],
            "changes": [change["attribute"] for change in role_plan["changes"]]}


def role_diff(role_plan):
    """(before, after) of a role's changed attributes, for --diff."""
    before = {c["attribute"]: c["before"] for c in role_plan["changes"]}
    after = {c["attribute"]: c["after"] for c in role_plan["changes"]}
    if role_plan["state"] == "adopt":
        before["ownership"], after["ownership"] = "not managed by ssoshift.identity_center", "adopted"
    return (None if role_plan["current"] is None else before), after


def run_passes(accounts, read_account, apply_account, check_mode, max_workers):
    """Read every account (raising SsoShiftError with every refusal before any write), then apply.

    read_account(account) -> (plan, [refusal]); apply_account(account, plan) -> what to record.
    Returns ({account_id: plan}, {account_id: applied}, [AccountFailure]).
    """
    results, failures = for_each_account(accounts, read_account, max_workers)
    refusals = [refusal for account in accounts if account["id"] in results for refusal in results[account["id"]][1]]
    fail_if_problems(refusals, "refused before any change, in any account")
    plans = {account_id: plan for account_id, (plan, dummy) in results.items()}
    applied = {}
    if not check_mode:
        reachable = [account for account in accounts if account["id"] in plans]
        applied, apply_failures = for_each_account(reachable, lambda a: apply_account(a, plans[a["id"]]), max_workers)
        failures = sorted(failures + apply_failures, key=lambda f: [a["id"] for a in accounts].index(f.account_id))
    return plans, applied, failures
