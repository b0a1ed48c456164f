"""Bad input: each case fails with a message naming the field and the value, and nothing is written.

All cases run in one playbook (one task each, errors ignored) while moto's recorder is on, so
"zero write calls" covers the whole table.
"""

import pytest

BIG_POLICY = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "a" * 10241}]}

CASES = [
    ("bad-name", "permission_set", {"name": "bad name!"},
     "permission_set.name: must be 1-32 characters of letters, digits and +=,.@_-, got 'bad name!'"),
    ("long-name", "permission_set", {"name": "A" * 33}, f"got '{'A' * 33}'"),
    ("pt13h", "permission_set", {"name": "P13", "session_duration": "PT13H"},
     "permission_set.session_duration: must be between PT1H and PT12H, got 'PT13H'"),
    ("pt30m", "permission_set", {"name": "P30", "session_duration": "PT30M"},
     "permission_set.session_duration: must be between PT1H and PT12H, got 'PT30M'"),
    ("not-iso", "permission_set", {"name": "Pdur", "session_duration": "4 hours"},
     "permission_set.session_duration: must be an ISO-8601 duration such as PT4H or PT1H30M, got '4 hours'"),
    ("policy-too-big", "permission_set", {"name": "Pbig", "inline_policy": BIG_POLICY},
     "permission_set.inline_policy: 10349 characters, more than AWS's limit of 10240"),
    ("policy-not-json", "permission_set", {"name": "Pjson", "inline_policy": "{not json"},
     "permission_set.inline_policy: not valid JSON (Expecting property name enclosed in double quotes at character 1)"),
    ("policy-no-statement", "permission_set", {"name": "Pstmt", "inline_policy": {"Version": "2012-10-17"}},
     "permission_set.inline_policy: a policy document needs a 'Statement'"),
    ("customer-arn-as-managed", "permission_set",
     {"name": "Parn", "managed_policies": ["arn:aws:iam::123456789012:policy/Mine"]},
     "permission_set.managed_policies: not an AWS-managed policy ARN (arn:aws:iam::aws:policy/NAME) or name, "
     "got 'arn:aws:iam::123456789012:policy/Mine'"),
    ("bad-policy-path", "permission_set", {"name": "Ppath", "customer_managed_policies": [
        {"name": "ok", "path": "no-slashes"}]},
     "permission_set.customer_managed_policies: path must start and end with '/', got 'no-slashes'"),
    ("two-boundaries", "permission_set", {"name": "Pbnd", "permissions_boundary": {
        "managed_policy_arn": "AdministratorAccess", "customer_managed_policy_reference": {"name": "b"}}},
     "permission_set.permissions_boundary: give exactly one of managed_policy_arn or customer_managed_policy_reference"),
    ("http-relay", "permission_set", {"name": "Prelay", "relay_state": "http://console.aws.amazon.com"},
     "permission_set.relay_state: must be an https:// URL of at most 240 characters, got 'http://console.aws.amazon.com'"),
    ("aws-tag", "permission_set", {"name": "Ptag", "tags": {"aws:reserved": "x"}},
     "permission_set.tags: tag key 'aws:reserved' must be 1-128 characters and not start with 'aws:'"),
    ("long-description", "permission_set", {"name": "Pdesc", "description": "d" * 701},
     "permission_set.description: 1 to 700 characters"),
    ("bad-email", "identitystore_user",
     {"user_name": "bad-email", "given_name": "A", "family_name": "B", "email": "not-an-email"},
     "identitystore_user.email: not an email address, got 'not-an-email'"),
    ("empty-user-name", "identitystore_user", {"user_name": "", "given_name": "A"},
     "identitystore_user.user_name: must be 1-128 printable characters, got ''"),
    ("empty-member", "identitystore_group", {"display_name": "g-empty-member", "members": ["alice", ""]},
     "identitystore_group.members: each member is a user name, got ''"),
    ("duplicate-user", "access_model_validate", {"identity_center": {"users": [
        {"user_name": "dup", "given_name": "A", "family_name": "B", "email": "a@example.com"},
        {"user_name": "dup", "given_name": "C", "family_name": "D", "email": "c@example.com"}]}},
     "identity_center.users: user_name 'dup' is listed more than once"),
    ("typo-option", "access_model_validate", {"identity_center": {"permission_sets": [
        {"name": "X", "session_durations": "PT1H"}]}},
     "identity_center.permission_sets[0] (X): unknown option 'session_durations'"),
    ("unknown-member", "access_model_validate", {"identity_center": {"groups": [
        {"name": "g", "members": ["ghost-member"]}]}},
     "identity_center.groups[0] (g).members: user 'ghost-member' is not in the identity store"),
]


@pytest.fixture(scope="module")
def table_run(sandbox, run_playbook_module):
    tasks = [{"name": case_id, f"ssoshift.identity_center.{module}": args, "ignore_errors": True}
             for case_id, module, args, dummy in CASES]
    with sandbox.record() as recording:
        run = run_playbook_module([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}])
    return run, recording


def test_the_table_has_at_least_fifteen_cases():
    assert len(CASES) >= 15


@pytest.mark.parametrize("case_id,module,args,expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_naming_field_and_value(table_run, case_id, module, args, expected):
    result = table_run[0].task(case_id)
    assert result.get("failed") is True, result
    assert expected in result["msg"]


def test_no_case_wrote_anything(table_run):
    assert table_run[1].writes == []
