# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The access model: one YAML document of the desired state, validated as a whole.

`model_problems` is pure: schema, values and cross-references within the document. Names
that may live outside the document (members fed by an external identity provider) are
returned by `external_members` for the caller to look up in the identity store.
"""

from ansible_collections.ssoshift.identity_center.plugins.module_utils.assignments import is_arn
from ansible_collections.ssoshift.identity_center.plugins.module_utils.assignments import entry_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.automation import automation_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.automation import break_glass_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import CONTACT_FIELDS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import CONTACT_TYPES
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import IAM_NAME_HINT
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import IAM_USER_NAME
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import USER_ATTRIBUTES
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import _quote
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import duplicates
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import unknown_keys
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import validate_group
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import validate_contact
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import validate_permission_set
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import validate_user

USER_KEYS = {"user_name"} | set(USER_ATTRIBUTES)
GROUP_KEYS = {"name", "description", "members", "purge_members"}
PERMISSION_SET_KEYS = {"name", "description", "session_duration", "relay_state", "managed_policies",
                       "customer_managed_policies", "inline_policy", "permissions_boundary", "tags"}
SECTION_KEYS = {"users", "groups", "permission_sets", "assignments"}


def _entries(section, name, problems):
    if section is None:
        return []
    if not isinstance(section, list):
        problems.append(f"identity_center.{name}: must be a list, got {type(section).__name__}")
        return []
    entries = []
    for index, entry in enumerate(section):
        if isinstance(entry, dict):
            entries.append((index, entry))
        else:
            problems.append(f"identity_center.{name}[{index}]: must be a mapping, got '{entry}'")
    return entries


def _label(section, index, entry, key):
    value = entry.get(key)
    return f"identity_center.{section}[{index}]" + (f" ({value})" if isinstance(value, str) else "")


def model_problems(identity_center, manage_directory=True, automation_roles=None, break_glass=None,
                   member_role_name=None):
    """Every problem of the users, groups and permission sets of the model, in document order, then
    those of the `automation_roles` and `break_glass` sections (module_utils/automation.py).

    With manage_directory false (an external identity provider owns the directory) users need no
    attributes: they are only looked up. member_role_name: the role the run assumes in member
    accounts, which no section may manage.
    """
    return (_identity_center_problems(identity_center, manage_directory)
            + automation_problems(automation_roles, member_role_name)
            + break_glass_problems(break_glass, member_role_name, automation_roles))


def _identity_center_problems(identity_center, manage_directory):
    problems = []
    if identity_center is None:
        return problems
    if not isinstance(identity_center, dict):
        return [f"identity_center: must be a mapping, got {type(identity_center).__name__}"]
    problems.extend(unknown_keys(identity_center, SECTION_KEYS, "identity_center"))

    users = _entries(identity_center.get("users"), "users", problems)
    for index, user in users:
        where = _label("users", index, user, "user_name")
        problems.extend(unknown_keys(user, USER_KEYS, where))
        problems.extend(validate_user(user, where))
        for required in ("given_name", "family_name", "email") if manage_directory else ():
            if not user.get(required):
                problems.append(f"{where}.{required}: required to create the user, got nothing")
    for name in duplicates([u.get("user_name") for dummy, u in users]):
        problems.append(f"identity_center.users: user_name '{name}' is listed more than once")

    groups = _entries(identity_center.get("groups"), "groups", problems)
    for index, group in groups:
        where = _label("groups", index, group, "name")
        problems.extend(unknown_keys(group, GROUP_KEYS, where))
        problems.extend(validate_group(group, where))
        for name in duplicates(group.get("members") or []):
            problems.append(f"{where}.members: '{name}' is listed more than once")
    for name in duplicates([g.get("name") for dummy, g in groups]):
        problems.append(f"identity_center.groups: name '{name}' is listed more than once")

    permission_sets = _entries(identity_center.get("permission_sets"), "permission_sets", problems)
    for index, permission_set in permission_sets:
        where = _label("permission_sets", index, permission_set, "name")
        problems.extend(unknown_keys(permission_set, PERMISSION_SET_KEYS, where))
        problems.extend(validate_permission_set(permission_set, where))
    for name in duplicates([p.get("name") for dummy, p in permission_sets]):
        problems.append(f"identity_center.permission_sets: name '{name}' is listed more than once")

    assignments = identity_center.get("assignments")
    if assignments is not None:
        if not isinstance(assignments, list):
            problems.append(f"identity_center.assignments: must be a list, got {type(assignments).__name__}")
        else:
            problems.extend("identity_center." + p for p in entry_problems(assignments))
    return problems


def contact_problems(contacts):
    """Problems of the model's alternate_contacts: {billing|operations|security: {name, title, email, phone}}."""
    if contacts is None:
        return []
    if not isinstance(contacts, dict):
        return [f"alternate_contacts: must be a mapping of contact type to contact, got {type(contacts).__name__}"]
    problems = unknown_keys(contacts, set(CONTACT_TYPES), "alternate_contacts")
    for contact_type in CONTACT_TYPES:
        contact = contacts.get(contact_type)
        where = f"alternate_contacts.{contact_type}"
        if contact is None:
            continue
        if not isinstance(contact, dict):
            problems.append(f"{where}: must be a mapping with {', '.join(CONTACT_FIELDS)}, got '{contact}'")
            continue
        problems.extend(unknown_keys(contact, set(CONTACT_FIELDS), where))
        problems.extend(validate_contact(contact, where))
    return problems


LEGACY_USER_KEYS = {"name", "account", "replaced_by"}


def legacy_user_problems(users, account_ids=None):
    """Problems of legacy_iam_users: [{name, account}]; with account_ids (names and IDs the
    organization knows, e.g. from account_reference_map), unknown accounts too."""
    if users is None:
        return []
    if not isinstance(users, list):
        return [f"legacy_iam_users: must be a list, got {type(users).__name__}"]
    problems, seen = [], set()
    for index, user in enumerate(users):
        where = f"legacy_iam_users[{index}]"
        if not isinstance(user, dict):
            problems.append(f"{where}: must be a mapping with name and account, got '{user}'")
            continue
        where += f" ({user['name']})" if isinstance(user.get("name"), str) else ""
        problems.extend(unknown_keys(user, LEGACY_USER_KEYS, where))
        name, account = user.get("name"), user.get("account")
        if not isinstance(name, str) or not IAM_USER_NAME.match(name):
            problems.append(f"{where}.name: an IAM user name is 1-64 characters of {IAM_NAME_HINT}, got {_quote(name)}")
        if account is None or str(account) == "":
            problems.append(f"{where}.account: required (account name, ID or 'management'), got nothing")
        elif account_ids is not None and str(account) not in account_ids:
            problems.append(f"{where}.account: '{account}' is not an account of the organization")
        if (name, str(account)) in seen:
            problems.append(f"{where}: user '{name}' in account '{account}' is listed more than once")
        seen.add((name, str(account)))
    return problems


def assignment_references(identity_center):
    """What the assignments name outside the model: permission sets {name: [where]} and
    targets [(where, targets)] (accounts and OUs are checked against the organization)."""
    identity_center = identity_center or {}
    model_sets = {p.get("name") for p in identity_center.get("permission_sets") or [] if isinstance(p, dict)}
    outside_sets, targets = {}, []
    for index, entry in enumerate(identity_center.get("assignments") or []):
        if not isinstance(entry, dict):
            continue
        where = f"identity_center.assignments[{index}]"
        for reference in entry.get("permission_sets") or []:
            if isinstance(reference, str) and reference not in model_sets and not is_arn(reference):
                outside_sets.setdefault(reference, []).append(where + ".permission_sets")
        if isinstance(entry.get("targets"), dict):
            targets.append((where, entry["targets"]))
    return outside_sets, targets


def principals_to_look_up(identity_center, manage_directory=True):
    """Names the identity store must already hold: {"users": {name: [where]}, "groups": {name: [where]}}.

    When the collection manages the directory that is only group members that are not users of
    the model; when an external identity provider does, every user, member and group named.
    """
    identity_center = identity_center or {}
    users = [u for u in identity_center.get("users") or [] if isinstance(u, dict)]
    groups = [g for g in identity_center.get("groups") or [] if isinstance(g, dict)]
    model_users = {u.get("user_name") for u in users}
    wanted = {"users": {}, "groups": {}}
    for index, group in enumerate(groups):
        where = _label("groups", index, group, "name")
        if not manage_directory and isinstance(group.get("name"), str):
            wanted["groups"].setdefault(group["name"], []).append(where)
        for member in group.get("members") or []:
            if isinstance(member, str) and member.strip() and (not manage_directory or member not in model_users):
                wanted["users"].setdefault(member, []).append(where + ".members")
    for index, entry in enumerate(identity_center.get("assignments") or []):
        if not isinstance(entry, dict):
            continue
        where = f"identity_center.assignments[{index}]"
        if isinstance(entry.get("user"), str) and (not manage_directory or entry["user"] not in model_users):
            wanted["users"].setdefault(entry["user"], []).append(where + ".user")
        model_groups = {g.get("name") for g in groups}
        if isinstance(entry.get("group"), str) and (not manage_directory or entry["group"] not in model_groups):
            wanted["groups"].setdefault(entry["group"], []).append(where + ".group")
    if not manage_directory:
        for index, user in enumerate(users):
            if isinstance(user.get("user_name"), str):
                wanted["users"].setdefault(user["user_name"], []).append(_label("users", index, user, "user_name"))
    return wanted
