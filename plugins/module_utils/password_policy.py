# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The IAM account password policy: AWS's recommended values, validation, plan (pure), read and write.

Defaults follow AWS Security Hub: IAM.15 (CIS, minimum length 14), IAM.16 (CIS, no reuse of the last 24
passwords) and IAM.7 (upper and lower case, numbers and symbols required). No maximum age by default: periodic
expiry is no longer recommended (NIST SP 800-63B; CIS AWS Foundations 3.0 dropped it); set max_password_age to
require one. After the migration no one should sign in with an IAM password at all; the policy protects the
ones that remain (break-glass users).
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

# option -> (UpdateAccountPasswordPolicy parameter, AWS default when the parameter is left out)
FIELDS = {
    "minimum_password_length": ("MinimumPasswordLength", 8),
    "require_symbols": ("RequireSymbols", False),
    "require_numbers": ("RequireNumbers", False),
    "require_uppercase_characters": ("RequireUppercaseCharacters", False),
    "require_lowercase_characters": ("RequireLowercaseCharacters", False),
    "allow_users_to_change_password": ("AllowUsersToChangePassword", False),
    "max_password_age": ("MaxPasswordAge", None),
    "password_reuse_prevention": ("PasswordReusePrevention", None),
    "hard_expiry": ("HardExpiry", False),
}
RECOMMENDED = {
    "minimum_password_length": 14,
    "require_symbols": True,
    "require_numbers": True,
    "require_uppercase_characters": True,
    "require_lowercase_characters": True,
    "allow_users_to_change_password": True,
    "max_password_age": None,
    "password_reuse_prevention": 24,
    "hard_expiry": False,
}
BOOLEANS = {key for key, (dummy, default) in FIELDS.items() if isinstance(default, bool)}


def desired_policy(overrides):
    """AWS's recommended policy with the model's overrides ({option: value}; None keeps the recommendation)."""
    policy = dict(RECOMMENDED)
    policy.update({key: value for key, value in (overrides or {}).items() if value is not None or key in
                   ("max_password_age", "password_reuse_prevention")})
    return policy


def policy_problems(overrides, field="password_policy"):
    """Every problem of the model's password_policy section, naming the field and the value."""
    if overrides is None:
        return []
    if not isinstance(overrides, dict):
        return [f"{field}: must be a mapping of password policy settings, got {type(overrides).__name__} "
                f"'{overrides}'"]
    problems = [f"{field}: unknown option '{key}' (expected one of {', '.join(sorted(FIELDS))})"
                for key in sorted(set(overrides) - set(FIELDS))]
    for key in sorted(set(overrides) & BOOLEANS):
        if not isinstance(overrides[key], bool):
            problems.append(f"{field}.{key}: must be true or false, got '{overrides[key]}'")
    limits = {"minimum_password_length": (6, 128), "max_password_age": (1, 1095), "password_reuse_prevention": (1, 24)}
    for key, (low, high) in limits.items():
        value = overrides.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(f"{field}.{key}: must be a whole number from {low} to {high} (IAM's limits), got '{value}'")
    if overrides.get("minimum_password_length") is not None and isinstance(overrides["minimum_password_length"], int) \
            and overrides["minimum_password_length"] < 14:
        problems.append(f"{field}.minimum_password_length: at least 14 is what Security Hub IAM.15 (CIS) requires, "
                        f"got '{overrides['minimum_password_length']}'")
    return problems


def from_aws(answer):
    """Our view of GetAccountPasswordPolicy's PasswordPolicy (None: the account has no policy)."""
    if answer is None:
        return None
    policy = {key: answer.get(parameter, default) for key, (parameter, default) in FIELDS.items()}
    # No expiry and no reuse prevention: AWS leaves the keys out; some endpoints answer 0, which means the same.
    for key in ("max_password_age", "password_reuse_prevention"):
        if not policy[key]:
            policy[key] = None
    return policy


def plan(desired, current):
    """{option: (before, after)} of what differs; everything when the account has no policy."""
    if current is None:
        return {key: (None, value) for key, value in desired.items()}
    return {key: (current.get(key), value) for key, value in desired.items() if current.get(key) != value}


def read(iam):
    try:
        return from_aws(iam.get_account_password_policy(aws_retry=True)["PasswordPolicy"])
    except is_boto3_error_code("NoSuchEntity"):
        return None


def write(iam, desired):
    """UpdateAccountPasswordPolicy with every setting (a parameter left out falls back to AWS's default)."""
    request = {parameter: desired[key] for key, (parameter, dummy) in FIELDS.items() if desired.get(key) is not None}
    iam.update_account_password_policy(aws_retry=True, **request)
