# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The end-state report: who reaches which account with which permission set, the posture
before and after as a grid of accounts by checks, what still fails grouped by check with its
remediation, access the model does not describe (drift), the roles, OIDC providers and adopted
resources, member-account root credentials, password policies, closed accounts and what was
retired, rendered as JSON, Markdown and one self-contained HTML page.

`validate`, `build`, `to_json`, `to_markdown` and `to_html` are pure (the unit tests reach
them); `plan` and `write` read and write the three files. The module imports nothing but the
standard library.

The input is version 2 of the report's contract (docs/report.md): every key optional, lists
possibly empty. The output (`build`'s dict, written as report.json) is version 2 of the report.

Same input, same bytes: every list is sorted and nothing depends on the clock except
`generated_at`, which `plan` keeps from the files already written while their content is
otherwise the same. So a report written twice from the same state does not count as a change,
and `generated_at` says when the content last changed.
"""

import base64
import datetime
import hashlib
import html
import json
import os
import tempfile

REPORT_VERSION = 2
FILES = (("json", "report.json"), ("markdown", "report.md"), ("html", "report.html"))
# A check's status: not_applicable is a check with nothing to check (the root MFA of a member account whose root
# credentials were removed centrally: there is no root password to protect).
STATUSES = ("pass", "fail", "unknown", "not_applicable")
RETIREMENT_STATES = ("audited", "disabled", "absent", "refused", "deleted")
OWNERSHIP = ("managed", "adopted", "unmanaged")
ROOT_CREDENTIAL_STATUSES = ("audited", "deleted", "none", "unknown")
ROOT_CREDENTIAL_KINDS = ("password", "access_keys", "signing_certificates", "mfa_devices")
CLOSED_STATUSES = ("CLOSED", "PENDING_CLOSURE", "SUSPENDED")
DRIFT_KINDS = ("assignment_outside_model", "unmanaged_permission_set_assignment", "group_member_outside_model",
               "iam_user_outside_model", "role_trusts_external_principal")
DRIFT_LABELS = {
    "assignment_outside_model": "Assignment of a managed permission set outside the model",
    "unmanaged_permission_set_assignment": "Assignment of a permission set the model does not list",
    "group_member_outside_model": "Group member outside the model",
    "iam_user_outside_model": "IAM user outside the model",
    "role_trusts_external_principal": "Role trusting a principal the model does not list",
}
# The per-check change from the "before" snapshot to now, in the order the report lists them.
DELTAS = ("regressed", "still_failing", "failing", "unknown", "fixed", "not_applicable", "passing")
DELTA_LABELS = {
    "regressed": "regressed (passed or did not apply before, fails now)",
    "still_failing": "still failing (failed before and now)",
    "failing": "failing (no before status)",
    "unknown": "unknown (not readable now)",
    "fixed": "fixed (failed before; passes or no longer applies now)",
    "not_applicable": "not applicable (nothing to check now)",
    "passing": "passing",
}
FAILING = ("regressed", "still_failing", "failing")
# Short marks of the posture grid (Markdown and HTML), with the legend both print.
MARKS = {"pass": "\u2713", "fail": "\u2717", "unknown": "?", "not_applicable": "\u2013", None: "\u00b7"}
MARK_LEGEND = (("pass", "pass"), ("fail", "fail"), ("unknown", "unknown (not readable)"),
               ("not_applicable", "not applicable"), (None, "not assessed"))

# What every input list needs, by field name; values are checked where a set of values is known.
_REQUIRED = {
    "assignments": ("account_id", "permission_set", "principal_type", "principal"),
    "posture_before": ("account_id", "checks"),
    "posture_after": ("account_id", "checks"),
    "retired_users": ("user_name", "state"),
    "automation_roles": ("role_arn",),
    "break_glass_roles": ("role_arn",),
    "oidc_providers": ("arn",),
    "cli_profiles": ("user_name",),
    "groups": ("display_name",),
    "drift": ("kind", "subject"),
    "closed_accounts": ("account_id",),
    "root_credentials": ("account_id", "status"),
    "password_policy": ("account_id",),
}
# Fields whose value must be one of a known set, by input list.
_CHOICES = {
    "retired_users": {"state": RETIREMENT_STATES},
    "assignments": {"principal_type": ("USER", "GROUP")},
    "automation_roles": {"ownership": OWNERSHIP},
    "break_glass_roles": {"ownership": OWNERSHIP},
    "oidc_providers": {"ownership": OWNERSHIP},
    "drift": {"kind": DRIFT_KINDS},
    "root_credentials": {"status": ROOT_CREDENTIAL_STATUSES},
}


def _text(value):
    return "" if value is None else str(value)


def validate(data):
    """Every problem of the report's input (a list of strings, empty when it is valid), each naming the field and
    the value: "retired_users[0].state: must be one of audited, ..., got 'gone'"."""
    problems = []
    for field, required in _REQUIRED.items():
        items = data.get(field)
        if items is None:
            continue
        if not isinstance(items, list):
            problems.append(f"{field}: must be a list, got {items!r}")
            continue
        for index, item in enumerate(items):
            where = f"{field}[{index}]"
            if not isinstance(item, dict):
                problems.append(f"{where}: must be a dict, got {item!r}")
                continue
            problems.extend(f"{where}: '{key}' is required, got {item!r}" for key in required
                            if item.get(key) in (None, ""))
            for key, allowed in _CHOICES.get(field, {}).items():
                if item.get(key) not in (None, "") and item[key] not in allowed:
                    problems.append(f"{where}.{key}: must be one of {', '.join(allowed)}, got {item[key]!r}")
            if field.startswith("posture_") and item.get("checks") not in (None, ""):
                problems.extend(_check_problems(where, item["checks"]))
            if field == "password_policy" and not isinstance(item.get("compliant"), bool):
                problems.append(f"{where}.compliant: must be true or false, got {item.get('compliant')!r}")
            if field == "root_credentials":
                problems.extend(_root_problems(where, item))
    adopted = data.get("adopted")
    if adopted is not None:
        if not isinstance(adopted, dict):
            problems.append(f"adopted: must be a dict, got {adopted!r}")
        else:
            for key in ("permission_sets", "groups", "roles"):
                if adopted.get(key) is not None and not isinstance(adopted[key], list):
                    problems.append(f"adopted.{key}: must be a list, got {adopted[key]!r}")
            problems.extend(f"adopted.roles[{index}]: must be a dict with 'role_name', got {role!r}"
                            for index, role in enumerate(adopted.get("roles") or [])
                            if not isinstance(role, dict) or not role.get("role_name"))
    return problems


def _check_problems(where, checks):
    if not isinstance(checks, list):
        return [f"{where}.checks: must be a list, got {checks!r}"]
    problems = []
    for index, check in enumerate(checks):
        if not isinstance(check, dict) or not check.get("id"):
            problems.append(f"{where}.checks[{index}]: must be a dict with an 'id', got {check!r}")
        elif check.get("status") not in STATUSES:
            problems.append(f"{where}.checks[{index}] ({check['id']}).status: must be one of {', '.join(STATUSES)}, "
                            f"got {check.get('status')!r}")
    return problems


def _root_problems(where, item):
    problems = []
    for side in ("before", "after"):
        counts = item.get(side)
        if counts is None:
            continue
        if not isinstance(counts, dict):
            problems.append(f"{where}.{side}: must be a dict of counts, got {counts!r}")
            continue
        problems.extend(f"{where}.{side}.{kind}: must be a count or null, got {counts[kind]!r}"
                        for kind in ROOT_CREDENTIAL_KINDS
                        if counts.get(kind) is not None and (isinstance(counts[kind], bool)
                                                             or not isinstance(counts[kind], int)))
    return problems


def _account_key(account):
    return (_text(account.get("name")), _text(account.get("id")))


def _accounts(organization, *named):
    """Every account the report mentions: the organization's, then any other an input names."""
    accounts = {}
    for account in (organization or {}).get("accounts") or []:
        accounts[_text(account.get("id"))] = {"id": _text(account.get("id")), "name": _text(account.get("name")),
                                              "status": _text(account.get("status")),
                                              "ou_path": _text(account.get("ou_path"))}
    for items in named:
        for item in items:
            account_id = _text(item.get("account_id"))
            if account_id and account_id not in accounts:
                accounts[account_id] = {"id": account_id, "name": _text(item.get("account_name")),
                                        "status": _text(item.get("status")), "ou_path": ""}
            elif account_id and not accounts[account_id]["name"] and item.get("account_name"):
                accounts[account_id]["name"] = _text(item["account_name"])
    return accounts


def _name(accounts, account_id, fallback=None):
    account = accounts.get(_text(account_id))
    return (account or {}).get("name") or _text(fallback)


def _access(assignments, groups, accounts):
    members = {_text(g.get("display_name")): sorted({_text(m) for m in g.get("members") or []}) for g in groups}
    cells = {}
    for item in assignments:
        key = (_text(item["account_id"]), _text(item["permission_set"]))
        cells.setdefault(key, {})[_text(item["principal"])] = _text(item["principal_type"])
    matrix, reach = [], {}
    for (account_id, permission_set), principals in cells.items():
        listed = []
        for principal, principal_type in principals.items():
            name = principal.split(":", 1)[1] if ":" in principal else principal
            entry = {"principal": principal, "type": principal_type, "name": name}
            if principal_type == "GROUP":
                entry["members"] = members.get(name, [])
                for user in entry["members"]:
                    reach.setdefault(user, set()).add((account_id, permission_set, principal))
            else:
                reach.setdefault(name, set()).add((account_id, permission_set, "direct"))
            listed.append(entry)
        listed.sort(key=lambda e: (e["type"], e["name"]))
        matrix.append({"account_id": account_id, "account_name": _name(accounts, account_id),
                       "permission_set": permission_set, "principals": listed})
    matrix.sort(key=lambda c: (c["account_name"], c["account_id"], c["permission_set"]))
    users = []
    for user in sorted(reach):
        access = [{"account_id": a, "account_name": _name(accounts, a), "permission_set": p, "via": via}
                  for a, p, via in reach[user]]
        access.sort(key=lambda e: (e["account_name"], e["account_id"], e["permission_set"], e["via"]))
        users.append({"user_name": user, "access": access,
                      "groups": sorted({e["via"] for e in access if e["via"] != "direct"}),
                      "accounts": len({e["account_id"] for e in access})})
    assigned = {}
    for cell in matrix:
        for entry in cell["principals"]:
            if entry["type"] == "GROUP":
                assigned[entry["name"]] = assigned.get(entry["name"], 0) + 1
    group_list = [{"name": name, "members": members[name], "assignments": assigned.get(name, 0)}
                  for name in sorted(members)]
    return matrix, users, group_list


def delta(before, after):
    """The change of one check from its before status to its after status (None: not there).

    A check that failed and no longer applies (root MFA of a member account whose root credentials were removed) is
    fixed; one that did not apply and fails now (root credentials recreated since) regressed.
    """
    if after == "not_applicable":
        return "fixed" if before == "fail" else "not_applicable"
    if after not in ("pass", "fail"):
        return "unknown"
    if after == "pass":
        return "fixed" if before == "fail" else "passing"
    if before in ("pass", "not_applicable"):
        return "regressed"
    return "still_failing" if before == "fail" else "failing"


def _posture(before, after, accounts):
    """Per account and check: before and after status, the delta, the after evidence and remediation; and the
    checks in column order (first seen, walking the accounts in the order the report lists them)."""
    by_account = {}
    for side, results in (("before", before or []), ("after", after or [])):
        for result in results:
            account_id = _text(result["account_id"])
            slot = by_account.setdefault(account_id, {"names": [], "before": None, "after": None, "order": {}})
            slot[side] = {_text(c["id"]): c for c in result["checks"]}
            slot["order"][side] = [_text(c["id"]) for c in result["checks"]]
            slot["names"].append(_text(result.get("account_name")))
    listed = []
    totals = dict.fromkeys(DELTAS, 0)
    for account_id, slot in by_account.items():
        name = _name(accounts, account_id, next((n for n in sorted(slot["names"]) if n), ""))
        checks = []
        for check_id in set(slot["before"] or {}) | set(slot["after"] or {}):
            old = (slot["before"] or {}).get(check_id) or {}
            new = (slot["after"] or {}).get(check_id) or {}
            known = new or old
            change = delta(old.get("status"), new.get("status"))
            totals[change] += 1
            checks.append({"id": check_id, "title": _text(known.get("title")),
                           "prowler": known.get("prowler"), "security_hub": known.get("security_hub"),
                           "before": old.get("status"), "after": new.get("status"), "delta": change,
                           "evidence": new.get("evidence", old.get("evidence")),
                           "remediation": new.get("remediation") or None})
        checks.sort(key=lambda c: (DELTAS.index(c["delta"]), c["id"]))
        summary = dict.fromkeys(DELTAS, 0)
        for check in checks:
            summary[check["delta"]] += 1
        listed.append({"account_id": account_id, "account_name": name,
                       "before_available": slot["before"] is not None, "after_available": slot["after"] is not None,
                       "checks": checks, "summary": summary, "_order": slot["order"]})
    listed.sort(key=lambda a: (a["account_name"], a["account_id"]))
    columns = []
    for account in listed:
        order = account.pop("_order")
        for check_id in order.get("after", []) + order.get("before", []):
            if check_id not in columns:
                columns.append(check_id)
    return listed, totals, columns


def _findings(posture, columns):
    """The posture grouped by check, in column order: how many accounts pass, fail, are unknown or not applicable;
    the failing and unknown accounts (each with evidence and remediation); the distinct remediations; and the
    evidence of every account grouped by (status, change, evidence), so 300 identical "passes" are one line."""
    findings = []
    for check_id in columns:
        rows = [(account, check) for account in posture for check in account["checks"] if check["id"] == check_id]
        known = next(c for dummy, c in rows)
        status = dict.fromkeys(STATUSES, 0)
        status["none"] = 0
        deltas = dict.fromkeys(DELTAS, 0)
        failing, unknown, groups = [], [], {}
        for account, check in rows:
            status[check["after"] if check["after"] in STATUSES else "none"] += 1
            deltas[check["delta"]] += 1
            entry = {"account_id": account["account_id"], "account_name": account["account_name"],
                     "before": check["before"], "after": check["after"], "delta": check["delta"],
                     "evidence": check["evidence"], "remediation": check["remediation"]}
            if check["delta"] in FAILING:
                failing.append(entry)
            elif check["delta"] == "unknown":
                unknown.append(entry)
            evidence = json.dumps(check["evidence"], sort_keys=True, ensure_ascii=False)
            groups.setdefault((check["after"], check["delta"], evidence), []).append(
                {"account_id": account["account_id"], "account_name": account["account_name"]})
        failing.sort(key=lambda e: (DELTAS.index(e["delta"]), e["account_name"], e["account_id"]))
        unknown.sort(key=lambda e: (e["account_name"], e["account_id"]))
        evidence_groups = [{"after": after, "delta": change, "evidence": json.loads(evidence),
                            "accounts": sorted(members, key=lambda m: (m["account_name"], m["account_id"]))}
                           for (after, change, evidence), members in groups.items()]
        evidence_groups.sort(key=lambda g: (DELTAS.index(g["delta"]), -len(g["accounts"]),
                                            json.dumps(g["evidence"], sort_keys=True), _text(g["after"])))
        remediation = sorted({_text(e["remediation"]) for e in failing + unknown if e["remediation"]})
        if not remediation:
            remediation = sorted({_text(c["remediation"]) for dummy, c in rows if c["remediation"]})
        findings.append({"id": check_id, "title": known["title"], "prowler": known["prowler"],
                         "security_hub": known["security_hub"], "accounts": len(rows), "status": status,
                         "delta": deltas, "remediation": remediation, "failing": failing, "unknown": unknown,
                         "evidence": evidence_groups})
    return findings


# What the report keeps of each input: the end state, never a run's own narrative (changed, actions) or
# anything else a phase may add, so a re-run with nothing to do gives the same report.
FIELDS = {
    "retired_users": ("account_id", "account_name", "user_name", "state", "backup_file", "disabled_at",
                      "quarantine_ends", "message"),
    "automation_roles": ("account_id", "account_name", "role_name", "role_arn", "provider_arn", "subjects",
                         "ownership"),
    "break_glass_roles": ("account_id", "account_name", "role_name", "role_arn", "trusted_principals",
                          "max_session_duration", "alert_rule", "ownership"),
    "oidc_providers": ("account_id", "account_name", "url", "arn", "client_ids", "ownership"),
    "cli_profiles": ("user_name", "path", "profiles", "content", "login_command"),
    "drift": ("kind", "account_id", "account_name", "subject", "detail", "remedy"),
    "closed_accounts": ("account_id", "account_name", "status"),
    "root_credentials": ("account_id", "account_name", "before", "after", "deleted", "status", "reason"),
    "password_policy": ("account_id", "account_name", "compliant", "policy"),
}


def _snippet(profile):
    """(profile names, config text) of a CLI snippet; `profiles` given as text is the config itself."""
    profiles, content = profile.get("profiles"), profile.get("content")
    if isinstance(profiles, str):
        return [], content or profiles
    names = [_text(p.get("name") if isinstance(p, dict) else p) for p in profiles or []]
    return names, content or ""


def _sorted(field, items, accounts, *keys):
    """The kept fields of each item, account names filled from the organization, sorted by `keys`."""
    kept = []
    for item in items or []:
        entry = {key: item.get(key) for key in FIELDS[field]}
        if "account_name" in entry and entry.get("account_id") not in (None, ""):
            entry["account_name"] = _name(accounts, entry["account_id"], entry["account_name"]) or None
        kept.append(entry)
    return sorted(kept, key=lambda i: tuple(_text(i.get(k)) for k in keys))


def _retired(items, accounts):
    """Legacy users: the message only for a refusal (its reason); otherwise it narrates the run ("already disabled")."""
    retired = []
    for item in _sorted("retired_users", items, accounts):
        if item.get("state") != "refused":
            item["message"] = None
        retired.append(item)
    return sorted(retired, key=lambda i: (_text(i["account_name"]), _text(i["account_id"]), _text(i["user_name"])))


def _root_credentials(items, accounts):
    rows = _sorted("root_credentials", items, accounts, "account_name", "account_id")
    for row in rows:
        for side in ("before", "after"):
            counts = row.get(side)
            row[side] = None if counts is None else {kind: counts.get(kind) for kind in ROOT_CREDENTIAL_KINDS}
        row["deleted"] = sorted(_text(d) for d in row.get("deleted") or [])
    return rows


def _adopted(adopted, accounts):
    adopted = adopted or {}
    roles = [{"account_id": r.get("account_id"), "account_name": _name(accounts, r.get("account_id"),
                                                                       r.get("account_name")) or None,
              "role_name": r.get("role_name")} for r in adopted.get("roles") or []]
    return {"permission_sets": sorted(_text(p) for p in adopted.get("permission_sets") or []),
            "groups": sorted(_text(g) for g in adopted.get("groups") or []),
            "roles": sorted(roles, key=lambda r: (_text(r["account_name"]), _text(r["account_id"]),
                                                  _text(r["role_name"])))}


def _mark_outside_model(matrix, drift):
    """Mark each assignment of the matrix that a drift line names ("user:mallory -> AdministratorAccess" in its
    account) with outside_model: true, so the matrix itself shows what the model does not govern."""
    named = set()
    for line in drift:
        if line.get("kind") in ("assignment_outside_model", "unmanaged_permission_set_assignment"):
            principal, arrow, permission_set = _text(line.get("subject")).partition(" -> ")
            if arrow:
                named.add((_text(line.get("account_id")), permission_set.strip(), principal.strip()))
    for cell in matrix:
        for entry in cell["principals"]:
            if (cell["account_id"], cell["permission_set"], entry["principal"]) in named:
                entry["outside_model"] = True


def _ownership(*lists):
    counts = dict.fromkeys(OWNERSHIP, 0)
    for items in lists:
        for item in items:
            if item.get("ownership") in counts:
                counts[item["ownership"]] += 1
    return counts


def build(data):
    """The report (a dict, version 2) from the gathered data (the contract's keys, all optional); call
    validate(data) first.

    data keys: organization (organization_info's result), instance (instance_info's instance), assignments
    (every assignment in Identity Center), groups (with members), posture_before (a list, or None when there is no
    before snapshot), posture_before_source, posture_after (checks with status pass|fail|unknown|not_applicable,
    evidence, prowler, security_hub, remediation), retired_users, automation_roles, break_glass_roles,
    oidc_providers, cli_profiles, adopted, drift, closed_accounts, root_credentials, password_policy, generated_at.

    Report keys: version, generated_at, organization, identity_center, accounts, access (permission_sets, matrix,
    users, groups), posture (before_available, before_source, checks (column order), accounts, summary, attention
    (every failing account and check, the worst first), findings (per check)), drift, retired_users,
    automation_roles, break_glass_roles, oidc_providers, adopted, closed_accounts, root_credentials,
    password_policy, cli_profiles, summary (counts).
    """
    organization = data.get("organization") or {}
    instance = data.get("instance") or {}
    assignments = data.get("assignments") or []
    before = data.get("posture_before")
    after = data.get("posture_after") or []
    closed_input = data.get("closed_accounts") or []
    accounts = _accounts(organization, assignments, list(before or []) + list(after), closed_input)
    matrix, users, groups = _access(assignments, data.get("groups") or [], accounts)
    posture, totals, columns = _posture(before, after, accounts)
    findings = _findings(posture, columns)
    retired = _retired(data.get("retired_users"), accounts)
    automation = _sorted("automation_roles", data.get("automation_roles"), accounts,
                         "account_name", "account_id", "role_arn")
    break_glass = _sorted("break_glass_roles", data.get("break_glass_roles"), accounts,
                          "account_name", "account_id", "role_arn")
    providers = _sorted("oidc_providers", data.get("oidc_providers"), accounts, "account_name", "account_id", "arn")
    for provider in providers:
        provider["client_ids"] = sorted(_text(c) for c in provider.get("client_ids") or [])
    cli = _sorted("cli_profiles", data.get("cli_profiles"), accounts, "user_name", "path")
    drift = _sorted("drift", data.get("drift"), accounts, "account_name", "account_id", "subject", "detail")
    drift.sort(key=lambda d: DRIFT_KINDS.index(d["kind"]) if d["kind"] in DRIFT_KINDS else len(DRIFT_KINDS))
    # A section whose input is absent was not read: null, so the report never says "no drift" unchecked.
    read = {key: data.get(key) is not None for key in ("drift", "root_credentials", "password_policy")}
    # Closed accounts: those the input lists, and any the organization says is closed, suspended or closing.
    listed = {_text(c.get("account_id")) for c in closed_input}
    closed = _sorted("closed_accounts", list(closed_input) + [
        {"account_id": a["id"], "account_name": a["name"], "status": a["status"]} for a in accounts.values()
        if a["status"] in CLOSED_STATUSES and a["id"] not in listed], accounts, "account_name", "account_id")
    root = _root_credentials(data.get("root_credentials"), accounts)
    policies = _sorted("password_policy", data.get("password_policy"), accounts, "account_name", "account_id")
    adopted = _adopted(data.get("adopted"), accounts)
    _mark_outside_model(matrix, drift)
    permission_sets = sorted({c["permission_set"] for c in matrix})
    attention = [{"account_id": a["account_id"], "account_name": a["account_name"], "id": c["id"],
                  "title": c["title"], "delta": c["delta"], "prowler": c["prowler"],
                  "security_hub": c["security_hub"], "remediation": c["remediation"]}
                 for a in posture for c in a["checks"] if c["delta"] in FAILING]
    # The worst first: what regressed, then what still fails, then what fails with no before status.
    attention.sort(key=lambda c: (DELTAS.index(c["delta"]), c["account_name"], c["account_id"], c["id"]))
    org_info = organization.get("organization") or {}
    closed_ids = {_text(c["account_id"]) for c in closed}
    for account in accounts.values():
        account["closed"] = account["id"] in closed_ids
    # Active accounts with no posture, where others have one: said, so that a missing row is not missed.
    assessed = {a["account_id"] for a in posture}
    not_assessed = [{"account_id": a["id"], "account_name": a["name"]}
                    for a in sorted(accounts.values(), key=_account_key)
                    if posture and a["status"] == "ACTIVE" and not a["closed"] and a["id"] not in assessed]
    return {
        "version": REPORT_VERSION,
        "generated_at": data.get("generated_at"),
        "organization": {"id": org_info.get("id"), "management_account_id": org_info.get("management_account_id")},
        "identity_center": {"instance_arn": instance.get("instance_arn"),
                            "identity_store_id": instance.get("identity_store_id"),
                            "portal_url": instance.get("portal_url")},
        "accounts": sorted(accounts.values(), key=_account_key),
        "access": {"permission_sets": permission_sets, "matrix": matrix, "users": users, "groups": groups},
        "posture": {"before_available": before is not None,
                    "before_source": data.get("posture_before_source"),
                    "checks": [{"id": f["id"], "title": f["title"], "prowler": f["prowler"],
                                "security_hub": f["security_hub"]} for f in findings],
                    "accounts": posture, "summary": totals, "attention": attention, "findings": findings,
                    "not_assessed": not_assessed},
        "drift": drift if read["drift"] else None,
        "retired_users": retired,
        "automation_roles": automation,
        "break_glass_roles": break_glass,
        "oidc_providers": providers,
        "adopted": adopted,
        "closed_accounts": closed,
        "root_credentials": root if read["root_credentials"] else None,
        "password_policy": policies if read["password_policy"] else None,
        "cli_profiles": cli,
        "summary": {
            "accounts": len(accounts),
            "closed_accounts": len(closed_ids),
            "permission_sets": len(permission_sets),
            "assignments": sum(len(c["principals"]) for c in matrix),
            "users_with_access": len(users),
            "before_snapshot": before is not None,
            "posture": totals,
            "still_failing": {"checks": sum(1 for f in findings if f["failing"]), "findings": len(attention),
                              "accounts": len({a["account_id"] for a in attention})},
            "drift": {kind: sum(1 for d in drift if d["kind"] == kind) for kind in DRIFT_KINDS},
            "retired_users": {state: sum(1 for r in retired if r.get("state") == state)
                              for state in RETIREMENT_STATES},
            "automation_roles": len(automation),
            "break_glass_roles": len(break_glass),
            "oidc_providers": len(providers),
            "ownership": _ownership(automation, break_glass, providers),
            "adopted": sum(len(adopted[key]) for key in ("permission_sets", "groups", "roles")),
            "root_credentials": {status: sum(1 for r in root if r.get("status") == status)
                                 for status in ROOT_CREDENTIAL_STATUSES},
            "password_policy": {"compliant": sum(1 for p in policies if p.get("compliant") is True),
                                "not_compliant": sum(1 for p in policies if p.get("compliant") is False)},
        },
    }


def to_json(report):
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------------
# What the two renderers share: labels, phrases, the grid's marks.

# At most this many CLI profile names and config lines are shown per user (a user reaching 300 accounts has
# hundreds of profiles: the file is named instead; report.json keeps them all).
CLI_PROFILE_NAMES_SHOWN = 30
CLI_CONFIG_LINES_SHOWN = 60
# An evidence group lists its accounts inline up to this many; more fold (HTML) or are counted first (Markdown).
ACCOUNTS_INLINE = 3
# A group's members are listed in each cell of the access matrix up to this many; a larger group shows its count
# there and its members once, in the groups table (the HTML principal filter still finds its members' rows).
MEMBERS_INLINE = 10


def _account_label(item):
    name, account_id = _text(item.get("account_name")), _text(item.get("account_id"))
    return f"{name} ({account_id})" if name else account_id


def _ids(check):
    return _text(check.get("prowler")) or "-", _text(check.get("security_hub")) or "-"


def _failing_first(findings):
    """The checks that fail somewhere: the worst change first, then the most accounts, then the column order."""
    failing = [(index, f) for index, f in enumerate(findings) if f["failing"]]
    failing.sort(key=lambda pair: (DELTAS.index(pair[1]["failing"][0]["delta"]), -len(pair[1]["failing"]), pair[0]))
    return [f for dummy, f in failing]


def _members(entry):
    """The members shown in a matrix cell: the names, or their count for a large group; None for a user."""
    if entry.get("type") != "GROUP":
        return None
    members = entry.get("members") or []
    if not members:
        return "(no members)"
    if len(members) > MEMBERS_INLINE:
        return f"({len(members)} members)"
    return ", ".join(members)


def _tail(arn, marker):
    """The part of an ARN after `marker` (':role/', 'oidc-provider/'), or the ARN itself."""
    text = _text(arn)
    return text.split(marker, 1)[1] if marker in text else text


def _role_name(role):
    return _text(role.get("role_name")) or _tail(role.get("role_arn"), ":role/")


def _policy_groups(rows):
    """Password policies grouped by (compliant, policy): the non-compliant first, then the most accounts."""
    groups = {}
    for row in rows:
        key = (row.get("compliant") is True, json.dumps(row.get("policy"), sort_keys=True))
        groups.setdefault(key, []).append(row)
    ordered = sorted(groups.items(), key=lambda item: (item[0][0], -len(item[1]), item[0][1]))
    return [(compliant, json.loads(policy), accounts) for (compliant, policy), accounts in ordered]


def _evidence(value):
    return "-" if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


def _status(status):
    return (status or "-").replace("_", " ")


def _plural(count, word):
    return f"{count} {word}" + ("" if count == 1 else "s")


def _status_phrase(finding, status="fail", verb="failing"):
    """'failing in 1 of 13 accounts (12 not applicable)': the counts of one check across the accounts."""
    counts = finding["status"]
    others = [(counts["pass"], "passing"), (counts["fail"], "failing"), (counts["unknown"], "unknown"),
              (counts["not_applicable"], "not applicable"), (counts["none"], "not assessed now")]
    mine = {"fail": "failing", "unknown": "unknown"}[status]
    extra = ", ".join(f"{n} {label}" for n, label in others if n and label != mine)
    return (f"{verb} in {counts[status]} of {_plural(finding['accounts'], 'account')}"
            + (f" ({extra})" if extra else ""))


def _grid_mark(check, before_available):
    """The grid's short mark of one cell: the status now, after the status before where it changed."""
    if check is None:
        return MARKS[None]
    now = MARKS.get(check["after"], MARKS[None])
    if before_available and check["before"] is not None and check["before"] != check["after"]:
        return f"{MARKS.get(check['before'], MARKS[None])}\u2192{now}"
    return now


def _grid(report):
    """(columns, rows): rows are (account, is management, {check id: check}, failing now)."""
    posture = report["posture"]
    management = report["organization"]["management_account_id"]
    rows = []
    for account in posture["accounts"]:
        checks = {c["id"]: c for c in account["checks"]}
        failing = sum(1 for c in account["checks"] if c["after"] == "fail")
        rows.append((account, account["account_id"] == _text(management), checks, failing))
    return [c["id"] for c in posture["checks"]], rows


def _matrix_accounts(report):
    """The access matrix's rows: every account but closed ones with no assignment."""
    assigned = {c["account_id"] for c in report["access"]["matrix"]}
    return [a for a in report["accounts"] if not a.get("closed") or a["id"] in assigned]


def _direct(user):
    return [a for a in user["access"] if a["via"] == "direct"]


def _policy_text(policy):
    if not policy:
        return "no password policy"
    words = []
    for key in sorted(policy):
        value = policy[key]
        words.append(f"{key} {'yes' if value is True else 'no' if value is False else _text(value)}")
    return ", ".join(words)


def _count(value):
    return "?" if value is None else _text(value)


def _root_change(row, kind):
    """'1 → 0' for one kind of root credential, the count alone where it did not change, '?' where unknown."""
    before, after = row.get("before"), row.get("after")
    if before is None and after is None:
        return "-"
    old = None if before is None else before.get(kind)
    new = None if after is None else after.get(kind)
    if before is None or after is None:
        return _count(new if before is None else old)
    return _count(new) if old == new else f"{_count(old)} \u2192 {_count(new)}"


def _cli_view(profile):
    """(names shown, total names, config text shown or None, total lines) of one user's CLI snippet."""
    names, snippet = _snippet(profile)
    lines = snippet.rstrip("\n").split("\n") if snippet else []
    shown = snippet if lines and len(lines) <= CLI_CONFIG_LINES_SHOWN else None
    return names[:CLI_PROFILE_NAMES_SHOWN], len(names), shown, len(lines)


def _glance(report):
    """(label, value, tone) of the counts at the top; tone 'bad' / 'ok' / '' colours the HTML card."""
    summary = report["summary"]
    totals = summary["posture"]
    still = summary["still_failing"]["findings"] + summary["retired_users"]["refused"]
    assessed = bool(report["posture"]["accounts"])
    cards = [("still failing", still, "bad" if still else "ok" if assessed else ""),
             ("regressed", totals["regressed"], "bad" if totals["regressed"] else ""),
             ("fixed", totals["fixed"], "ok" if totals["fixed"] else ""),
             ("unknown", totals["unknown"], ""),
             ("accounts", summary["accounts"] - summary["closed_accounts"], ""),
             ("assignments", summary["assignments"], ""),
             ("users with access", summary["users_with_access"], "")]
    if report["drift"] is not None:
        drift = sum(summary["drift"].values())
        cards.append(("outside the model (drift)", drift, "bad" if drift else "ok"))
    retired = summary["retired_users"]
    cards.append(("IAM users deleted", retired["deleted"] + retired["absent"], ""))
    cards.append(("IAM users disabled", retired["disabled"], ""))
    if report["root_credentials"] is not None:
        cards.append(("member roots cleared", summary["root_credentials"]["deleted"]
                      + summary["root_credentials"]["none"], ""))
    if report["password_policy"] is not None:
        policy = summary["password_policy"]
        cards.append(("password policy compliant",
                      f"{policy['compliant']}/{policy['compliant'] + policy['not_compliant']}",
                      "bad" if policy["not_compliant"] else "ok"))
    return cards


# ---------------------------------------------------------------------------------------------
# Markdown

_MD_SPECIAL = "\\`*_[]|~"


def md(value):
    """One line of Markdown-safe text: no raw HTML, no markup, no table breaks."""
    text = " ".join(_text(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join("\\" + char if char in _MD_SPECIAL else char for char in text)


def mdcode(value):
    """An identifier (ID, ARN, path, command) as a code span, literal inside; md() when it holds a backtick."""
    text = " ".join(_text(value).split())
    if not text or text == "-" or "`" in text:
        return md(text or "-")
    return "`" + text.replace("|", "\\|") + "`"


def mdlink(url):
    """An http(s) URL as an autolink; anything else as text."""
    text = _text(url)
    if text.lower().startswith(("https://", "http://")) and not any(c in text for c in " <>`\"\n"):
        return f"<{text}>"
    return md(text or "-")


def _md_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for h in header) + " |"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def _md_section(lines, title, body, empty):
    lines += [f"## {title}", ""]
    lines += body if body else [empty]
    lines.append("")


def _principal_md(entry):
    members = _members(entry)
    outside = " **(outside the model)**" if entry.get("outside_model") else ""
    if members is None:
        return md(entry["principal"]) + outside
    return f"{md(entry['principal'])} {md(members if members.startswith('(') else f'({members})')}{outside}"


def _md_accounts(accounts):
    labels = [md(_account_label(a)) for a in accounts]
    if len(labels) <= ACCOUNTS_INLINE:
        return ", ".join(labels)
    return f"{len(labels)} accounts: " + ", ".join(labels)


def _md_still_failing(report):
    lines = []
    refused = [r for r in report["retired_users"] if r.get("state") == "refused"]
    for finding in _failing_first(report["posture"]["findings"]):
        lines += [f"### {md(finding['title'] or finding['id'])}: {_status_phrase(finding)}", ""]
        ids = (f"; Prowler {mdcode(_ids(finding)[0])}, Security Hub {mdcode(_ids(finding)[1])}"
               if finding["prowler"] or finding["security_hub"] else "")
        lines += [f"Check {mdcode(finding['id'])}{ids}.", ""]
        lines += [f"Remediation: {md(step)}" for step in finding["remediation"]] or ["No remediation given."]
        lines.append("")
        lines += _md_table(["Account", "Before", "Now", "Change", "Evidence"],
                           [[md(_account_label(e)), md(_status(e["before"])), md(_status(e["after"])),
                             md(e["delta"].replace("_", " ")), mdcode(_evidence(e["evidence"]))]
                            for e in finding["failing"]])
        lines.append("")
    if refused:
        lines += ["### Retirements refused", ""]
        lines += [f"- {md(_account_label(r))}: retirement of {md(r.get('user_name'))} refused: {md(r.get('message'))}"
                  for r in refused]
        lines.append("")
    if not lines:
        lines = ["No check fails." if report["posture"]["accounts"] else "No posture was assessed.", ""]
    unknown = [f for f in report["posture"]["findings"] if f["unknown"]]
    if unknown:
        lines += ["### Could not be read", ""]
        for finding in unknown:
            lines += [f"- {md(finding['title'] or finding['id'])} ({mdcode(finding['id'])}): "
                      f"{_status_phrase(finding, 'unknown', 'unknown')}: "
                      + "; ".join(f"{md(_account_label(e))} {mdcode(_evidence(e['evidence']))}"
                                  for e in finding["unknown"])]
        lines.append("")
    return lines[:-1]


def _md_grid(report):
    columns, rows = _grid(report)
    if not rows:
        return []
    before = report["posture"]["before_available"]
    lines = ["Marks: " + ", ".join(f"{MARKS[status]} {label}" for status, label in MARK_LEGEND)
             + ("; `a\u2192b`: a before, b now (shown where the status changed)." if before
                else "; no before snapshot: the status now only."), ""]
    table = []
    for account, management, checks, failing in rows:
        label = md(_account_label(account)) + (" (management)" if management else "")
        table.append([label] + [_grid_mark(checks.get(c), before) for c in columns] + [str(failing)])
    lines += _md_table(["Account"] + [mdcode(c) for c in columns] + ["Failing"], table)
    if report["posture"]["not_assessed"]:
        lines += ["", "Not assessed now: " + ", ".join(md(_account_label(a)) for a in report["posture"]["not_assessed"])
                  + "."]
    lines += ["", "Checks:", ""]
    lines += _md_table(["Check", "Title", "Prowler", "Security Hub"],
                       [[mdcode(c["id"]), md(c["title"] or "-"), mdcode(_ids(c)[0]), mdcode(_ids(c)[1])]
                        for c in report["posture"]["checks"]])
    return lines


def _md_evidence(report):
    lines = []
    for finding in report["posture"]["findings"]:
        lines += [f"### {mdcode(finding['id'])} {md(finding['title'])}", ""]
        counts = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in finding["status"].items() if n)
        ids = (f" Prowler {mdcode(_ids(finding)[0])}, Security Hub {mdcode(_ids(finding)[1])}."
               if finding["prowler"] or finding["security_hub"] else "")
        lines += [f"{counts}.{ids}", ""]
        lines += [f"Remediation: {md(step)}" for step in finding["remediation"]]
        if finding["remediation"]:
            lines.append("")
        lines += _md_table(["Now", "Change", "Evidence", "Accounts"],
                           [[md(_status(g["after"])), md(_status(g["delta"])), mdcode(_evidence(g["evidence"])),
                             _md_accounts(g["accounts"])] for g in finding["evidence"]])
        lines.append("")
    return lines[:-1]


def _md_access(report):
    access = report["access"]
    if not access["matrix"]:
        return []
    cells = {(c["account_id"], c["permission_set"]): c["principals"] for c in access["matrix"]}
    rows = []
    for account in _matrix_accounts(report):
        row = [md(_account_label({"account_name": account["name"], "account_id": account["id"]}))]
        for permission_set in access["permission_sets"]:
            principals = cells.get((account["id"], permission_set), [])
            row.append("<br>".join(_principal_md(p) for p in principals) or "-")
        rows.append(row)
    lines = _md_table(["Account"] + [md(p) for p in access["permission_sets"]], rows)
    lines += ["", "### Users", ""]
    lines += _md_table(["User", "Groups", "Direct assignments", "Accounts reached"],
                       [[md(u["user_name"]), ", ".join(md(g) for g in u["groups"]) or "-",
                         "<br>".join(f"{md(_account_label(a))}: {md(a['permission_set'])}" for a in _direct(u)) or "-",
                         str(u["accounts"])] for u in access["users"]])
    lines += ["", "### Groups", ""]
    lines += _md_table(["Group", "Members", "Assignments"],
                       [[md(g["name"]), ", ".join(md(m) for m in g["members"]) or "(no members)",
                         str(g["assignments"])] for g in access["groups"]])
    return lines


def _md_drift(report):
    drift = report["drift"]
    if drift is None:
        return ["Drift was not read in this run."]
    if not drift:
        return ["No access outside the model."]
    counts = report["summary"]["drift"]
    lines = [f"- {DRIFT_LABELS[kind]}: {counts[kind]}" for kind in DRIFT_KINDS if counts[kind]] + [""]
    lines += _md_table(["Account", "Kind", "Subject", "Detail", "Remedy"],
                       [[md(_account_label(d) or "-"), md(DRIFT_LABELS.get(d["kind"], d["kind"])), md(d["subject"]),
                         md(d.get("detail") or "-"), md(d.get("remedy") or "-")] for d in drift])
    return lines


def _md_root(report):
    rows = report["root_credentials"]
    if rows is None:
        return ["Member-account root credentials were not read in this run."]
    if not rows:
        return ["No member account's root credentials were audited."]
    counts = report["summary"]["root_credentials"]
    lines = [", ".join(f"{n} {status}" for status, n in counts.items() if n) + ".", ""]
    lines += _md_table(["Account", "Status", "Password", "Access keys", "Signing certificates", "MFA devices",
                        "Deleted", "Reason"],
                       [[md(_account_label(r)), md(r.get("status"))] + [md(_root_change(r, k))
                                                                        for k in ROOT_CREDENTIAL_KINDS]
                        + [md(", ".join(r["deleted"]) or "-"), md(r.get("reason") or "-")] for r in rows])
    return lines


def _md_password_policy(report):
    rows = report["password_policy"]
    if rows is None:
        return ["Password policies were not read in this run."]
    if not rows:
        return ["No account's password policy was read."]
    counts = report["summary"]["password_policy"]
    lines = [f"Compliant in {counts['compliant']} of {_plural(len(rows), 'account')}.", ""]
    lines += _md_table(["Compliant", "Policy", "Accounts"],
                       [["yes" if compliant else "**no**", md(_policy_text(policy)), _md_accounts(accounts)]
                        for compliant, policy, accounts in _policy_groups(rows)])
    return lines


def _md_roles(report):
    lines = ["### Automation roles (OIDC)", ""]
    lines += (_md_table(["Account", "Role", "Provider", "Subjects", "Ownership"],
                        [[md(_account_label(r)), mdcode(_role_name(r)),
                          mdcode(_tail(r.get("provider_arn"), "oidc-provider/")),
                          md(", ".join(_text(s) for s in r.get("subjects") or []) or "-"),
                          md(r.get("ownership") or "-")]
                         for r in report["automation_roles"]])
              if report["automation_roles"] else ["None."])
    lines += ["", "### Break-glass roles", ""]
    lines += (_md_table(["Account", "Role", "Trusted principals", "Max session (s)", "Alert rule", "Ownership"],
                        [[md(_account_label(r)), mdcode(_role_name(r)),
                          ", ".join(mdcode(p) for p in r.get("trusted_principals") or []) or "-",
                          md(r.get("max_session_duration") or "-"), md(r.get("alert_rule") or "-"),
                          md(r.get("ownership") or "-")]
                         for r in report["break_glass_roles"]])
              if report["break_glass_roles"] else ["None."])
    lines += ["", "### OIDC providers", ""]
    lines += (_md_table(["Account", "URL", "Client IDs", "Ownership"],
                        [[md(_account_label(p)), mdcode(p.get("url") or _tail(p.get("arn"), "oidc-provider/")),
                          ", ".join(mdcode(c) for c in p["client_ids"]) or "-", md(p.get("ownership") or "-")]
                         for p in report["oidc_providers"]])
              if report["oidc_providers"] else ["None."])
    lines += ["", "Role and provider ARNs are in report.json (`arn:aws:iam::ACCOUNT:role/NAME`)."]
    return lines


def _md_adopted(report):
    adopted = report["adopted"]
    if not any(adopted.values()):
        return []
    lines = [f"- Permission sets: {', '.join(md(p) for p in adopted['permission_sets']) or '-'}",
             f"- Groups: {', '.join(md(g) for g in adopted['groups']) or '-'}",
             "- Roles: " + (", ".join(f"{md(r['role_name'])} in {md(_account_label(r))}" for r in adopted["roles"])
                            or "-")]
    return lines


def _md_retired(report):
    if not report["retired_users"]:
        return []
    return _md_table(["Account", "User", "State", "Backup file", "Disabled at", "Quarantine ends", "Note"],
                     [[md(_account_label(r)), md(r.get("user_name")), md(r.get("state")), mdcode(r.get("backup_file")),
                       md(r.get("disabled_at") or "-"), md(r.get("quarantine_ends") or "-"), md(r.get("message") or "")]
                      for r in report["retired_users"]])


def _md_sign_in(report):
    lines = [f"Access portal: {mdlink(report['identity_center']['portal_url'])}", ""]
    for profile in report["cli_profiles"]:
        lines += [f"### {md(profile.get('user_name'))}", ""]
        if profile.get("path"):
            lines += [f"File: {mdcode(profile['path'])}", ""]
        names, total, snippet, line_count = _cli_view(profile)
        if names:
            more = f" and {total - len(names)} more (see the file)" if total > len(names) else ""
            lines += ["Profiles: " + ", ".join(mdcode(n) for n in names) + more, ""]
        if snippet:
            # Inside a fenced block nothing is markup; a longer fence than any backtick run keeps it closed.
            fence = "`" * max(3, _longest_backticks(snippet) + 1)
            lines += [fence + "ini", snippet.rstrip("\n"), fence, ""]
        elif line_count:
            lines += [f"The configuration ({line_count} lines) is in the file.", ""]
        if profile.get("login_command"):
            lines += [f"Sign in: {mdcode(profile['login_command'])}", ""]
    if not report["cli_profiles"]:
        lines += ["No CLI profile snippets recorded in this run.", ""]
    return lines[:-1]


def to_markdown(report):
    summary = report["summary"]
    posture = report["posture"]
    totals = summary["posture"]
    lines = ["# IAM Identity Center migration report", ""]
    lines.append(f"Generated {md(report['generated_at'] or '-')} for organization "
                 f"{md(report['organization']['id'] or '-')}"
                 f" (management account {md(report['organization']['management_account_id'] or '-')}).")
    lines += ["", "## At a glance", ""]
    lines += [f"- {label}: {value}" for label, value, dummy in _glance(report)]
    lines.append(f"- Access: {summary['assignments']} assignment(s) of {summary['permission_sets']} permission set(s) "
                 f"in {summary['accounts'] - summary['closed_accounts']} account(s) (closed ones aside); "
                 f"{summary['users_with_access']} user(s) can sign in.")
    if posture["before_available"]:
        lines.append(f"- Posture: {totals['fixed']} fixed, {totals['regressed']} regressed, "
                     f"{totals['still_failing']} still failing, {totals['failing']} failing without a before status, "
                     f"{totals['unknown']} unknown, {totals['not_applicable']} not applicable, "
                     f"{totals['passing']} passing.")
    else:
        lines.append(f"- Posture: no before snapshot; now {totals['failing']} failing, {totals['unknown']} unknown, "
                     f"{totals['not_applicable']} not applicable, {totals['passing']} passing.")
    retired = summary["retired_users"]
    lines.append(f"- Legacy IAM users: {retired['deleted']} deleted, {retired['disabled']} disabled, "
                 f"{retired['absent']} absent, {retired['audited']} audited only, {retired['refused']} refused.")
    lines.append(f"- Automation roles: {summary['automation_roles']}; break-glass roles: "
                 f"{summary['break_glass_roles']}; OIDC providers: {summary['oidc_providers']}.")
    lines.append(f"- Access portal: {mdlink(report['identity_center']['portal_url'])}")
    lines.append("")

    _md_section(lines, "Still failing", _md_still_failing(report), "")
    if not posture["before_available"]:
        grid_intro = ["No before snapshot: every check shows its status now only.", ""]
    elif posture["before_source"]:
        grid_intro = [f"Before: {mdcode(posture['before_source'])}.", ""]
    else:
        grid_intro = []
    grid = _md_grid(report)
    _md_section(lines, "Posture: accounts \u00d7 checks", grid_intro + (grid or ["No posture was assessed."]), "")
    _md_section(lines, "Access outside the model (drift)", _md_drift(report), "")
    _md_section(lines, "Access: accounts \u00d7 permission sets", _md_access(report), "No account assignment.")
    _md_section(lines, "Checks and evidence", _md_evidence(report), "No posture was assessed.")
    _md_section(lines, "Member-account root credentials", _md_root(report), "")
    _md_section(lines, "Password policy", _md_password_policy(report), "")
    _md_section(lines, "Roles and OIDC providers", _md_roles(report), "")
    _md_section(lines, "Adopted resources", _md_adopted(report),
                "Nothing adopted: the collection created all it manages.")
    _md_section(lines, "Legacy IAM users", _md_retired(report), "None recorded in this run.")
    _md_section(lines, "Closed accounts",
                _md_table(["Account", "Status"], [[md(_account_label(c)), md(c.get("status") or "-")]
                                                  for c in report["closed_accounts"]])
                if report["closed_accounts"] else [], "None.")
    _md_section(lines, "Sign-in", _md_sign_in(report), "")
    return "\n".join(lines).rstrip("\n") + "\n"


def _longest_backticks(text):
    longest = current = 0
    for char in text:
        current = current + 1 if char == "`" else 0
        longest = max(longest, current)
    return longest


# ---------------------------------------------------------------------------------------------
# HTML: one page, inline CSS and a small inline script (filters; the page reads the same without it), no external
# asset; a Content-Security-Policy that allows only that style and that script (by hash) and nothing from the
# network; every value escaped.

_CSS = """
:root{--p:#116329;--pb:#dafbe1;--f:#a40e26;--fb:#ffebe9;--u:#7d4e00;--ub:#fff8c5;--n:#57606a;--nb:#eaeef2;--l:#d0d7de}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:96rem;
color:#1f2328;padding:0 1rem 3rem}
h1{font-size:1.5rem;margin:1rem 0 .2rem}h3{font-size:1.02rem;margin:1.1rem 0 .3rem}
.meta,.m{color:var(--n)}.meta{margin:0}.m{font-size:.86em}
nav{margin:.5rem 0;font-size:.92em}nav a{margin-right:.8em;white-space:nowrap}
details.s{border-top:1px solid var(--l);margin-top:.9rem;padding-top:.3rem}
details.s>summary{cursor:pointer}details.s>summary h2{display:inline;font-size:1.2rem;margin:0}
summary .m{margin-left:.6em}
.cards{display:flex;flex-wrap:wrap;gap:.5rem;margin:.7rem 0}
.card{border:1px solid var(--l);border-radius:6px;padding:.35rem .8rem;min-width:6.5rem}
.card b{display:block;font-size:1.35rem}.card.bad{border-color:var(--f);background:var(--fb)}
.card.ok{border-color:var(--p);background:var(--pb)}
table{border-collapse:collapse;margin:.4rem 0 .9rem}
th,td{border:1px solid var(--l);padding:.22rem .45rem;text-align:left;vertical-align:top}
thead th{background:#f6f8fa}tbody th{font-weight:normal;white-space:nowrap}
table.grid td{text-align:center;padding:.1rem .35rem;min-width:1.4rem;white-space:nowrap}
table.grid thead th.c{writing-mode:vertical-rl;transform:rotate(180deg);font:12px ui-monospace,Menlo,monospace;
padding:.3rem .1rem;vertical-align:bottom}
table.grid thead th.c a{color:inherit;text-decoration:none}
table.grid td i{font-style:normal;font-size:.72em;border:1px solid;border-radius:3px;padding:0 .15em;margin-right:.2em}
.sp{background:var(--pb);color:var(--p)}.sf{background:var(--fb);color:var(--f);font-weight:600}
.su{background:var(--ub);color:var(--u)}.sn{background:var(--nb);color:var(--n)}.sx{color:#8c959f}
.tag{display:inline-block;border-radius:1em;padding:0 .55em;font-size:.84em;white-space:nowrap}
.legend span{margin-right:.9em}
.fix{border-left:3px solid var(--f);padding:.1rem .7rem;background:#fffafa}
#flt{position:sticky;top:0;z-index:2;background:#fff;border-bottom:1px solid var(--l);padding:.4rem 0}
#flt input{width:14rem}.pr.hit{background:var(--ub)}
pre{background:#f6f8fa;border:1px solid var(--l);border-radius:6px;padding:.6rem;overflow:auto}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.92em;word-break:break-word}
"""

# Filters every table marked `fa` by the account in its first column and every table marked `fp` by the principals
# (elements `.pr`) in its rows, a group also by its members (read from the groups table); shows "n of m shown"
# beside each; opens the folded section a link points to.
_SCRIPT = """
(function(){var d=document,bar=d.getElementById('flt'),fa=d.getElementById('fa'),fp=d.getElementById('fp'),g={};
bar.hidden=false;
d.querySelectorAll('#groups tbody tr').forEach(function(r){
g['group:'+r.cells[0].textContent.trim()]=r.cells[1].textContent.toLowerCase();});
function v(e){return e.value.trim().toLowerCase();}
function has(e,t){if(e.textContent.toLowerCase().indexOf(t)>=0)return true;
var f=e.firstChild;return !!f&&f.nodeType===3&&(g[f.nodeValue]||'').indexOf(t)>=0;}
function run(){var a=v(fa),p=v(fp);
d.querySelectorAll('table.fa,table.fp').forEach(function(t){var rows=t.tBodies[0].rows,n=0;
for(var i=0;i<rows.length;i++){var r=rows[i],ok=true,hit=false;
if(a&&t.classList.contains('fa'))ok=has(r.cells[0],a);
if(t.classList.contains('fp')){r.querySelectorAll('.pr').forEach(function(e){var m=!!p&&has(e,p);
e.classList.toggle('hit',m);hit=hit||m;});if(p)ok=ok&&hit;}
r.hidden=!ok;if(ok)n++;}
var c=d.getElementById(t.id+'-n');if(c)c.textContent=(a||p)?n+' of '+rows.length+' shown':'';});}
function open(){var e=location.hash&&d.getElementById(decodeURIComponent(location.hash.slice(1)));
for(;e;e=e.parentElement)if(e.tagName==='DETAILS')e.open=true;}
fa.addEventListener('input',run);fp.addEventListener('input',run);window.addEventListener('hashchange',open);
run();open();})();
"""


def _csp_hash(text):
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


CSP = (f"default-src 'none'; style-src {_csp_hash(_CSS)}; script-src {_csp_hash(_SCRIPT)}; base-uri 'none'; "
       "form-action 'none'")
_STATUS_CLASS = {"pass": "sp", "fail": "sf", "unknown": "su", "not_applicable": "sn"}
_DELTA_CLASS = {"regressed": "sf", "still_failing": "sf", "failing": "sf", "unknown": "su", "fixed": "sp",
                "not_applicable": "sn", "passing": "sp"}


def h(value):
    return html.escape(_text(value), quote=True)


def _tag(status, label=None):
    css = _STATUS_CLASS.get(status) or _DELTA_CLASS.get(status) or "sx"
    return f'<span class="tag {css}">{h(label or (status or "-").replace("_", " "))}</span>'


def _table(header, rows, empty="None.", table_id=None, classes=""):
    """A table; rows are lists of HTML cells. The first cell of a row is a row header (the account, mostly)."""
    if not rows:
        return f"<p>{h(empty)}</p>"
    attributes = (f' id="{h(table_id)}"' if table_id else "") + (f' class="{classes}"' if classes else "")
    counter = f'<p class="m" id="{h(table_id)}-n"></p>' if table_id and classes else ""
    head = "".join(f"<th>{cell}</th>" for cell in header)
    body = "".join(f"<tr><th>{row[0]}</th>" + "".join(f"<td>{cell}</td>" for cell in row[1:]) + "</tr>"
                   for row in rows)
    return f"<table{attributes}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{counter}"


def _link(url):
    """A link only for http(s) URLs; anything else (javascript:, data:) is shown as text."""
    text = _text(url)
    if text.lower().startswith(("https://", "http://")):
        return f'<a href="{h(text)}">{h(text)}</a>'
    return h(text) or "-"


def _code(value):
    return f"<code>{h(value)}</code>" if _text(value) not in ("", "-") else "-"


def _section(anchor, title, body, opened=True, note=""):
    note = f'<span class="m">{h(note)}</span>' if note else ""
    return (f'<details class="s" id="{anchor}"{" open" if opened else ""}><summary><h2>{h(title)}</h2>{note}'
            f"</summary>{body}</details>")


def _principal_html(entry):
    members = _members(entry)
    members = f'<span class="m"> {h(members)}</span>' if members else ""
    outside = f' {_tag("fail", "outside the model")}' if entry.get("outside_model") else ""
    return f'<div class="pr">{h(entry["principal"])}{members}{outside}</div>'


def _html_accounts(accounts):
    labels = ", ".join(h(_account_label(a)) for a in accounts)
    if len(accounts) <= ACCOUNTS_INLINE:
        return labels
    return f"<details><summary>{len(accounts)} accounts</summary>{labels}</details>"


def _html_still_failing(report):
    parts = []
    findings = report["posture"]["findings"]
    for finding in _failing_first(findings):
        parts.append(f'<h3>{h(finding["title"] or finding["id"])}: {h(_status_phrase(finding))}</h3>')
        ids = (f' &middot; Prowler {_code(_ids(finding)[0])} &middot; Security Hub {_code(_ids(finding)[1])}'
               if finding["prowler"] or finding["security_hub"] else "")
        parts.append(f'<p class="m">Check <a href="#c-{h(finding["id"])}"><code>{h(finding["id"])}</code></a>{ids}</p>')
        parts.extend(f'<p class="fix"><b>Remediation:</b> {h(step)}</p>' for step in finding["remediation"])
        parts.append(_table(["Account", "Before", "Now", "Change", "Evidence"],
                            [[h(_account_label(e)), _tag(e["before"]), _tag(e["after"]), _tag(e["delta"]),
                              _code(_evidence(e["evidence"]))] for e in finding["failing"]]))
    refused = [r for r in report["retired_users"] if r.get("state") == "refused"]
    if refused:
        parts.append("<h3>Retirements refused</h3><ul>" + "".join(
            f"<li>{h(_account_label(r))}: retirement of {h(r.get('user_name'))} {_tag('fail', 'refused')} "
            f"{h(r.get('message'))}</li>" for r in refused) + "</ul>")
    if not parts:
        parts.append("<p>No check fails.</p>" if report["posture"]["accounts"] else "<p>No posture was assessed.</p>")
    unknown = [f for f in findings if f["unknown"]]
    if unknown:
        parts.append("<h3>Could not be read</h3><ul>" + "".join(
            f'<li>{h(f["title"] or f["id"])} (<code>{h(f["id"])}</code>): '
            f'{h(_status_phrase(f, "unknown", "unknown"))}: '
            + "; ".join(f"{h(_account_label(e))} {_code(_evidence(e['evidence']))}" for e in f["unknown"])
            + "</li>" for f in unknown) + "</ul>")
    return "".join(parts)


def _html_grid(report):
    columns, rows = _grid(report)
    posture = report["posture"]
    before = posture["before_available"]
    if not rows:
        return ("" if before else "<p><strong>No before snapshot</strong>.</p>") + "<p>No posture was assessed.</p>"
    titles = {c["id"]: c["title"] for c in posture["checks"]}
    legend = "".join(f'<span><span class="tag {_STATUS_CLASS.get(status, "sx")}">{MARKS[status]}</span> {h(label)}'
                     "</span>" for status, label in MARK_LEGEND)
    intro = [f'<p class="legend">{legend}</p>']
    if before:
        intro.append('<p class="m">A cell shows the status now; a small mark before it is the status before the '
                     "migration, where it changed (" + _grid_cell_html({"before": "fail", "after": "pass"}, True)
                     .replace("<td ", "<span ").replace("</td>", "</span>") + " failed before, passes now). Before: "
                     + (_code(posture["before_source"]) if posture["before_source"] else "the snapshot") + ".</p>")
    else:
        intro.append("<p><strong>No before snapshot</strong>: each cell shows the status now only.</p>")
    head = ("<th>Account</th>" + "".join(f'<th class="c" title="{h(titles.get(c))}"><a href="#c-{h(c)}">{h(c)}</a></th>'
                                         for c in columns) + "<th>Failing</th>")
    body = []
    for account, management, checks, failing in rows:
        label = h(_account_label(account)) + (' <span class="tag sn">management</span>' if management else "")
        cells = "".join(_grid_cell_html(checks.get(c), before) for c in columns)
        body.append(f'<tr><th>{label}</th>{cells}<td class="{"sf" if failing else "sp"}">{failing}</td></tr>')
    return ("".join(intro) + f'<table id="grid" class="grid fa"><thead><tr>{head}</tr></thead><tbody>'
            + "".join(body) + '</tbody></table><p class="m" id="grid-n"></p>'
            + (f"<p>Not assessed now: {h(', '.join(_account_label(a) for a in posture['not_assessed']))}.</p>"
               if posture["not_assessed"] else ""))


def _grid_cell_html(check, before_available):
    if check is None:
        return f'<td class="sx">{MARKS[None]}</td>'
    css = _STATUS_CLASS.get(check["after"], "sx")
    now = MARKS.get(check["after"], MARKS[None])
    if before_available and check["before"] is not None and check["before"] != check["after"]:
        return (f'<td class="{css}"><i class="{_STATUS_CLASS.get(check["before"], "sx")}">'
                f'{MARKS.get(check["before"], MARKS[None])}</i>{now}</td>')
    return f'<td class="{css}">{now}</td>'


def _html_checks_legend(report):
    return _table(["Check", "Title", "Prowler", "Security Hub"],
                  [[f'<a href="#c-{h(c["id"])}"><code>{h(c["id"])}</code></a>', h(c["title"] or "-"),
                    _code(_ids(c)[0]), _code(_ids(c)[1])] for c in report["posture"]["checks"]])


def _html_evidence(report):
    parts = []
    for finding in report["posture"]["findings"]:
        counts = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in finding["status"].items() if n)
        body = [f'<p class="m">Prowler {_code(_ids(finding)[0])} &middot; Security Hub {_code(_ids(finding)[1])}</p>'
                if finding["prowler"] or finding["security_hub"] else ""]
        body.extend(f'<p class="fix"><b>Remediation:</b> {h(step)}</p>' for step in finding["remediation"])
        body.append(_table(["Now", "Change", "Evidence", "Accounts"],
                           [[_tag(g["after"]), _tag(g["delta"]), _code(_evidence(g["evidence"])),
                             _html_accounts(g["accounts"])] for g in finding["evidence"]]))
        parts.append(f'<details id="c-{h(finding["id"])}"{" open" if finding["failing"] else ""}><summary>'
                     f'<code>{h(finding["id"])}</code> {h(finding["title"])} <span class="m">{h(counts)}</span>'
                     f"</summary>{''.join(body)}</details>")
    return "".join(parts) or "<p>No posture was assessed.</p>"


def _html_access(report):
    access = report["access"]
    if not access["matrix"]:
        return "<p>No account assignment.</p>"
    cells = {(c["account_id"], c["permission_set"]): c["principals"] for c in access["matrix"]}
    rows = []
    for account in _matrix_accounts(report):
        row = [h(_account_label({"account_name": account["name"], "account_id": account["id"]}))]
        for permission_set in access["permission_sets"]:
            principals = cells.get((account["id"], permission_set))
            row.append("".join(_principal_html(p) for p in principals) if principals else "&ndash;")
        rows.append(row)
    parts = [_table(["Account"] + [h(p) for p in access["permission_sets"]], rows, table_id="matrix",
                    classes="fa fp")]
    parts.append("<h3>Users</h3>")
    parts.append(_table(["User", "Groups", "Direct assignments", "Accounts reached"],
                        [[f'<span class="pr">{h(u["user_name"])}</span>',
                          "".join(f'<div class="pr">{h(g)}</div>' for g in u["groups"]) or "-",
                          "<br>".join(f"{h(_account_label(a))}: {h(a['permission_set'])}" for a in _direct(u)) or "-",
                          h(u["accounts"])] for u in access["users"]], "No user reaches an account.",
                        table_id="users", classes="fp"))
    parts.append("<h3>Groups</h3>")
    parts.append(_table(["Group", "Members", "Assignments"],
                        [[f'<span class="pr">{h(g["name"])}</span>',
                          "".join(f'<span class="pr">{h(m)}</span> ' for m in g["members"]) or "(no members)",
                          h(g["assignments"])] for g in access["groups"]], "No group.", table_id="groups",
                        classes="fp"))
    return "".join(parts)


def _html_drift(report):
    drift = report["drift"]
    if drift is None:
        return "<p>Drift was not read in this run.</p>"
    if not drift:
        return "<p>No access outside the model.</p>"
    counts = report["summary"]["drift"]
    parts = ["<ul>" + "".join(f"<li>{h(DRIFT_LABELS[kind])}: <b>{counts[kind]}</b></li>"
                              for kind in DRIFT_KINDS if counts[kind]) + "</ul>"]
    parts.append(_table(["Account", "Kind", "Subject", "Detail", "Remedy"],
                        [[h(_account_label(d) or "-"), h(DRIFT_LABELS.get(d["kind"], d["kind"])),
                          f'<span class="pr">{h(d["subject"])}</span>', h(d.get("detail") or "-"),
                          h(d.get("remedy") or "-")] for d in drift], table_id="drift-table", classes="fa fp"))
    return "".join(parts)


def _html_root(report):
    rows = report["root_credentials"]
    if rows is None:
        return "<p>Member-account root credentials were not read in this run.</p>"
    counts = report["summary"]["root_credentials"]
    intro = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    return (f"<p>{h(intro)}</p>" if intro else "") + _table(
        ["Account", "Status", "Password", "Access keys", "Signing certificates", "MFA devices", "Deleted", "Reason"],
        [[h(_account_label(r)), _tag("pass" if r.get("status") in ("deleted", "none") else
                                     "unknown" if r.get("status") == "unknown" else "fail", r.get("status"))]
         + [h(_root_change(r, k)) for k in ROOT_CREDENTIAL_KINDS] + [h(", ".join(r["deleted"]) or "-"),
                                                                     h(r.get("reason") or "-")] for r in rows],
        "No member account's root credentials were audited.", table_id="root", classes="fa")


def _html_password_policy(report):
    rows = report["password_policy"]
    if rows is None:
        return "<p>Password policies were not read in this run.</p>"
    if not rows:
        return "<p>No account's password policy was read.</p>"
    counts = report["summary"]["password_policy"]
    return (f"<p>Compliant in {counts['compliant']} of {h(_plural(len(rows), 'account'))}.</p>" + _table(
        ["Compliant", "Policy", "Accounts"],
        [[_tag("pass", "yes") if compliant else _tag("fail", "no"), h(_policy_text(policy)), _html_accounts(accounts)]
         for compliant, policy, accounts in _policy_groups(rows)]))


def _html_roles(report):
    parts = ["<h3>Automation roles (OIDC)</h3>", _table(
        ["Account", "Role", "Provider", "Subjects", "Ownership"],
        [[h(_account_label(r)), _code(_role_name(r)), _code(_tail(r.get("provider_arn"), "oidc-provider/")),
          "<br>".join(h(s) for s in r.get("subjects") or []) or "-", h(r.get("ownership") or "-")]
         for r in report["automation_roles"]], table_id="automation", classes="fa")]
    parts += ["<h3>Break-glass roles</h3>", _table(
        ["Account", "Role", "Trusted principals", "Max session (s)", "Alert rule", "Ownership"],
        [[h(_account_label(r)), _code(_role_name(r)),
          "<br>".join(h(p) for p in r.get("trusted_principals") or []) or "-",
          h(r.get("max_session_duration") or "-"), h(r.get("alert_rule") or "-"), h(r.get("ownership") or "-")]
         for r in report["break_glass_roles"]], table_id="break-glass", classes="fa")]
    parts += ["<h3>OIDC providers</h3>", _table(
        ["Account", "URL", "Client IDs", "Ownership"],
        [[h(_account_label(p)), _code(p.get("url") or _tail(p.get("arn"), "oidc-provider/")),
          ", ".join(_code(c) for c in p["client_ids"]) or "-", h(p.get("ownership") or "-")]
         for p in report["oidc_providers"]], table_id="providers", classes="fa")]
    parts.append('<p class="m">Role and provider ARNs are in report.json (<code>arn:aws:iam::ACCOUNT:role/NAME</code>).'
                 "</p>")
    return "".join(parts)


def _html_adopted(report):
    adopted = report["adopted"]
    if not any(adopted.values()):
        return "<p>Nothing adopted: the collection created all it manages.</p>"
    return ("<ul>" + f"<li>Permission sets: {h(', '.join(adopted['permission_sets']) or '-')}</li>"
            f"<li>Groups: {h(', '.join(adopted['groups']) or '-')}</li></ul>"
            + _table(["Account", "Role"], [[h(_account_label(r)), h(r["role_name"])] for r in adopted["roles"]],
                     "No role adopted.", table_id="adopted-roles", classes="fa"))


def _html_retired(report):
    return _table(["Account", "User", "State", "Backup file", "Disabled at", "Quarantine ends", "Note"],
                  [[h(_account_label(r)), h(r.get("user_name")),
                    _tag("fail" if r.get("state") == "refused" else "pass" if r.get("state") in ("deleted", "absent")
                         else "not_applicable", r.get("state")),
                    _code(r.get("backup_file")), h(r.get("disabled_at") or "-"), h(r.get("quarantine_ends") or "-"),
                    h(r.get("message"))] for r in report["retired_users"]],
                  "None recorded in this run.", table_id="retired", classes="fa")


def _html_sign_in(report):
    parts = [f"<p>Access portal: {_link(report['identity_center']['portal_url'])}</p>"]
    for profile in report["cli_profiles"]:
        parts.append(f"<h3>{h(profile.get('user_name'))}</h3>")
        if profile.get("path"):
            parts.append(f"<p>File: <code>{h(profile['path'])}</code></p>")
        names, total, snippet, line_count = _cli_view(profile)
        if names:
            more = f" and {total - len(names)} more (see the file)" if total > len(names) else ""
            parts.append("<p>Profiles: " + ", ".join(f"<code>{h(n)}</code>" for n in names) + h(more) + "</p>")
        if snippet:
            parts.append(f"<pre><code>{h(snippet)}</code></pre>")
        elif line_count:
            parts.append(f"<p>The configuration ({line_count} lines) is in the file.</p>")
        if profile.get("login_command"):
            parts.append(f"<p>Sign in: <code>{h(profile['login_command'])}</code></p>")
    if not report["cli_profiles"]:
        parts.append("<p>No CLI profile snippets recorded in this run.</p>")
    return "".join(parts)


_SECTIONS = (("still-failing", "Still failing"), ("posture", "Posture"), ("drift", "Drift"), ("access", "Access"),
             ("evidence", "Checks and evidence"), ("root-credentials", "Root credentials"),
             ("password-policy", "Password policy"), ("roles", "Roles"), ("adopted", "Adopted"),
             ("legacy-users", "Legacy IAM users"), ("closed", "Closed accounts"), ("sign-in", "Sign-in"))


def to_html(report):
    summary = report["summary"]
    center = report["identity_center"]
    organization = report["organization"]
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f'<meta http-equiv="Content-Security-Policy" content="{h(CSP)}">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<title>IAM Identity Center migration report</title>", f"<style>{_CSS}</style></head><body>",
             "<h1>IAM Identity Center migration report</h1>",
             f'<p class="meta">Generated {h(report["generated_at"] or "-")} &middot; organization '
             f'{h(organization["id"] or "-")} &middot; management account '
             f'{h(organization["management_account_id"] or "-")} &middot; access portal {_link(center["portal_url"])}'
             "</p>",
             "<nav>" + "".join(f'<a href="#{anchor}">{h(label)}</a>' for anchor, label in _SECTIONS) + "</nav>",
             '<div class="cards">' + "".join(f'<div class="card {tone}"><b>{h(value)}</b>{h(label)}</div>'
                                             for label, value, tone in _glance(report)) + "</div>",
             '<div id="flt" hidden><label>Account <input id="fa" type="search" placeholder="name or ID"></label> '
             '<label>Principal <input id="fp" type="search" placeholder="user or group"></label> '
             '<span class="m">filters the tables: the account in their first column; principals in access and drift'
             "</span></div>"]
    still = summary["still_failing"]
    parts.append(_section("still-failing", "Still failing", _html_still_failing(report),
                          note=f"{_plural(still['findings'], 'finding')} in {_plural(still['accounts'], 'account')}, "
                               f"{_plural(still['checks'], 'check')}"))
    parts.append(_section("posture", "Posture: accounts \u00d7 checks",
                          _html_grid(report) + _html_checks_legend(report),
                          note=f"{_plural(len(report['posture']['accounts']), 'account')}"))
    drift = report["drift"]
    parts.append(_section("drift", "Access outside the model (drift)", _html_drift(report),
                          note="not read" if drift is None else _plural(len(drift), "item")))
    parts.append(_section("access", "Access: accounts \u00d7 permission sets", _html_access(report),
                          note=f"{summary['assignments']} assignments, {summary['users_with_access']} users"))
    parts.append(_section("evidence", "Checks and evidence", _html_evidence(report), opened=False,
                          note="what each status rests on, grouped"))
    root = report["root_credentials"]
    parts.append(_section("root-credentials", "Member-account root credentials", _html_root(report), opened=False,
                          note="not read" if root is None else _plural(len(root), "account")))
    policies = report["password_policy"]
    parts.append(_section("password-policy", "Password policy", _html_password_policy(report), opened=False,
                          note="not read" if policies is None else
                          f"{summary['password_policy']['not_compliant']} not compliant"))
    parts.append(_section("roles", "Roles and OIDC providers", _html_roles(report), opened=False,
                          note=f"{summary['automation_roles']} automation, {summary['break_glass_roles']} break-glass, "
                               f"{summary['oidc_providers']} providers"))
    parts.append(_section("adopted", "Adopted resources", _html_adopted(report), opened=False,
                          note=f"{summary['adopted']} adopted by name"))
    parts.append(_section("legacy-users", "Legacy IAM users", _html_retired(report), opened=False,
                          note=_plural(len(report["retired_users"]), "user")))
    parts.append(_section("closed", "Closed accounts", _table(
        ["Account", "Status"], [[h(_account_label(c)), h(c.get("status") or "-")] for c in report["closed_accounts"]],
        table_id="closed-accounts", classes="fa"), opened=False, note=f"{len(report['closed_accounts'])}"))
    parts.append(_section("sign-in", "Sign-in", _html_sign_in(report), opened=False))
    parts.append(f"<script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------------------------------------
# Files

RENDERERS = {"json": to_json, "markdown": to_markdown, "html": to_html}


def render(report):
    return {kind: RENDERERS[kind](report) for kind, dummy in FILES}


def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _mode(path):
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return None


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def carry_forward(retired, earlier, exists=os.path.exists):
    """Keep the backup file and disabled time of a user whose state did not change since the last report.

    The retirement reports a backup file only in the run that made it ("already disabled" has none), yet the
    backup is what a rollback restores from: the report keeps naming it while the file is still there.
    """
    known = {}
    for item in earlier or []:
        if isinstance(item, dict):
            known[(_text(item.get("account_id")), _text(item.get("user_name")))] = item
    kept = []
    for item in retired or []:
        before = known.get((_text(item.get("account_id")), _text(item.get("user_name"))))
        if isinstance(item, dict) and before and before.get("state") == item.get("state"):
            item = dict(item)
            if not item.get("backup_file") and before.get("backup_file") and exists(before["backup_file"]):
                item["backup_file"] = before["backup_file"]
            if not item.get("disabled_at") and before.get("disabled_at"):
                item["disabled_at"] = before["disabled_at"]
        kept.append(item)
    return kept


def plan(dest, data, mode=0o600, timestamp=None):
    """What to write: {kind: {path, before, after, write, chmod}} and the report.

    When the files there hold the same report apart from `generated_at`, that timestamp is kept
    and nothing is written; otherwise all three get a new timestamp.
    """
    paths = {kind: os.path.join(dest, name) for kind, name in FILES}
    current = {kind: _read(path) for kind, path in paths.items()}
    previous, earlier = None, {}
    if current["json"]:
        try:
            earlier = json.loads(current["json"])
            previous = earlier.get("generated_at")
        except (ValueError, AttributeError):
            earlier = {}
    data = dict(data, retired_users=carry_forward(data.get("retired_users"), earlier.get("retired_users")))
    report = build(dict(data, generated_at=previous))
    rendered = render(report)
    if previous is None or rendered != current:
        report = build(dict(data, generated_at=timestamp or now()))
        rendered = render(report)
    files = {kind: {"path": paths[kind], "before": current[kind], "after": rendered[kind],
                    "write": rendered[kind] != current[kind],
                    "chmod": rendered[kind] == current[kind] and _mode(paths[kind]) != mode}
             for kind in paths}
    return files, report


def write(dest, files, mode=0o600):
    """Write the files that changed, each atomically (a temporary file in dest, then rename)."""
    if not os.path.isdir(dest):
        os.makedirs(dest, 0o700)
    for entry in files.values():
        if entry["write"]:
            descriptor, temporary = tempfile.mkstemp(dir=dest, prefix=".report-", suffix=".tmp")
            try:
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(entry["after"].encode("utf-8"))
                    handle.flush()
                    os.fsync(handle.fileno())
                os.chmod(temporary, mode)
                os.replace(temporary, entry["path"])
            except BaseException:
                if os.path.exists(temporary):
                    os.unlink(temporary)
                raise
        elif entry["chmod"]:
            os.chmod(entry["path"], mode)
