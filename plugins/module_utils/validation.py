# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Validation of the access model's directory and permission-set entries.

Pure functions: each returns a list of problems ("field: why, got 'value'") and never calls AWS,
so a module or the identity_center role can check a whole model before the first write.
Limits are AWS's published ones for IAM Identity Center.
"""

import json
import re

# The characters of IAM and Identity Center names (role, user, policy and permission-set names): AWS's API
# references write the pattern [\w+=,.@-]+, where \w is ASCII only - letters, digits and underscore. Python's
# \w also accepts every Unicode letter (a permission set named "Développeur" would pass here and fail on AWS,
# halfway through a run), so the class is spelled out.
NAME_CHARS = "A-Za-z0-9+=,.@_-"
IAM_NAME_HINT = "letters (A-Z, a-z), digits and +=,.@_- (ASCII only)"
PERMISSION_SET_NAME = re.compile(rf"^[{NAME_CHARS}]{{1,32}}$")
POLICY_NAME = re.compile(rf"^[{NAME_CHARS}]{{1,128}}$")
IAM_USER_NAME = re.compile(rf"^[{NAME_CHARS}]{{1,64}}$")
POLICY_PATH = re.compile(r"^(/|/[\x21-\x7E]+/)$")
MANAGED_POLICY_ARN = re.compile(rf"^arn:aws(-[a-z]+)*:iam::aws:policy/([{NAME_CHARS}]+/)*[{NAME_CHARS}]{{1,128}}$")
BARE_MANAGED_POLICY = re.compile(rf"^([{NAME_CHARS}]+/)*[{NAME_CHARS}]{{1,128}}$")
ISO_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Identity store strings: printable, no control characters.
DIRECTORY_STRING = re.compile(r"^[\x20-\x7E\u00A0-\uFFFF]+$")

INLINE_POLICY_MAX_CHARS = 10240
DESCRIPTION_MAX_CHARS = 700
RELAY_STATE_MAX_CHARS = 240
MANAGED_POLICIES_MAX = 20
CUSTOMER_MANAGED_POLICIES_MAX = 20
TAGS_MAX = 50
SESSION_MIN_MINUTES = 60
SESSION_MAX_MINUTES = 720


def _quote(value):
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return f"'{text[:80]}...'" if len(text) > 80 else f"'{text}'"


def compact(options):
    """A suboptions dict without its unset keys (Ansible fills them with None); None stays None."""
    if not isinstance(options, dict):
        return options
    return {key: value for key, value in options.items() if value not in (None, "", {})}


def expand_managed_policy(reference):
    """A full AWS-managed policy ARN from an ARN or a bare name such as ReadOnlyAccess
    (or job-function/ViewOnlyAccess); None when the reference is neither."""
    if MANAGED_POLICY_ARN.match(reference):
        return reference
    if BARE_MANAGED_POLICY.match(reference) and not reference.startswith("arn:"):
        return f"arn:aws:iam::aws:policy/{reference}"
    return None


def session_minutes(duration):
    """Minutes of an ISO-8601 duration such as PT4H or PT1H30M; None when not of that form."""
    match = ISO_DURATION.match(duration or "")
    if not match or not any(match.groups()):
        return None
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


def parse_policy(document, field):
    """(policy dict, problems) from a dict or a JSON string."""
    if isinstance(document, dict):
        policy = document
    elif isinstance(document, str):
        try:
            policy = json.loads(document)
        except ValueError as error:
            return None, [f"{field}: not valid JSON ({error.msg} at character {error.pos}), got {_quote(document)}"]
    else:
        return None, [f"{field}: must be a policy document (dict or JSON string), got {_quote(document)}"]
    problems = []
    if not isinstance(policy, dict) or "Statement" not in policy:
        problems.append(f"{field}: a policy document needs a 'Statement', got {_quote(policy)}")
    else:
        size = len(json.dumps(policy, separators=(",", ":")))
        if size > INLINE_POLICY_MAX_CHARS:
            problems.append(f"{field}: {size} characters, more than AWS's limit of {INLINE_POLICY_MAX_CHARS} "
                            "for a permission set's inline policy")
    return policy, problems


def validate_tags(tags, field):
    problems = []
    if tags is None:
        return problems
    if not isinstance(tags, dict):
        return [f"{field}: must be a dict of key: value, got {_quote(tags)}"]
    if len(tags) > TAGS_MAX:
        problems.append(f"{field}: {len(tags)} tags, more than AWS's limit of {TAGS_MAX}")
    for key, value in tags.items():
        if not 1 <= len(str(key)) <= 128 or str(key).lower().startswith("aws:"):
            problems.append(f"{field}: tag key {_quote(str(key))} must be 1-128 characters and not start with 'aws:'")
        if len(str(value)) > 256:
            problems.append(f"{field}: value of tag {_quote(str(key))} is longer than 256 characters")
    return problems


def validate_permission_set(spec, field="permission_set"):
    """Problems of one permission-set entry (module options or an access-model item)."""
    problems = []
    name = spec.get("name")
    if not isinstance(name, str) or not PERMISSION_SET_NAME.match(name):
        problems.append(f"{field}.name: must be 1-32 characters of {IAM_NAME_HINT}, got {_quote(name)}")
    description = spec.get("description")
    if description is not None and (not isinstance(description, str) or not 1 <= len(description) <= DESCRIPTION_MAX_CHARS):
        problems.append(f"{field}.description: 1 to {DESCRIPTION_MAX_CHARS} characters (AWS cannot clear a "
                        f"description; leave it unset to keep it), got {_quote(description)}")
    duration = spec.get("session_duration")
    if duration is not None:
        minutes = session_minutes(duration if isinstance(duration, str) else "")
        if minutes is None:
            problems.append(f"{field}.session_duration: must be an ISO-8601 duration such as PT4H or PT1H30M, "
                            f"got {_quote(duration)}")
        elif not SESSION_MIN_MINUTES <= minutes <= SESSION_MAX_MINUTES:
            problems.append(f"{field}.session_duration: must be between PT1H and PT12H, got {_quote(duration)}")
    relay_state = spec.get("relay_state")
    if relay_state is not None and (not isinstance(relay_state, str) or len(relay_state) > RELAY_STATE_MAX_CHARS
                                    or not relay_state.startswith("https://")):
        problems.append(f"{field}.relay_state: must be an https:// URL of at most {RELAY_STATE_MAX_CHARS} characters, "
                        f"got {_quote(relay_state)}")

    managed = spec.get("managed_policies") or []
    for key, what in (("managed_policies", "policy ARNs or names"), ("customer_managed_policies", "{name, path}")):
        problem = list_problem(spec.get(key), f"{field}.{key}", what)
        if problem:
            problems.append(problem)
    if not isinstance(managed, list):
        managed = []
    if len(managed) > MANAGED_POLICIES_MAX:
        problems.append(f"{field}.managed_policies: {len(managed)} policies, more than AWS's limit of "
                        f"{MANAGED_POLICIES_MAX}")
    for reference in managed:
        if not isinstance(reference, str) or expand_managed_policy(reference) is None:
            problems.append(f"{field}.managed_policies: not an AWS-managed policy ARN "
                            f"(arn:aws:iam::aws:policy/NAME) or name, got {_quote(reference)}")
    customer = spec.get("customer_managed_policies") or []
    if not isinstance(customer, list):
        customer = []
    if len(customer) > CUSTOMER_MANAGED_POLICIES_MAX:
        problems.append(f"{field}.customer_managed_policies: {len(customer)} policies, more than AWS's limit of "
                        f"{CUSTOMER_MANAGED_POLICIES_MAX}")
    for reference in customer:
        problems.extend(_validate_customer_reference(reference, f"{field}.customer_managed_policies"))

    if spec.get("inline_policy") not in (None, "", {}):
        problems.extend(parse_policy(spec["inline_policy"], f"{field}.inline_policy")[1])

    boundary = compact(spec.get("permissions_boundary"))
    if boundary:
        arn = boundary.get("managed_policy_arn")
        reference = boundary.get("customer_managed_policy_reference")
        if bool(arn) == bool(reference):
            problems.append(f"{field}.permissions_boundary: give exactly one of managed_policy_arn or "
                            f"customer_managed_policy_reference, got {_quote(boundary)}")
        elif arn and expand_managed_policy(arn) is None:
            problems.append(f"{field}.permissions_boundary.managed_policy_arn: not an AWS-managed policy ARN, "
                            f"got {_quote(arn)}")
        elif reference:
            problems.extend(_validate_customer_reference(
                reference, f"{field}.permissions_boundary.customer_managed_policy_reference"))
    problems.extend(validate_tags(spec.get("tags"), f"{field}.tags"))
    return problems


def _validate_customer_reference(reference, field):
    if not isinstance(reference, dict) or not isinstance(reference.get("name"), str):
        return [f"{field}: each entry needs a 'name' (and an optional 'path'), got {_quote(reference)}"]
    problems = []
    if not POLICY_NAME.match(reference["name"]):
        problems.append(f"{field}: policy name must be 1-128 characters of {IAM_NAME_HINT}, "
                        f"got {_quote(reference['name'])}")
    path = reference.get("path") or "/"
    if not POLICY_PATH.match(path) or len(path) > 512:
        problems.append(f"{field}: path must start and end with '/', got {_quote(path)}")
    return problems


USER_ATTRIBUTES = ("display_name", "given_name", "family_name", "email", "title", "locale", "timezone",
                   "preferred_language", "nickname")


def validate_user(spec, field="user"):
    problems = []
    user_name = spec.get("user_name")
    if not isinstance(user_name, str) or not 1 <= len(user_name) <= 128 or not DIRECTORY_STRING.match(user_name):
        problems.append(f"{field}.user_name: must be 1-128 printable characters, got {_quote(user_name)}")
    for attribute in USER_ATTRIBUTES:
        value = spec.get(attribute)
        if value is None:
            continue
        if not isinstance(value, str) or not 1 <= len(value) <= 1024 or not DIRECTORY_STRING.match(value):
            problems.append(f"{field}.{attribute}: must be 1-1024 printable characters, got {_quote(value)}")
    email = spec.get("email")
    if isinstance(email, str) and not EMAIL.match(email):
        problems.append(f"{field}.email: not an email address, got {_quote(email)}")
    return problems


def validate_group(spec, field="group"):
    problems = []
    name = spec.get("display_name", spec.get("name"))
    if not isinstance(name, str) or not 1 <= len(name) <= 1024 or not DIRECTORY_STRING.match(name):
        problems.append(f"{field}.name: must be 1-1024 printable characters, got {_quote(name)}")
    description = spec.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 1024):
        problems.append(f"{field}.description: at most 1024 characters, got {_quote(description)}")
    members = spec.get("members")
    problem = list_problem(members, f"{field}.members", "user names")
    if problem:
        problems.append(problem)
        members = []
    for member in members or []:
        if not isinstance(member, str) or not member.strip():
            problems.append(f"{field}.members: each member is a user name, got {_quote(member)}")
    return problems


# AWS Account Management: 1-25 characters of digits, spaces and + ( ) -; at least four digits to be a number.
PHONE = re.compile(r"^\+?[\d\s()-]{1,25}$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
CONTACT_FIELDS = ("name", "title", "email", "phone")
CONTACT_TYPES = ("billing", "operations", "security")


def validate_contact(spec, field=None):
    """Problems of one alternate contact (name, title, email, phone), all four required."""
    prefix = f"{field}." if field else ""
    problems = [f"{prefix}{key}: required with state=present" for key in CONTACT_FIELDS if not spec.get(key)]
    email, phone = spec.get("email"), spec.get("phone")
    if email and (not isinstance(email, str) or not EMAIL.match(email) or len(email) > 254):
        problems.append(f"{prefix}email: not an email address, got {_quote(email)}")
    if phone and (not isinstance(phone, str) or not PHONE.match(phone) or sum(c.isdigit() for c in phone) < 4):
        problems.append(f"{prefix}phone: not a phone number (digits, +, spaces, dashes, parentheses), "
                        f"got {_quote(phone)}")
    for key, limit in (("name", 64), ("title", 50)):
        if spec.get(key) and len(str(spec[key])) > limit:
            problems.append(f"{prefix}{key}: too long for AWS (at most {limit} characters), got {_quote(spec[key])}")
    return problems


def unknown_keys(entry, allowed, where):
    """A problem per key of `entry` outside `allowed` (typos are errors, not ignored options)."""
    return [f"{where}: unknown option '{key}' (expected one of {', '.join(sorted(allowed))})"
            for key in sorted(set(entry) - allowed)]


def duplicates(names):
    """Names listed more than once, in order; values that are not names (lists, mappings) are left to the
    type checks, which name them."""
    seen, repeated = set(), []
    for name in names:
        if isinstance(name, (list, dict, set)):
            continue
        if name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    return repeated


def list_problem(value, field, what):
    """Why `value` is not a list of `what` (None when it is a list or not given). A single value where a list
    belongs is named as such, so it is not read one character at a time."""
    if value is None or isinstance(value, list):
        return None
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return f"{field}: must be a list of {what}, got the single value {_quote(str(value))} (write it as a list: [{value}])"
    return f"{field}: must be a list of {what}, got {type(value).__name__} {_quote(value)}"


def string_problem(value, field, what):
    """Why `value` is not a non-empty string (None when it is)."""
    if isinstance(value, str) and value.strip():
        return None
    kind = "nothing" if value is None else f"{type(value).__name__} {_quote(value)}"
    return f"{field}: must be {what} (a string), got {kind}"
