"""The break_glass role against the sandbox: the emergency role's trust (named principals, MFA),
maximum session, tags, the alert rule, idempotence, and unsafe principals refused before any write."""

import json

import pytest

ROLE = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: break glass
      ansible.builtin.include_role:
        name: ssoshift.identity_center.break_glass
    - name: report
      ansible.builtin.debug:
        var: break_glass_roles
"""
OPERATOR = "arn:aws:iam::123456789012:user/break-glass-operator"
VALIDATE = "Break-glass role in every account the access model names"


def test_break_glass_role_trusts_only_the_named_principal_with_mfa_and_alerts(sandbox, run_playbook):
    topic = sandbox.client("sns").create_topic(Name="break-glass-alerts")["TopicArn"]
    section = {"role_name": "BreakGlassTest", "accounts": ["dev", "prod"], "trusted_principals": [OPERATOR],
               "max_session_duration": 3600, "mfa_max_age": 900, "tags": {"ticket": "SEC-1"},
               "alert_topic_arn": topic}
    with sandbox.record() as recording:
        planned = run_playbook(ROLE, {"break_glass": section}, check=True)
    assert planned.returncode == 0, planned.failures
    assert recording.writes == []

    first = run_playbook(ROLE, {"break_glass": section})
    assert first.returncode == 0, first.failures
    report = first.task("report")["break_glass_roles"]
    for name in ("dev", "prod"):
        account_id = sandbox.accounts[name]
        iam = sandbox.client("iam", account=name)
        role = iam.get_role(RoleName="BreakGlassTest")["Role"]
        assert role["AssumeRolePolicyDocument"] == {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": OPERATOR}, "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                          "NumericLessThan": {"aws:MultiFactorAuthAge": "900"}}}]}
        assert role["MaxSessionDuration"] == 3600
        assert {t["Key"]: t["Value"] for t in role["Tags"]} == {
            "purpose": "break-glass", "managed-by": "ssoshift.identity_center", "ticket": "SEC-1"}
        assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="BreakGlassTest")[
            "AttachedPolicies"]] == ["arn:aws:iam::aws:policy/AdministratorAccess"]
        events = sandbox.client("events", account=name)
        rule = events.describe_rule(Name="BreakGlassTest-assumed")
        assert json.loads(rule["EventPattern"])["detail"] == {
            "eventSource": ["sts.amazonaws.com"], "eventName": ["AssumeRole"],
            "requestParameters": {"roleArn": [f"arn:aws:iam::{account_id}:role/BreakGlassTest"]}}
        assert [t["Arn"] for t in events.list_targets_by_rule(Rule="BreakGlassTest-assumed")["Targets"]] == [topic]
        assert {"account_id": account_id, "account_name": name, "role_name": "BreakGlassTest",
                "role_arn": f"arn:aws:iam::{account_id}:role/BreakGlassTest", "trusted_principals": [OPERATOR],
                "max_session_duration": 3600, "alert_rule": rule["Arn"], "action": "create",
                "changes": ["trust_policy", "description", "max_session_duration", "managed_policies", "tags"]} in report
    assert len(report) == 2
    # The staging account was not named: no role there.
    staging = sandbox.client("iam", account="staging")
    with pytest.raises(staging.exceptions.NoSuchEntityException):
        staging.get_role(RoleName="BreakGlassTest")

    with sandbox.record() as recording:
        second = run_playbook(ROLE, {"break_glass": section})
    assert second.returncode == 0 and second.stats["changed"] == 0
    assert recording.writes == []


UNSAFE = [
    ("account-root", ["arn:aws:iam::123456789012:root"],
     "break_glass.trusted_principals: 'arn:aws:iam::123456789012:root' is the whole account 123456789012, not its "
     "root user: the root user cannot assume IAM roles"),
    ("account-id", ["123456789012"], "'123456789012' is the whole account 123456789012"),
    ("star", ["*"], "break_glass.trusted_principals: '*' is a wildcard"),
    ("session", ["arn:aws:sts::123456789012:assumed-role/Ops/alice"], "is one session, not an identity"),
    ("none", [], "break_glass.trusted_principals: at least one named IAM role or user ARN is required"),
]


@pytest.mark.parametrize("case,principals,expected", UNSAFE, ids=[c[0] for c in UNSAFE])
def test_unsafe_principals_are_refused_with_zero_writes(sandbox, run_playbook, case, principals, expected):
    section = {"role_name": "BreakGlassUnsafe", "accounts": "all", "trusted_principals": principals}
    with sandbox.record() as recording:
        run = run_playbook(ROLE, {"break_glass": section})
    assert run.returncode != 0 and recording.writes == []
    assert expected in run.task(VALIDATE)["msg"]
    iam = sandbox.client("iam", account="dev")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName="BreakGlassUnsafe")
