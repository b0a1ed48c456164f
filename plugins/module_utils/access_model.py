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
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import list_problem
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import string_problem
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


def model_names(identity_center, section, key):
    """The names a section of identity_center declares ({user_name} of users, {name} of groups and permission
    sets); entries of the wrong shape are left to the validation, which names them."""
    entries = identity_center.get(section) if isinstance(identity_center, dict) else None
    return {entry[key] for entry in entries if isinstance(entry, dict) and isinstance(entry.get(key), str)} \
        if isinstance(entries, list) else set()


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


def legacy_user_problems(users):
    """Problems of legacy_iam_users' shape: [{name, account}]. The accounts are checked against the
    organization by the caller (legacy_user_accounts + organizations.AccountIndex)."""
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
        if not isinstance(name, (str, type(None))) or not isinstance(account, (str, int, type(None))):
            continue
        if (name, str(account)) in seen:
            problems.append(f"{where}: user '{name}' in account '{account}' is listed more than once")
        seen.add((name, str(account)))
    return problems


def legacy_user_accounts(users):
    """[(where, account reference)] of legacy_iam_users, for the one account resolver."""
    references = []
    for index, user in enumerate(users if isinstance(users, list) else []):
        if isinstance(user, dict) and user.get("account") not in (None, ""):
            where = f"legacy_iam_users[{index}]" + (f" ({user['name']})" if isinstance(user.get("name"), str) else "")
            references.append((where + ".account", user["account"]))
    return references


def assignment_references(identity_center):
    """What the assignments name: permission sets outside the model {name: [where]}, targets [(where, targets)]
    (accounts and OUs are checked against the organization) and every entry's permission sets [(where, references)]
    (checked against a delegated administrator's limits)."""
    identity_center = identity_center or {}
    model_sets = model_names(identity_center, "permission_sets", "name")
    outside_sets, targets, named = {}, [], []
    for index, entry in enumerate(identity_center.get("assignments") or []):
        if not isinstance(entry, dict):
            continue
        where = f"identity_center.assignments[{index}]"
        sets = entry.get("permission_sets")
        named.append((where, sets))
        for reference in sets if isinstance(sets, list) else []:
            if isinstance(reference, str) and reference not in model_sets and not is_arn(reference):
                outside_sets.setdefault(reference, []).append(where + ".permission_sets")
        target = entry.get("targets")
        # Targets of the wrong shape are problems of entry_problems already; they are not expanded.
        if isinstance(target, dict) and all(isinstance(target.get(key), (list, type(None)))
                                            for key in ("accounts", "ous", "exclude_accounts")):
            targets.append((where, target))
    return outside_sets, targets, named


def principals_to_look_up(identity_center, manage_directory=True):
    """Names the identity store must already hold: {"users": {name: [where]}, "groups": {name: [where]}}.

    When the collection manages the directory that is only group members that are not users of
    the model; when an external identity provider does, every user, member and group named.
    """
    identity_center = identity_center or {}
    users = [u for u in identity_center.get("users") or [] if isinstance(u, dict)]
    groups = [g for g in identity_center.get("groups") or [] if isinstance(g, dict)]
    model_users = model_names(identity_center, "users", "user_name")
    wanted = {"users": {}, "groups": {}}
    for index, group in enumerate(groups):
        where = _label("groups", index, group, "name")
        if not manage_directory and isinstance(group.get("name"), str):
            wanted["groups"].setdefault(group["name"], []).append(where)
        members = group.get("members")
        for member in members if isinstance(members, list) else []:
            if isinstance(member, str) and member.strip() and (not manage_directory or member not in model_users):
                wanted["users"].setdefault(member, []).append(where + ".members")
    for index, entry in enumerate(identity_center.get("assignments") or []):
        if not isinstance(entry, dict):
            continue
        where = f"identity_center.assignments[{index}]"
        if isinstance(entry.get("user"), str) and (not manage_directory or entry["user"] not in model_users):
            wanted["users"].setdefault(entry["user"], []).append(where + ".user")
        model_groups = model_names(identity_center, "groups", "name")
        if isinstance(entry.get("group"), str) and (not manage_directory or entry["group"] not in model_groups):
            wanted["groups"].setdefault(entry["group"], []).append(where + ".group")
    if not manage_directory:
        for index, user in enumerate(users):
            if isinstance(user.get("user_name"), str):
                wanted["users"].setdefault(user["user_name"], []).append(_label("users", index, user, "user_name"))
    return wanted


# --------------------------------------------------------------------------- the model document as a whole

# The top-level keys of the access model (docs/access-model.md). A variable spelled close to one of them is
# almost certainly a typo that would silently leave a section out of the run.
MODEL_SECTIONS = ("identity_center", "alternate_contacts", "legacy_iam_users", "automation_roles", "break_glass",
                  "verification", "member_role_name", "password_policy")


def section_name_problems(variable_names):
    """A problem for every variable name that is a close spelling of a section name but not one
    (`identity_centre` for `identity_center`), naming the likely intended section."""
    import difflib

    problems = []
    for name in sorted(set(n for n in variable_names or [] if isinstance(n, str))):
        if name in MODEL_SECTIONS:
            continue
        close = difflib.get_close_matches(name, MODEL_SECTIONS, n=1, cutoff=0.85)
        if close:
            problems.append(f"{name}: not a section of the access model; did you mean '{close[0]}'? "
                            "(a misspelt section is not read, and its phase would silently do nothing)")
    return problems


VERIFICATION_KEYS = {"administrators", "permission_set", "accounts"}


def verification_problems(section, identity_center=None):
    """Problems of the model's `verification` section: {administrators: [user names], permission_set: name,
    accounts: [account references]}. Whether the users, the permission set and the accounts exist is
    checked by the caller (access_model_validate) against the model, Identity Center and the organization."""
    if section is None:
        return []
    if not isinstance(section, dict):
        return [f"verification: must be a mapping with administrators, permission_set and accounts, got "
                f"{type(section).__name__} {_quote(section)}"]
    problems = unknown_keys(section, VERIFICATION_KEYS, "verification")
    administrators = section.get("administrators")
    problem = list_problem(administrators, "verification.administrators", "Identity Center user names")
    if problem:
        problems.append(problem)
    else:
        problems.extend(f"verification.administrators: each is an Identity Center user name, got {_quote(a)}"
                        for a in administrators or [] if not isinstance(a, str) or not a.strip())
    if "permission_set" in section:
        problem = string_problem(section["permission_set"], "verification.permission_set", "a permission set name")
        problems.extend([problem] if problem else [])
    problem = list_problem(section.get("accounts"), "verification.accounts", "account names, IDs or 'management'")
    problems.extend([problem] if problem else [])
    return problems


def verification_references(section, identity_center=None):
    """What `verification` names outside itself: (administrators, permission set, [(where, account)])."""
    if not isinstance(section, dict):
        return [], None, []
    administrators = [a for a in section.get("administrators") or [] if isinstance(a, str)] \
        if isinstance(section.get("administrators"), list) else []
    permission_set = section.get("permission_set", "AdministratorAccess")
    accounts = section.get("accounts") if isinstance(section.get("accounts"), list) else []
    return administrators, permission_set if isinstance(permission_set, str) else None, \
        [("verification.accounts", account) for account in accounts]
