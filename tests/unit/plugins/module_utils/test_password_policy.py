"""The IAM password policy: AWS's recommendation, validation and the plan (module_utils/password_policy.py)."""

import pytest

from ansible_collections.ssoshift.identity_center.plugins.module_utils import password_policy as engine
from ansible_collections.ssoshift.identity_center.plugins.module_utils.posture import assess

from .test_posture import NOW, _facts


def test_the_recommendation_passes_the_posture_check_and_overrides_apply():
    policy = engine.desired_policy({})
    assert policy["minimum_password_length"] == 14 and policy["password_reuse_prevention"] == 24
    assert policy["max_password_age"] is None  # no periodic expiry unless asked
    facts = _facts(password_policy={"MinimumPasswordLength": policy["minimum_password_length"]})
    assert {c["id"]: c["status"] for c in assess(facts, now=NOW)}["password_policy"] == "pass"
    assert engine.desired_policy({"minimum_password_length": 20, "max_password_age": 90})["max_password_age"] == 90


@pytest.mark.parametrize("overrides,expected", [
    ({"minimum_password_length": 8}, "password_policy.minimum_password_length: at least 14 is what Security Hub "
                                     "IAM.15 (CIS) requires, got '8'"),
    ({"minimum_password_length": 200}, "password_policy.minimum_password_length: must be a whole number from 6 to 128"),
    ({"password_reuse_prevention": 30}, "password_policy.password_reuse_prevention: must be a whole number from 1 to 24"),
    ({"require_symbols": "yes"}, "password_policy.require_symbols: must be true or false, got 'yes'"),
    ({"min_length": 14}, "password_policy: unknown option 'min_length'"),
    ("strict", "password_policy: must be a mapping of password policy settings, got str 'strict'"),
])
def test_bad_settings_name_the_field_and_the_value(overrides, expected):
    assert any(p.startswith(expected) for p in engine.policy_problems(overrides)), engine.policy_problems(overrides)


def test_the_plan_is_everything_without_a_policy_and_only_the_differences_with_one():
    desired = engine.desired_policy({})
    assert set(engine.plan(desired, None)) == set(engine.FIELDS)
    current = engine.from_aws({"MinimumPasswordLength": 14, "RequireSymbols": True, "RequireNumbers": True,
                               "RequireUppercaseCharacters": True, "RequireLowercaseCharacters": True,
                               "AllowUsersToChangePassword": True, "PasswordReusePrevention": 12})
    assert engine.plan(desired, current) == {"password_reuse_prevention": (12, 24)}
    assert engine.plan(desired, engine.from_aws(dict({"PasswordReusePrevention": 24}, **{
        p: desired[k] for k, (p, d) in engine.FIELDS.items() if desired[k] is not None}))) == {}


def test_zero_expiry_and_reuse_read_as_none():
    current = engine.from_aws({"MinimumPasswordLength": 14, "MaxPasswordAge": 0, "PasswordReusePrevention": 0})
    assert current["max_password_age"] is None and current["password_reuse_prevention"] is None
