# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The end-state report: who reaches which account with which permission set, the posture
before and after, and what was retired, rendered as JSON, Markdown and one HTML page.

`validate`, `build`, `to_json`, `to_markdown` and `to_html` are pure (the unit tests reach
them); `plan` and `write` read and write the three files.

Same input, same bytes: every list is sorted and nothing depends on the clock except
`generated_at`, which `plan` keeps from the files already written while their content is
otherwise the same. So a report written twice from the same state does not count as a change,
and `generated_at` says when the content last changed.
"""

import datetime
import html
import json
import os
import tempfile

REPORT_VERSION = 1
FILES = (("json", "report.json"), ("markdown", "report.md"), ("html", "report.html"))
STATUSES = ("pass", "fail", "unknown")
RETIREMENT_STATES = ("audited", "disabled", "absent", "refused")
# The per-check change from the "before" snapshot to now, in the order the report lists them.
DELTAS = ("regressed", "still_failing", "failing", "unknown", "fixed", "passing")
DELTA_LABELS = {
    "regressed": "regressed (passed before, fails now)",
    "still_failing": "still failing (failed before and now)",
    "failing": "failing (no before status)",
    "unknown": "unknown (not readable now)",
    "fixed": "fixed (failed before, passes now)",
    "passing": "passing",
}

# What every input list needs, by field name; values are checked where a set of values is known.
_REQUIRED = {
    "assignments": ("account_id", "permission_set", "principal_type", "principal"),
    "posture_before": ("account_id", "checks"),
    "posture_after": ("account_id", "checks"),
    "retired_users": ("user_name", "state"),
    "automation_roles": ("role_arn",),
    "break_glass_roles": ("role_arn",),
    "cli_profiles": ("user_name",),
    "groups": ("display_name",),
}


def _text(value):
    return "" if value is None else str(value)


def validate(data):
    """Every problem of the report's input, each naming the field and the value."""
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
            if field == "retired_users" and item.get("state") not in (None, "") \
                    and item["state"] not in RETIREMENT_STATES:
                problems.append(f"{where}.state: must be one of {', '.join(RETIREMENT_STATES)}, got {item['state']!r}")
            if field == "assignments" and item.get("principal_type") not in (None, "", "USER", "GROUP"):
                problems.append(f"{where}.principal_type: must be USER or GROUP, got {item['principal_type']!r}")
            if field.startswith("posture_") and item.get("checks") not in (None, ""):
                problems.extend(_check_problems(where, item["checks"]))
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


def _account_key(account):
    return (_text(account.get("name")), _text(account.get("id")))


def _accounts(organization, assignments, posture):
    """Every account the report mentions: the organization's, then any other an input names."""
    accounts = {}
    for account in (organization or {}).get("accounts") or []:
        accounts[_text(account.get("id"))] = {"id": _text(account.get("id")), "name": _text(account.get("name")),
                                              "status": _text(account.get("status")),
                                              "ou_path": _text(account.get("ou_path"))}
    for item in list(assignments) + list(posture):
        account_id = _text(item.get("account_id"))
        if account_id not in accounts:
            accounts[account_id] = {"id": account_id, "name": _text(item.get("account_name")), "status": "",
                                    "ou_path": ""}
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
        users.append({"user_name": user, "access": access})
    group_list = [{"name": name, "members": members[name]} for name in sorted(members)]
    return matrix, users, group_list


def delta(before, after):
    """The change of one check from its before status to its after status (None: not there)."""
    if after not in ("pass", "fail"):
        return "unknown"
    if after == "pass":
        return "fixed" if before == "fail" else "passing"
    if before == "pass":
        return "regressed"
    return "still_failing" if before == "fail" else "failing"


def _posture(before, after, accounts):
    """Per account and check: before and after status, the delta, and the after evidence."""
    by_account = {}
    for side, results in (("before", before or []), ("after", after or [])):
        for result in results:
            account_id = _text(result["account_id"])
            slot = by_account.setdefault(account_id, {"names": [], "before": None, "after": None})
            slot[side] = {_text(c["id"]): c for c in result["checks"]}
            slot["names"].append(_text(result.get("account_name")))
    listed = []
    totals = dict.fromkeys(DELTAS, 0)
    for account_id, slot in by_account.items():
        name = _name(accounts, account_id, next((n for n in slot["names"] if n), ""))
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
                           "evidence": new.get("evidence", old.get("evidence"))})
        checks.sort(key=lambda c: (DELTAS.index(c["delta"]), c["id"]))
        summary = dict.fromkeys(DELTAS, 0)
        for check in checks:
            summary[check["delta"]] += 1
        listed.append({"account_id": account_id, "account_name": name,
                       "before_available": slot["before"] is not None, "after_available": slot["after"] is not None,
                       "checks": checks, "summary": summary})
    listed.sort(key=lambda a: (a["account_name"], a["account_id"]))
    return listed, totals


# What the report keeps of each input: the end state, never a run's own narrative (changed, actions) or
# anything else a phase may add, so a re-run with nothing to do gives the same report.
FIELDS = {
    "retired_users": ("account_id", "account_name", "user_name", "state", "backup_file", "disabled_at", "message"),
    "automation_roles": ("account_id", "account_name", "role_name", "role_arn", "provider_arn", "subjects"),
    "break_glass_roles": ("account_id", "account_name", "role_arn", "trusted_principals", "max_session_duration",
                          "alert_rule"),
    "cli_profiles": ("user_name", "path", "profiles", "content", "login_command"),
}


def _snippet(profile):
    """(profile names, config text) of a CLI snippet; `profiles` given as text is the config itself."""
    profiles, content = profile.get("profiles"), profile.get("content")
    if isinstance(profiles, str):
        return [], content or profiles
    names = [_text(p.get("name") if isinstance(p, dict) else p) for p in profiles or []]
    return names, content or ""


def _sorted(field, items, *keys):
    kept = [{key: item.get(key) for key in FIELDS[field]} for item in items or []]
    return sorted(kept, key=lambda i: tuple(_text(i.get(k)) for k in keys))


def _retired(items, accounts):
    """Legacy users: the message only for a refusal (its reason); otherwise it narrates the run ("already disabled")."""
    retired = []
    for item in _sorted("retired_users", items):
        item["account_name"] = _name(accounts, item.get("account_id"), item.get("account_name"))
        if item.get("state") != "refused":
            item["message"] = None
        retired.append(item)
    return sorted(retired, key=lambda i: (_text(i["account_name"]), _text(i["account_id"]), _text(i["user_name"])))


def build(data):
    """The report (a dict) from the gathered data; call validate(data) first.

    data keys: organization (organization_info's result), instance (instance_info's instance), assignments
    (account_assignments_info's), groups (identitystore_info's), posture_before (a list, or None when there is no
    before snapshot), posture_before_source, posture_after, retired_users, automation_roles, break_glass_roles,
    cli_profiles, generated_at.
    """
    organization = data.get("organization") or {}
    instance = data.get("instance") or {}
    assignments = data.get("assignments") or []
    before = data.get("posture_before")
    after = data.get("posture_after") or []
    accounts = _accounts(organization, assignments, list(before or []) + list(after))
    matrix, users, groups = _access(assignments, data.get("groups") or [], accounts)
    posture, totals = _posture(before, after, accounts)
    retired = _retired(data.get("retired_users"), accounts)
    automation = _sorted("automation_roles", data.get("automation_roles"), "account_name", "account_id", "role_arn")
    break_glass = _sorted("break_glass_roles", data.get("break_glass_roles"), "account_name", "account_id", "role_arn")
    cli = _sorted("cli_profiles", data.get("cli_profiles"), "user_name", "path")
    permission_sets = sorted({c["permission_set"] for c in matrix})
    still_failing = [{"account_id": a["account_id"], "account_name": a["account_name"], "id": c["id"],
                      "title": c["title"], "delta": c["delta"], "prowler": c["prowler"],
                      "security_hub": c["security_hub"]}
                     for a in posture for c in a["checks"] if c["delta"] in ("regressed", "still_failing", "failing")]
    # The worst first: what regressed, then what still fails, then what fails with no before status.
    still_failing.sort(key=lambda c: (DELTAS.index(c["delta"]), c["account_name"], c["account_id"], c["id"]))
    org_info = organization.get("organization") or {}
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
                    "accounts": posture, "summary": totals, "attention": still_failing},
        "retired_users": retired,
        "automation_roles": automation,
        "break_glass_roles": break_glass,
        "cli_profiles": cli,
        "summary": {
            "accounts": len(accounts),
            "permission_sets": len(permission_sets),
            "assignments": sum(len(c["principals"]) for c in matrix),
            "users_with_access": len(users),
            "before_snapshot": before is not None,
            "posture": totals,
            "retired_users": {state: sum(1 for r in retired if r.get("state") == state)
                              for state in RETIREMENT_STATES},
            "automation_roles": len(automation),
            "break_glass_roles": len(break_glass),
        },
    }


def to_json(report):
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


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


def _account_label(item):
    name, account_id = _text(item.get("account_name")), _text(item.get("account_id"))
    return f"{name} ({account_id})" if name else account_id


def _ids(check):
    return _text(check.get("prowler")) or "-", _text(check.get("security_hub")) or "-"


def _principal_md(entry):
    if entry.get("members"):
        return f"{md(entry['principal'])} ({', '.join(md(m) for m in entry['members'])})"
    return md(entry["principal"])


def to_markdown(report):
    summary = report["summary"]
    posture = report["posture"]
    center = report["identity_center"]
    lines = ["# IAM Identity Center migration report", ""]
    lines.append(f"Generated {md(report['generated_at'] or '-')} for organization {md(report['organization']['id'] or '-')}"
                 f" (management account {md(report['organization']['management_account_id'] or '-')}).")
    lines += ["", "## At a glance", ""]
    totals = summary["posture"]
    lines.append(f"- Access: {summary['assignments']} assignment(s) of {summary['permission_sets']} permission set(s) "
                 f"in {summary['accounts']} account(s); {summary['users_with_access']} user(s) can sign in.")
    if posture["before_available"]:
        lines.append(f"- Posture: {totals['fixed']} fixed, {totals['regressed']} regressed, "
                     f"{totals['still_failing']} still failing, {totals['failing']} failing without a before status, "
                     f"{totals['unknown']} unknown, {totals['passing']} passing.")
    else:
        lines.append(f"- Posture: no before snapshot; now {totals['failing']} failing, {totals['unknown']} unknown, "
                     f"{totals['passing']} passing.")
    retired = summary["retired_users"]
    lines.append(f"- Legacy IAM users: {retired['disabled']} disabled, {retired['absent']} absent (deleted), "
                 f"{retired['audited']} audited only, {retired['refused']} refused.")
    lines.append(f"- Automation roles: {summary['automation_roles']}; break-glass roles: {summary['break_glass_roles']}.")
    lines.append(f"- Access portal: {mdlink(center['portal_url'])}")
    refused = [r for r in report["retired_users"] if r.get("state") == "refused"]
    if posture["attention"] or refused:
        lines += ["", "What still fails:", ""]
        lines.extend(f"- {md(_account_label(r))}: retirement of {md(r.get('user_name'))} refused: {md(r.get('message'))}"
                     for r in refused)
        lines.extend(f"- {md(_account_label(c))}: {md(c['title'] or c['id'])} ({md(c['delta'].replace('_', ' '))}; "
                     f"Prowler {mdcode(_ids(c)[0])}, Security Hub {mdcode(_ids(c)[1])})" for c in posture["attention"])

    lines += ["", "## Access: accounts × permission sets", ""]
    access = report["access"]
    if access["matrix"]:
        cells = {(c["account_id"], c["permission_set"]): c["principals"] for c in access["matrix"]}
        rows = []
        for account in report["accounts"]:
            row = [md(_account_label({"account_name": account["name"], "account_id": account["id"]}))]
            for permission_set in access["permission_sets"]:
                principals = cells.get((account["id"], permission_set), [])
                row.append("<br>".join(_principal_md(p) for p in principals) or "-")
            rows.append(row)
        lines += _md_table(["Account"] + [md(p) for p in access["permission_sets"]], rows)
        lines += ["", "### Who reaches what", ""]
        lines += _md_table(["User", "Account", "Permission set", "Via"],
                           [[md(u["user_name"]), md(_account_label(a)), md(a["permission_set"]), md(a["via"])]
                            for u in access["users"] for a in u["access"]])
    else:
        lines.append("No account assignment.")

    lines += ["", "## Posture before and after", ""]
    if not posture["before_available"]:
        lines += ["No before snapshot: every check shows its status now only.", ""]
    elif posture["before_source"]:
        lines += [f"Before: {mdcode(posture['before_source'])}.", ""]
    for account in posture["accounts"]:
        lines += [f"### {md(_account_label(account))}", ""]
        if not account["before_available"]:
            lines += ["No before status for this account.", ""]
        if not account["after_available"]:
            lines += ["No after status for this account (not assessed in this run).", ""]
        lines += _md_table(["Check", "Prowler", "Security Hub", "Before", "After", "Change"],
                           [[md(c["title"] or c["id"]), mdcode(_ids(c)[0]), mdcode(_ids(c)[1]), md(c["before"] or "-"),
                             md(c["after"] or "-"), md(c["delta"].replace("_", " "))] for c in account["checks"]])
        lines.append("")
    if not posture["accounts"]:
        lines += ["No posture was assessed.", ""]

    lines += ["## Legacy IAM users", ""]
    lines += (_md_table(["Account", "User", "State", "Backup file", "Disabled at", "Note"],
                        [[md(_account_label(r)), md(r.get("user_name")), md(r.get("state")), mdcode(r.get("backup_file")),
                          md(r.get("disabled_at") or "-"), md(r.get("message") or "")] for r in report["retired_users"]])
              if report["retired_users"] else ["None recorded in this run."])
    lines += ["", "## Automation roles (OIDC)", ""]
    lines += (_md_table(["Account", "Role", "Provider", "Subjects"],
                        [[md(_account_label(r)), mdcode(r.get("role_arn")), mdcode(r.get("provider_arn")),
                          md(", ".join(_text(s) for s in r.get("subjects") or []) or "-")]
                         for r in report["automation_roles"]])
              if report["automation_roles"] else ["None recorded in this run."])
    lines += ["", "## Break-glass roles", ""]
    lines += (_md_table(["Account", "Role", "Trusted principals", "Max session (s)", "Alert rule"],
                        [[md(_account_label(r)), mdcode(r.get("role_arn")),
                          ", ".join(mdcode(p) for p in r.get("trusted_principals") or []) or "-",
                          md(r.get("max_session_duration") or "-"), md(r.get("alert_rule") or "-")]
                         for r in report["break_glass_roles"]])
              if report["break_glass_roles"] else ["None recorded in this run."])
    lines += ["", "## Sign-in", "", f"Access portal: {mdlink(center['portal_url'])}", ""]
    for profile in report["cli_profiles"]:
        lines.append(f"### {md(profile.get('user_name'))}")
        lines.append("")
        if profile.get("path"):
            lines += [f"File: {mdcode(profile['path'])}", ""]
        names, snippet = _snippet(profile)
        if names:
            lines += ["Profiles: " + ", ".join(mdcode(n) for n in names), ""]
        if snippet:
            # Inside a fenced block nothing is markup; a longer fence than any backtick run keeps it closed.
            fence = "`" * max(3, _longest_backticks(snippet) + 1)
            lines += [fence + "ini", snippet.rstrip("\n"), fence, ""]
        if profile.get("login_command"):
            lines += [f"Sign in: {mdcode(profile['login_command'])}", ""]
    if not report["cli_profiles"]:
        lines += ["No CLI profile snippets recorded in this run.", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _longest_backticks(text):
    longest = current = 0
    for char in text:
        current = current + 1 if char == "`" else 0
        longest = max(longest, current)
    return longest


# ---------------------------------------------------------------------------------------------
# HTML: one page, inline CSS, no script, no external asset; every value escaped.

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:76rem;color:#1f2328;
padding:0 1rem;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2.2rem}
.meta{color:#59636e;margin-top:0}
.cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}
.card{border:1px solid #d0d7de;border-radius:8px;padding:.6rem 1rem;min-width:8rem}
.card strong{display:block;font-size:1.6rem}
table{border-collapse:collapse;margin:.6rem 0 1.2rem;width:100%}
th,td{border:1px solid #d0d7de;padding:.35rem .55rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
td.empty{color:#8c959f;text-align:center}
.members{color:#59636e;font-size:.85em}
.tag{display:inline-block;border-radius:1em;padding:0 .6em;font-size:.85em;white-space:nowrap}
.pass,.fixed,.passing{background:#dafbe1;color:#116329}
.fail,.regressed,.still_failing,.failing{background:#ffebe9;color:#a40e26}
.unknown,.none{background:#fff8c5;color:#7d4e00}
tr.regressed td{background:#fff5f5}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.7rem;overflow:auto}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
details summary{cursor:pointer;color:#59636e}
"""


def h(value):
    return html.escape(_text(value), quote=True)


def _tag(status, label=None):
    css = status if status in STATUSES + DELTAS else "none"
    return f'<span class="tag {css}">{h(label or (status or "-").replace("_", " "))}</span>'


def _table(header, rows, empty="None recorded in this run."):
    if not rows:
        return f"<p>{h(empty)}</p>"
    head = "".join(f"<th>{cell}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _link(url):
    """A link only for http(s) URLs; anything else (javascript:, data:) is shown as text."""
    text = _text(url)
    if text.lower().startswith(("https://", "http://")):
        return f'<a href="{h(text)}">{h(text)}</a>'
    return h(text) or "-"


def _principal_html(entry):
    members = ""
    if entry.get("type") == "GROUP":
        members = (f'<div class="members">{h(", ".join(entry.get("members") or []))}</div>'
                   if entry.get("members") else '<div class="members">(no members)</div>')
    return f"<div>{h(entry['principal'])}{members}</div>"


def to_html(report):
    summary = report["summary"]
    posture = report["posture"]
    totals = summary["posture"]
    center = report["identity_center"]
    access = report["access"]
    parts = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<title>IAM Identity Center migration report</title>", f"<style>{_CSS}</style></head><body>",
             "<h1>IAM Identity Center migration report</h1>",
             f'<p class="meta">Generated {h(report["generated_at"] or "-")} &middot; organization '
             f'{h(report["organization"]["id"] or "-")} &middot; management account '
             f'{h(report["organization"]["management_account_id"] or "-")}</p>',
             f"<p>Access portal: {_link(center['portal_url'])}</p>"]

    cards = [("assignments", summary["assignments"]), ("users with access", summary["users_with_access"]),
             ("fixed", totals["fixed"]), ("regressed", totals["regressed"]),
             ("still failing", totals["still_failing"] + totals["failing"]), ("unknown", totals["unknown"]),
             ("IAM users disabled", summary["retired_users"]["disabled"]),
             ("IAM users deleted", summary["retired_users"]["absent"]),
             ("IAM users refused", summary["retired_users"]["refused"])]
    parts.append('<h2 id="glance">At a glance</h2><div class="cards">'
                 + "".join(f'<div class="card"><strong>{h(value)}</strong>{h(label)}</div>' for label, value in cards) + "</div>")
    if not posture["before_available"]:
        parts.append("<p><strong>No before snapshot</strong>: the posture shows the status now only.</p>")
    refused = [r for r in report["retired_users"] if r.get("state") == "refused"]
    if posture["attention"] or refused:
        parts.append("<p>What still fails:</p><ul>" + "".join(
            f"<li>{h(_account_label(r))}: retirement of {h(r.get('user_name'))} {_tag('fail', 'refused')} "
            f"{h(r.get('message'))}</li>" for r in refused) + "".join(
            f"<li>{h(_account_label(c))}: {h(c['title'] or c['id'])} {_tag(c['delta'])} "
            f"<small>Prowler <code>{h(_ids(c)[0])}</code>, Security Hub <code>{h(_ids(c)[1])}</code></small></li>"
            for c in posture["attention"]) + "</ul>")
    else:
        parts.append("<p>No check fails.</p>" if posture["accounts"] else "<p>No posture was assessed.</p>")

    parts.append('<h2 id="access">Access: accounts &times; permission sets</h2>')
    if access["matrix"]:
        cells = {(c["account_id"], c["permission_set"]): c["principals"] for c in access["matrix"]}
        rows = []
        for account in report["accounts"]:
            row = [h(_account_label({"account_name": account["name"], "account_id": account["id"]}))]
            for permission_set in access["permission_sets"]:
                principals = cells.get((account["id"], permission_set))
                row.append("".join(_principal_html(p) for p in principals) if principals else "")
            rows.append(row)
        head = "".join(f"<th>{h(p)}</th>" for p in ["Account"] + access["permission_sets"])
        body = "".join("<tr>" + "".join(f"<td>{c}</td>" if c else '<td class="empty">&ndash;</td>' for c in row)
                       + "</tr>" for row in rows)
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        parts.append('<h3 id="users">Who reaches what</h3>')
        parts.append(_table(["User", "Account", "Permission set", "Via"],
                            [[h(u["user_name"]), h(_account_label(a)), h(a["permission_set"]), h(a["via"])]
                             for u in access["users"] for a in u["access"]], "No user reaches an account."))
    else:
        parts.append("<p>No account assignment.</p>")

    parts.append('<h2 id="posture">Posture before and after</h2>')
    if posture["before_available"] and posture["before_source"]:
        parts.append(f"<p>Before: <code>{h(posture['before_source'])}</code></p>")
    elif not posture["before_available"]:
        parts.append("<p>No before snapshot: the before column is empty.</p>")
    for account in posture["accounts"]:
        parts.append(f"<h3>{h(_account_label(account))}</h3>")
        if not account["before_available"]:
            parts.append("<p>No before status for this account.</p>")
        if not account["after_available"]:
            parts.append("<p>No after status for this account (not assessed in this run).</p>")
        rows = []
        for check in account["checks"]:
            evidence = json.dumps(check["evidence"], indent=1, sort_keys=True, ensure_ascii=False)
            rows.append(f'<tr class="{h(check["delta"])}"><td>{h(check["title"] or check["id"])}'
                        f'<details><summary>evidence</summary><pre>{h(evidence)}</pre></details></td>'
                        f"<td><code>{h(_ids(check)[0])}</code></td><td><code>{h(_ids(check)[1])}</code></td>"
                        f"<td>{_tag(check['before'])}</td><td>{_tag(check['after'])}</td>"
                        f"<td>{_tag(check['delta'])}</td></tr>")
        parts.append("<table><thead><tr><th>Check</th><th>Prowler</th><th>Security Hub</th><th>Before</th>"
                     "<th>After</th><th>Change</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")

    parts.append('<h2 id="retired">Legacy IAM users</h2>')
    parts.append(_table(["Account", "User", "State", "Backup file", "Disabled at", "Note"],
                        [[h(_account_label(r)), h(r.get("user_name")), h(r.get("state")),
                          f"<code>{h(r.get('backup_file'))}</code>" if r.get("backup_file") else "-",
                          h(r.get("disabled_at") or "-"), h(r.get("message"))] for r in report["retired_users"]]))
    parts.append('<h2 id="automation">Automation roles (OIDC)</h2>')
    parts.append(_table(["Account", "Role", "Provider", "Subjects"],
                        [[h(_account_label(r)), f"<code>{h(r.get('role_arn'))}</code>",
                          f"<code>{h(r.get('provider_arn') or '-')}</code>",
                          "<br>".join(h(s) for s in r.get("subjects") or []) or "-"]
                         for r in report["automation_roles"]]))
    parts.append('<h2 id="break-glass">Break-glass roles</h2>')
    parts.append(_table(["Account", "Role", "Trusted principals", "Max session (s)", "Alert rule"],
                        [[h(_account_label(r)), f"<code>{h(r.get('role_arn'))}</code>",
                          "<br>".join(h(p) for p in r.get("trusted_principals") or []) or "-",
                          h(r.get("max_session_duration") or "-"), h(r.get("alert_rule") or "-")]
                         for r in report["break_glass_roles"]]))
    parts.append('<h2 id="sign-in">Sign-in</h2>')
    parts.append(f"<p>Access portal: {_link(center['portal_url'])}</p>")
    for profile in report["cli_profiles"]:
        parts.append(f"<h3>{h(profile.get('user_name'))}</h3>")
        if profile.get("path"):
            parts.append(f"<p>File: <code>{h(profile['path'])}</code></p>")
        names, snippet = _snippet(profile)
        if names:
            parts.append("<p>Profiles: " + ", ".join(f"<code>{h(n)}</code>" for n in names) + "</p>")
        if snippet:
            parts.append(f"<pre><code>{h(snippet)}</code></pre>")
        if profile.get("login_command"):
            parts.append(f"<p>Sign in: <code>{h(profile['login_command'])}</code></p>")
    if not report["cli_profiles"]:
        parts.append("<p>No CLI profile snippets recorded in this run.</p>")
    parts.append("</body></html>")
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
