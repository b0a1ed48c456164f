# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""CI/CD roles trusted through OIDC, and break-glass roles: presets, trust policies, checks, plans.

Pure functions, no AWS call: the access model's `automation_roles` and `break_glass` sections are
checked here (each problem names the field and the value), and turned into per-account plans
that the automation_roles and break_glass roles apply with oidc_provider and amazon.aws.iam_role.
"""

import json
import re

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import OWNER_TAG_KEY
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import OWNER_TAG_VALUE
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_roles import reserved_name_reason
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import IAM_NAME_HINT
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import NAME_CHARS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import POLICY_NAME
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import _quote
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import duplicates
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import unknown_keys
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import validate_tags

# Identity providers whose issuer, audience and subject format are known.
# GitHub Actions: the audience AWS's configure-aws-credentials action asks for.
# GitLab: the audience GitLab's documentation uses is the instance URL (id_tokens: aud).
OIDC_PRESETS = {
    "github": {"url": "https://token.actions.githubusercontent.com", "audiences": ["sts.amazonaws.com"]},
    "gitlab": {"url": "https://gitlab.com", "audiences": None},  # None: the provider URL
}

# IAM names: ASCII letters, digits and +=,.@_- only (validation.NAME_CHARS).
ROLE_NAME = re.compile(rf"^[{NAME_CHARS}]{{1,64}}$")
POLICY_ARN = re.compile(rf"^arn:aws(-[a-z]+)*:iam::(aws|\d{{12}}):policy/([{NAME_CHARS}]+/)*[{NAME_CHARS}]{{1,128}}$")
# Principals a trust policy may name: one IAM role or user, never a whole account.
PRINCIPAL_ARN = re.compile(rf"^arn:aws(-[a-z]+)*:iam::(\d{{12}}):(role|user)/([{NAME_CHARS}]+/)*[{NAME_CHARS}]{{1,64}}$")
ACCOUNT_PRINCIPAL = re.compile(r"^(arn:aws(-[a-z]+)*:iam::)?(\d{12})(:root)?$")
THUMBPRINT = re.compile(r"^[0-9a-fA-F]{40}$")
GITHUB_SUBJECT = re.compile(r"^repo:([^/:]+)/([^/:]+):(.+)$")
GITLAB_SUBJECT = re.compile(r"^project_path:([^:]+):ref_type:(branch|tag):ref:(.+)$")
WILDCARDS = ("*", "?")

SESSION_MIN_SECONDS = 3600
SESSION_MAX_SECONDS = 43200
AUTOMATION_KEYS = {"name", "accounts", "oidc", "subjects", "allow_wildcard_subjects", "managed_policies",
                   "inline_policies", "permissions_boundary", "max_session_duration", "description", "tags",
                   "replaces_iam_users", "adopt"}
OIDC_KEYS = {"preset", "url", "audiences", "thumbprints"}
BREAK_GLASS_KEYS = {"role_name", "accounts", "trusted_principals", "max_session_duration", "mfa_max_age",
                    "managed_policies", "description", "tags", "alert_topic_arn", "adopt"}
BREAK_GLASS_DEFAULTS = {"role_name": "BreakGlassAdmin", "max_session_duration": 3600,
                        "managed_policies": ["arn:aws:iam::aws:policy/AdministratorAccess"],
                        "description": "Emergency access; every use is an incident (docs/break-glass.md)"}


def _has_wildcard(text):
    return any(character in text for character in WILDCARDS)


def provider_host(url):
    """The issuer without its scheme and trailing slash: the provider's ARN suffix and condition-key prefix."""
    host = url.split("://", 1)[1] if "://" in url else url
    return host.rstrip("/")


def provider_arn(account_id, url, partition="aws"):
    return f"arn:{partition}:iam::{account_id}:oidc-provider/{provider_host(url)}"


def url_problems(url, field):
    if not isinstance(url, str) or not url.startswith("https://") or len(url) > 255:
        return [f"{field}: must be an https:// URL of at most 255 characters, got {_quote(url)}"]
    host = provider_host(url)
    if not host or "?" in host or "#" in host or " " in host or _has_wildcard(host):
        return [f"{field}: must be an issuer URL without query, fragment or wildcard, got {_quote(url)}"]
    return []


def audience_problems(audiences, field):
    if not isinstance(audiences, list) or not audiences:
        return [f"{field}: at least one audience is required, so the trust policy can require it "
                f"(a role without an audience condition trusts tokens issued to anyone), got {_quote(audiences)}"]
    problems = []
    for audience in audiences:
        if not isinstance(audience, str) or not 1 <= len(audience) <= 255 or _has_wildcard(audience):
            problems.append(f"{field}: each audience is 1-255 characters without wildcards, got {_quote(audience)}")
    if len(audiences) > 100:
        problems.append(f"{field}: {len(audiences)} audiences, more than AWS's limit of 100")
    return problems


def thumbprint_problems(thumbprints, field):
    if thumbprints is None:
        return []
    if not isinstance(thumbprints, list):
        return [f"{field}: must be a list of SHA-1 fingerprints, got {_quote(thumbprints)}"]
    problems = [f"{field}: each thumbprint is 40 hexadecimal characters, got {_quote(t)}"
                for t in thumbprints if not isinstance(t, str) or not THUMBPRINT.match(t)]
    if len(thumbprints) > 5:
        problems.append(f"{field}: {len(thumbprints)} thumbprints, more than AWS's limit of 5")
    return problems


def resolve_oidc(oidc, field="oidc"):
    """(provider dict {preset, url, audiences, thumbprints}, problems) from a preset name or a mapping."""
    if isinstance(oidc, str):
        if oidc not in OIDC_PRESETS:
            return None, [f"{field}: unknown preset, expected one of {', '.join(sorted(OIDC_PRESETS))} "
                          f"or a mapping with url and audiences, got {_quote(oidc)}"]
        oidc = {"preset": oidc}
    if not isinstance(oidc, dict):
        return None, [f"{field}: must be 'github', 'gitlab' or a mapping with url and audiences, got {_quote(oidc)}"]
    problems = [f"{field}: unknown option '{key}' (expected one of {', '.join(sorted(OIDC_KEYS))})"
                for key in sorted(set(oidc) - OIDC_KEYS)]
    preset = oidc.get("preset")
    if preset is not None and preset not in OIDC_PRESETS:
        problems.append(f"{field}.preset: expected one of {', '.join(sorted(OIDC_PRESETS))}, got {_quote(preset)}")
        preset = None
    defaults = OIDC_PRESETS.get(preset, {"url": None, "audiences": None})
    url = oidc.get("url") or defaults["url"]
    if url is None:
        problems.append(f"{field}.url: required without a preset, got nothing")
    else:
        problems.extend(url_problems(url, f"{field}.url"))
    audiences = oidc.get("audiences")
    if audiences is None:
        audiences = defaults["audiences"] or ([url] if preset == "gitlab" and isinstance(url, str) else None)
    problems.extend(audience_problems(audiences, f"{field}.audiences"))
    problems.extend(thumbprint_problems(oidc.get("thumbprints"), f"{field}.thumbprints"))
    if problems:
        return None, problems
    provider = {"preset": preset or "generic", "url": url.rstrip("/"), "audiences": list(audiences),
                "thumbprints": list(oidc.get("thumbprints") or [])}
    return provider, []


def subject_problems(subject, preset, allow_wildcard, field):
    """Why a subject (the token's `sub` claim the role accepts) is unsafe or malformed; [] when fine.

    Never allowed: `*`, and any subject whose owner (GitHub organization or user, GitLab top-level
    group) is a wildcard, because anyone can create an owner that matches. A wildcard elsewhere,
    `repo:ORG/*` (every repository of the organization) included, needs allow_wildcard_subjects.
    """
    if not isinstance(subject, str) or not subject.strip():
        return [f"{field}: must be a non-empty string, got {_quote(subject)}"]
    if subject.strip(" *?:") == "" or subject.strip("*?") in ("repo:", "project_path:"):
        return [f"{field}: {_quote(subject)} trusts every pipeline of every user of the identity provider; "
                "name the repository or project and its branch or environment"]
    wildcard = _has_wildcard(subject)
    owner_wide = False
    if preset == "github":
        if not subject.startswith("repo:"):
            return [f"{field}: a GitHub subject is repo:OWNER/REPO:environment:NAME or repo:OWNER/REPO:ref:refs/heads/"
                    f"BRANCH, got {_quote(subject)}"]
        owner, slash, rest = subject[len("repo:"):].partition("/")
        if _has_wildcard(owner):
            return [f"{field}: {_quote(subject)} has a wildcard in the owner, which matches repositories anyone on "
                    "GitHub can create; name the organization"]
        repository = rest.split(":", 1)[0]
        owner_wide = _has_wildcard(repository)
        if not owner_wide and (not slash or not GITHUB_SUBJECT.match(subject)):
            return [f"{field}: a GitHub subject is repo:OWNER/REPO:environment:NAME or repo:OWNER/REPO:ref:refs/heads/"
                    f"BRANCH, got {_quote(subject)}"]
    elif preset == "gitlab":
        if not subject.startswith("project_path:"):
            return [f"{field}: a GitLab subject is project_path:GROUP/PROJECT:ref_type:branch:ref:NAME, "
                    f"got {_quote(subject)}"]
        path = subject[len("project_path:"):].split(":", 1)[0]
        group, slash, project = path.partition("/")
        if _has_wildcard(group):
            return [f"{field}: {_quote(subject)} has a wildcard in the top-level group, which matches projects anyone "
                    "on the GitLab instance can create; name the group"]
        owner_wide = _has_wildcard(project)
        if not owner_wide and (not slash or not GITLAB_SUBJECT.match(subject)):
            return [f"{field}: a GitLab subject is project_path:GROUP/PROJECT:ref_type:branch:ref:NAME, "
                    f"got {_quote(subject)}"]
    if wildcard and not allow_wildcard:
        if owner_wide:
            return [f"{field}: {_quote(subject)} is an organization-wide wildcard (every repository or project of the "
                    "owner may assume the role); set allow_wildcard_subjects: true to accept it"]
        return [f"{field}: {_quote(subject)} has a wildcard; set allow_wildcard_subjects: true to accept it"]
    return []


def _one_or_list(values):
    values = list(values)
    return values[0] if len(values) == 1 else values


def oidc_trust_policy(arn, url, audiences, subjects):
    """Trust for AssumeRoleWithWebIdentity from one provider: the audience is always required
    (StringEquals); exact subjects are matched with StringEquals, subjects with a wildcard with
    StringLike in a statement of their own (two conditions on one key in one statement would
    have to hold together)."""
    host = provider_host(url)
    exact = [s for s in subjects if not _has_wildcard(s)]
    patterns = [s for s in subjects if _has_wildcard(s)]
    statements = []
    for operator, matched in (("StringEquals", exact), ("StringLike", patterns)):
        if not matched:
            continue
        condition = {"StringEquals": {f"{host}:aud": _one_or_list(audiences)}}
        condition.setdefault(operator, {})[f"{host}:sub"] = _one_or_list(matched)
        statements.append({"Effect": "Allow", "Principal": {"Federated": arn},
                           "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition})
    return {"Version": "2012-10-17", "Statement": statements}


def principal_problems(principal, field):
    """Why a break-glass trusted principal is refused; [] for a named IAM role or user ARN."""
    if not isinstance(principal, str) or not principal:
        return [f"{field}: must be the ARN of an IAM role or user, got {_quote(principal)}"]
    if principal.strip() == "*" or _has_wildcard(principal):
        return [f"{field}: {_quote(principal)} is a wildcard: it would let any AWS identity that passes the "
                "conditions assume the role; name the break-glass role or user"]
    account = ACCOUNT_PRINCIPAL.match(principal)
    if account:
        return [f"{field}: {_quote(principal)} is the whole account {account.group(3)}, not its root user: the root "
                "user cannot assume IAM roles, and an account principal lets every IAM identity of that account "
                "with sts:AssumeRole permission (all its administrators) assume the role; name the break-glass "
                "role or user"]
    if principal.startswith("arn:") and ":assumed-role/" in principal:
        return [f"{field}: {_quote(principal)} is one session, not an identity; name the role "
                "(arn:aws:iam::ACCOUNT:role/NAME)"]
    if not PRINCIPAL_ARN.match(principal):
        return [f"{field}: must be the ARN of an IAM role or user (arn:aws:iam::ACCOUNT:role/NAME or "
                f":user/NAME), got {_quote(principal)}"]
    return []


def break_glass_trust_policy(principals, mfa_max_age=None):
    """Trust for sts:AssumeRole by the named principals only, with MFA (and, optionally, recent MFA)."""
    condition = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    if mfa_max_age:
        condition["NumericLessThan"] = {"aws:MultiFactorAuthAge": str(mfa_max_age)}
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": _one_or_list(principals)}, "Action": "sts:AssumeRole",
        "Condition": condition}]}


# --------------------------------------------------------------------------- access model

def _label(section, index, entry, key):
    value = entry.get(key) if isinstance(entry, dict) else None
    return f"{section}[{index}]" + (f" ({value})" if isinstance(value, str) else "")


def _accounts_problems(accounts, field, allow_all=False):
    if allow_all and accounts == "all":
        return []
    expected = "'all' or a non-empty list" if allow_all else "a non-empty list"
    if isinstance(accounts, (str, int)) and not isinstance(accounts, bool):
        return [f"{field}: must be {expected} of account names, IDs or 'management', got the single value "
                f"{_quote(str(accounts))} (write it as a list: [{accounts}])"]
    if not isinstance(accounts, list) or not accounts:
        return [f"{field}: must be {expected} of account names, IDs or 'management', got {_quote(accounts)}"]
    problems = [f"{field}: each account is a name, a 12-digit ID or 'management', got {_quote(a)}"
                for a in accounts if not isinstance(a, (str, int)) or not str(a).strip()]
    problems.extend(f"{field}: '{a}' is listed more than once" for a in duplicates([str(a) for a in accounts]))
    return problems


def _session_problems(seconds, field):
    if seconds is None:
        return []
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not SESSION_MIN_SECONDS <= seconds <= SESSION_MAX_SECONDS:
        return [f"{field}: must be a number of seconds between {SESSION_MIN_SECONDS} and {SESSION_MAX_SECONDS}, "
                f"got {_quote(seconds)}"]
    return []


def _policy_arns_problems(arns, field):
    if arns is None:
        return []
    if not isinstance(arns, list):
        return [f"{field}: must be a list of policy ARNs, got {_quote(arns)}"]
    problems = [f"{field}: not a managed policy ARN (arn:aws:iam::aws:policy/NAME or arn:aws:iam::ACCOUNT:policy/NAME), "
                f"got {_quote(arn)}" for arn in arns if not isinstance(arn, str) or not POLICY_ARN.match(arn)]
    if len(arns) > 20:
        problems.append(f"{field}: {len(arns)} policies, more than AWS's limit of 20 per role")
    return problems


def _inline_problems(policies, field):
    if policies is None:
        return []
    if not isinstance(policies, dict):
        return [f"{field}: must be a mapping of policy name to policy document, got {_quote(policies)}"]
    problems = []
    for name, document in policies.items():
        if not POLICY_NAME.match(str(name)):
            problems.append(f"{field}: policy name must be 1-128 characters of {IAM_NAME_HINT}, "
                            f"got {_quote(str(name))}")
        if isinstance(document, str):
            try:
                document = json.loads(document)
            except ValueError as error:
                problems.append(f"{field}.{name}: not valid JSON ({error.msg}), got {_quote(document)}")
                continue
        if not isinstance(document, dict) or "Statement" not in document:
            problems.append(f"{field}.{name}: a policy document needs a 'Statement', got {_quote(document)}")
    return problems


def _description_problems(description, field):
    if description is not None and (not isinstance(description, str) or len(description) > 1000):
        return [f"{field}: at most 1000 characters, got {_quote(description)}"]
    return []


def _ownership_problems(entry, where, member_role_name):
    """A role name that belongs to AWS or to the access path, a non-boolean adopt, a tag that fakes ownership."""
    problems = []
    reason = reserved_name_reason(entry.get("name", entry.get("role_name")), member_role_name)
    if reason:
        field = "name" if "name" in entry else "role_name"
        problems.append(f"{where}.{field}: {reason}; choose another name (adopt: true does not allow it either)")
    adopt = entry.get("adopt", False)
    if not isinstance(adopt, bool):
        problems.append(f"{where}.adopt: must be true or false, got {_quote(adopt)}")
    tags = entry.get("tags")
    if isinstance(tags, dict) and OWNER_TAG_KEY in tags and str(tags[OWNER_TAG_KEY]) != OWNER_TAG_VALUE:
        problems.append(f"{where}.tags: the tag '{OWNER_TAG_KEY}' is the collection's ownership mark "
                        f"({OWNER_TAG_KEY}={OWNER_TAG_VALUE}), got {_quote(str(tags[OWNER_TAG_KEY]))}; use another key")
    return problems


def automation_problems(entries, member_role_name=None):
    """Every problem of the access model's `automation_roles`, each naming the field and the value."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        return [f"automation_roles: must be a list, got {type(entries).__name__}"]
    problems, placed = [], []
    for index, entry in enumerate(entries):
        where = _label("automation_roles", index, entry, "name")
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a mapping, got {_quote(entry)}")
            continue
        problems.extend(unknown_keys(entry, AUTOMATION_KEYS, where))
        problems.extend(_ownership_problems(entry, where, member_role_name))
        name = entry.get("name")
        if not isinstance(name, str) or not ROLE_NAME.match(name):
            problems.append(f"{where}.name: an IAM role name, 1-64 characters of {IAM_NAME_HINT}, "
                            f"got {_quote(name)}")
        problems.extend(_accounts_problems(entry.get("accounts"), f"{where}.accounts"))
        if isinstance(entry.get("accounts"), list):
            placed.extend((str(account), name) for account in entry["accounts"])
        provider, oidc_problems = resolve_oidc(entry.get("oidc"), f"{where}.oidc")
        problems.extend(oidc_problems)
        allow = entry.get("allow_wildcard_subjects", False)
        if not isinstance(allow, bool):
            problems.append(f"{where}.allow_wildcard_subjects: must be true or false, got {_quote(allow)}")
            allow = False
        subjects = entry.get("subjects")
        if not isinstance(subjects, list) or not subjects:
            problems.append(f"{where}.subjects: at least one subject is required, so the trust policy can restrict "
                            f"which pipelines assume the role, got {_quote(subjects)}")
        else:
            preset = provider["preset"] if provider else None
            for subject in subjects:
                problems.extend(subject_problems(subject, preset, allow, f"{where}.subjects"))
            problems.extend(f"{where}.subjects: '{s}' is listed more than once"
                            for s in duplicates([s for s in subjects if isinstance(s, str)]))
        problems.extend(_policy_arns_problems(entry.get("managed_policies"), f"{where}.managed_policies"))
        problems.extend(_inline_problems(entry.get("inline_policies"), f"{where}.inline_policies"))
        boundary = entry.get("permissions_boundary")
        if boundary is not None and (not isinstance(boundary, str) or not POLICY_ARN.match(boundary)):
            problems.append(f"{where}.permissions_boundary: not a managed policy ARN, got {_quote(boundary)}")
        problems.extend(_session_problems(entry.get("max_session_duration"), f"{where}.max_session_duration"))
        problems.extend(_description_problems(entry.get("description"), f"{where}.description"))
        problems.extend(validate_tags(entry.get("tags"), f"{where}.tags"))
        replaced = entry.get("replaces_iam_users")
        if replaced is not None:
            if not isinstance(replaced, list) or not all(
                    isinstance(u, dict) and isinstance(u.get("name"), str) and u.get("account") for u in replaced):
                problems.append(f"{where}.replaces_iam_users: must be a list of {{name, account}}, got {_quote(replaced)}")
    for account, name in duplicates(placed):
        problems.append(f"automation_roles: role '{name}' is declared more than once for account '{account}'")
    return problems


def break_glass_problems(section, member_role_name=None, automation_roles=None):
    """Every problem of the access model's `break_glass` section (none or empty: no break-glass role).

    With `automation_roles`, a break-glass role name that is also a CI/CD role's is a problem: the two phases
    would rewrite one role against each other.
    """
    if section is None or section == {}:
        return []
    if not isinstance(section, dict):
        return [f"break_glass: must be a mapping, got {type(section).__name__}"]
    problems = unknown_keys(section, BREAK_GLASS_KEYS, "break_glass")
    name = section.get("role_name", BREAK_GLASS_DEFAULTS["role_name"])
    problems.extend(_ownership_problems(dict(section, role_name=name), "break_glass", member_role_name))
    for index, entry in enumerate(automation_roles if isinstance(automation_roles, list) else []):
        if isinstance(entry, dict) and entry.get("name") == name:
            problems.append(f"break_glass.role_name: '{name}' is also the name of "
                            f"{_label('automation_roles', index, entry, 'name')}; one IAM role cannot be both, "
                            "choose another name")
    if not isinstance(name, str) or not ROLE_NAME.match(name):
        problems.append(f"break_glass.role_name: an IAM role name, 1-64 characters of {IAM_NAME_HINT}, "
                        f"got {_quote(name)}")
    problems.extend(_accounts_problems(section.get("accounts"), "break_glass.accounts", allow_all=True))
    principals = section.get("trusted_principals")
    if not isinstance(principals, list) or not principals:
        problems.append("break_glass.trusted_principals: at least one named IAM role or user ARN is required, "
                        f"got {_quote(principals)}")
    else:
        for principal in principals:
            problems.extend(principal_problems(principal, "break_glass.trusted_principals"))
    problems.extend(_session_problems(section.get("max_session_duration"), "break_glass.max_session_duration"))
    age = section.get("mfa_max_age")
    if age is not None and (isinstance(age, bool) or not isinstance(age, int) or not 60 <= age <= 43200):
        problems.append(f"break_glass.mfa_max_age: seconds since MFA sign-in, between 60 and 43200, got {_quote(age)}")
    problems.extend(_policy_arns_problems(section.get("managed_policies"), "break_glass.managed_policies"))
    problems.extend(_description_problems(section.get("description"), "break_glass.description"))
    problems.extend(validate_tags(section.get("tags"), "break_glass.tags"))
    topic = section.get("alert_topic_arn")
    if topic is not None and (not isinstance(topic, str) or not re.match(r"^arn:aws(-[a-z]+)*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$", topic)):
        problems.append(f"break_glass.alert_topic_arn: not an SNS topic ARN, got {_quote(topic)}")
    return problems


def account_references(automation_roles, break_glass):
    """[(where, account reference)] that the two sections name, for a check against the organization."""
    references = []
    for index, entry in enumerate(automation_roles if isinstance(automation_roles, list) else []):
        if isinstance(entry, dict) and isinstance(entry.get("accounts"), list):
            where = _label("automation_roles", index, entry, "name") + ".accounts"
            references.extend((where, account) for account in entry["accounts"])
        if isinstance(entry, dict):
            for user in entry.get("replaces_iam_users") or []:
                if isinstance(user, dict) and user.get("account"):
                    references.append((_label("automation_roles", index, entry, "name") + ".replaces_iam_users",
                                       user["account"]))
    if isinstance(break_glass, dict) and isinstance(break_glass.get("accounts"), list):
        references.extend(("break_glass.accounts", account) for account in break_glass["accounts"])
    return references


# --------------------------------------------------------------------------- plans

def _resolve(index, accounts, field, problems):
    """[(reference, account ID)] through the one account resolver (unknown and closed accounts are problems)."""
    found = []
    for reference in accounts:
        account, problem = index.lookup(reference, field)
        if problem:
            problems.append(problem)
        else:
            found.append((str(reference), account["id"]))
    return found


def automation_plan(entries, index, partition="aws", default_tags=None, member_role_name=None):
    """{"accounts": per target account, the OIDC providers (audiences merged over the entries that use
    the same issuer) and the roles with their trust policy; "retirement_candidates": the IAM users the
    entries replace, with the ARNs of the roles that replace them}.

    index: organizations.AccountIndex. Raises SsoShiftError listing every problem (invalid entries, unknown
    or closed accounts) before anything is planned.
    """
    fail_if_problems(automation_problems(entries, member_role_name), "automation_roles")
    accounts, candidates, problems = {}, {}, []
    for position, entry in enumerate(entries or []):
        provider, dummy = resolve_oidc(entry["oidc"])
        where = _label("automation_roles", position, entry, "name")
        replaced = entry.get("replaces_iam_users") or []
        user_accounts = _resolve(index, [u["account"] for u in replaced], where + ".replaces_iam_users", problems)
        for reference, account_id in _resolve(index, entry["accounts"], where + ".accounts", problems):
            plan = accounts.setdefault(account_id, {"account_id": account_id, "account_name": index.name(account_id),
                                                    "providers": {}, "roles": []})
            known = plan["providers"].setdefault(provider["url"], {
                "url": provider["url"], "arn": provider_arn(account_id, provider["url"], partition),
                "client_ids": [], "thumbprints": [], "adopt": False})
            known["client_ids"] += [a for a in provider["audiences"] if a not in known["client_ids"]]
            known["thumbprints"] += [t for t in provider["thumbprints"] if t not in known["thumbprints"]]
            known["adopt"] = known["adopt"] or bool(entry.get("adopt"))
            role_arn = f"arn:{partition}:iam::{account_id}:role/{entry['name']}"
            plan["roles"].append({
                "name": entry["name"],
                "where": where,
                "adopt": bool(entry.get("adopt")),
                "role_arn": role_arn,
                "provider_url": provider["url"],
                "provider_arn": known["arn"],
                "subjects": list(entry["subjects"]),
                "trust_policy": oidc_trust_policy(known["arn"], provider["url"], provider["audiences"],
                                                  entry["subjects"]),
                "managed_policies": list(entry.get("managed_policies") or []),
                "inline_policies": [{"name": name, "document": json.loads(doc) if isinstance(doc, str) else doc}
                                    for name, doc in sorted((entry.get("inline_policies") or {}).items())],
                "permissions_boundary": entry.get("permissions_boundary") or "",
                "max_session_duration": entry.get("max_session_duration") or SESSION_MIN_SECONDS,
                "description": entry.get("description") or f"CI/CD role trusted through {provider_host(provider['url'])}",
                "tags": dict(default_tags or {}, **(entry.get("tags") or {})),
            })
            for user, (user_reference, user_account_id) in zip(replaced, user_accounts):
                candidate = candidates.setdefault((user_account_id, user["name"]), {
                    "name": user["name"], "account": user_reference, "account_id": user_account_id,
                    "account_name": index.name(user_account_id), "replaced_by": []})
                candidate["replaced_by"].append(role_arn)
    fail_if_problems(problems, "automation_roles")
    ordered = sorted(accounts.values(), key=lambda plan: (plan["account_name"], plan["account_id"]))
    return {"accounts": [dict(plan, providers=list(plan["providers"].values())) for plan in ordered],
            "retirement_candidates": [candidates[key] for key in sorted(candidates)]}


def break_glass_plan(section, index, partition="aws", default_tags=None, member_role_name=None,
                     automation_roles=None):
    """(per target account: the break-glass role, its trust policy and the alert rule to create; the closed
    accounts `all` skipped). index: organizations.AccountIndex. Raises SsoShiftError listing every problem."""
    fail_if_problems(break_glass_problems(section, member_role_name, automation_roles), "break_glass")
    if not section:
        return [], []
    settings = dict(BREAK_GLASS_DEFAULTS, **{k: v for k, v in section.items() if v is not None})
    problems = []
    targets, skipped, problems = index.select(settings["accounts"], "break_glass.accounts")
    fail_if_problems(problems, "break_glass")
    trust = break_glass_trust_policy(settings["trusted_principals"], settings.get("mfa_max_age"))
    plans = []
    for account in targets:
        account_id = account["id"]
        role_arn = f"arn:{partition}:iam::{account_id}:role/{settings['role_name']}"
        alert = None
        if settings.get("alert_topic_arn"):
            alert = {"name": f"{settings['role_name']}-assumed"[:64], "topic_arn": settings["alert_topic_arn"],
                     "event_pattern": {
                         "source": ["aws.sts"], "detail-type": ["AWS API Call via CloudTrail"],
                         "detail": {"eventSource": ["sts.amazonaws.com"], "eventName": ["AssumeRole"],
                                    "requestParameters": {"roleArn": [role_arn]}}}}
        plans.append({
            "account_id": account_id, "account_name": account["name"],
            "role_name": settings["role_name"], "role_arn": role_arn, "trust_policy": trust,
            "adopt": bool(settings.get("adopt")),
            "trusted_principals": list(settings["trusted_principals"]),
            "max_session_duration": settings["max_session_duration"],
            "managed_policies": list(settings["managed_policies"]), "description": settings["description"],
            "tags": dict(default_tags or {}, **(settings.get("tags") or {})), "alert": alert,
        })
    return plans, skipped
