# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Drift: access the access model does not describe, each line with what removes it. Pure (unit tests reach it).

Without purge (the safe default) the collection adds what the model wants and removes nothing; drift is what an
operator must see before turning purge on, and what an auditor must see at all.
"""

import json

KINDS = ("assignment_outside_model", "unmanaged_permission_set_assignment", "group_member_outside_model",
         "iam_user_outside_model", "role_trusts_external_principal")


def _line(kind, account_id, account_name, subject, detail, remedy):
    return {"kind": kind, "account_id": account_id or "", "account_name": account_name or "", "subject": subject,
            "detail": detail, "remedy": remedy}


def assignment_drift(assignments, desired, model_sets):
    """Assignments the model does not describe.

    assignments: [{account_id, account_name, permission_set, permission_set_arn, principal_type, principal_id,
    principal}] (every assignment in Identity Center); desired: {(account_id, permission_set_arn, principal_type,
    principal_id)} the model resolves to; model_sets: {permission set ARN} of the model's permission sets.
    """
    lines = []
    for item in assignments:
        key = (item["account_id"], item["permission_set_arn"], item["principal_type"], item["principal_id"])
        subject = f"{item['principal']} -> {item['permission_set']}"
        if item["permission_set_arn"] not in model_sets:
            lines.append(_line(
                "unmanaged_permission_set_assignment", item["account_id"], item["account_name"], subject,
                f"{item['principal']} holds {item['permission_set']}, a permission set the access model does not "
                "declare", f"add {item['permission_set']} to identity_center.permission_sets and this assignment to "
                "identity_center.assignments to manage it, or remove the assignment in IAM Identity Center "
                "(purge never touches permission sets outside the model)"))
        elif key not in desired:
            lines.append(_line(
                "assignment_outside_model", item["account_id"], item["account_name"], subject,
                f"{item['principal']} holds {item['permission_set']} in this account, which no entry of "
                "identity_center.assignments gives", "identity_center_purge_assignments: true removes it on the next "
                "run; or add it to identity_center.assignments to keep it"))
    return lines


def member_drift(groups, model_groups):
    """Members of the model's groups that the model does not list.

    groups: [{display_name, members: [user names]}] as in Identity Center; model_groups: {name: [member names]}
    for the groups the model declares with a members list.
    """
    lines = []
    for group in groups:
        wanted = model_groups.get(group["display_name"])
        if wanted is None:
            continue
        for member in sorted(set(group.get("members") or []) - set(wanted)):
            lines.append(_line(
                "group_member_outside_model", "", "", f"{member} in group {group['display_name']}",
                f"{member} is a member of {group['display_name']}, which the access model lists without them",
                "purge_members: true on the group (or identity_center_purge_members) removes them; or add them to "
                "the group's members"))
    return lines


def iam_user_drift(account_id, account_name, user_names, legacy_names, automation_names=()):
    """IAM users of an account that are neither legacy users being retired nor known automation."""
    known = set(legacy_names) | set(automation_names)
    return [_line("iam_user_outside_model", account_id, account_name, f"IAM user {name}",
                  f"IAM user {name} has long-lived credentials the migration does not account for",
                  "add it to legacy_iam_users to retire it (with an automation role to replace what uses its keys, if "
                  "a pipeline does)") for name in sorted(user_names) if name not in known]


def _principals(document):
    """Every (kind, value) a trust policy's Allow statements name."""
    if isinstance(document, str):
        document = json.loads(document)
    statements = (document or {}).get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    found = []
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        if principal == "*":
            found.append(("AWS", "*"))
            continue
        for kind, values in (principal or {}).items():
            for value in values if isinstance(values, list) else [values]:
                found.append((kind, value))
    return found


def external_principals(document, organization_account_ids, known_principals=(), known_providers=()):
    """The principals of a trust policy outside the organization and the model: AWS principals (accounts, roles,
    users, `*`) of another account, and federated providers the model does not declare. Service principals and
    the organization's own accounts are not external."""
    external = []
    for kind, value in _principals(document):
        if kind == "Service":
            continue
        if kind == "Federated":
            if ":saml-provider/AWSSSO_" in value or value in known_providers:
                continue  # Identity Center's own provider, or one of the model's OIDC providers
            external.append(f"federated {value}")
            continue
        if kind == "AWS":
            if value in known_principals:
                continue
            account = value if value.isdigit() else (value.split(":")[4] if value.count(":") >= 5 else "*")
            if account not in organization_account_ids:
                external.append(f"AWS {value}")
    return external


def role_drift(account_id, account_name, roles, organization_account_ids, model_role_names=(), known_principals=(),
               known_providers=()):
    """Roles that trust a principal outside the organization that the model does not list.

    roles: [{name, path, trust_policy}]; roles on AWS's reserved paths and the model's own roles are skipped.
    """
    lines = []
    for role in roles:
        reserved_path = (role.get("path") or "/").startswith(("/aws-service-role/", "/aws-reserved/"))
        if role["name"] in model_role_names or reserved_path:
            continue
        external = external_principals(role["trust_policy"], organization_account_ids, known_principals,
                                       known_providers)
        if external:
            lines.append(_line(
                "role_trusts_external_principal", account_id, account_name, f"role {role['name']}",
                f"role {role['name']} trusts {', '.join(external)}, outside the organization and the access model",
                "review the trust; a CI/CD role belongs in automation_roles, an emergency role in break_glass"))
    return lines


def sort_lines(lines):
    return sorted(lines, key=lambda line: (KINDS.index(line["kind"]), line["account_name"], line["account_id"],
                                           line["subject"]))
