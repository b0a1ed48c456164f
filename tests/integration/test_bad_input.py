"""Bad input: each case fails with a message naming the field and the value, and nothing is written.

All cases run in one playbook (one task each, errors ignored) while moto's recorder is on, so
"zero write calls" covers the whole table.
"""

import pytest

BIG_POLICY = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "a" * 10241}]}

CASES = [
    ("bad-name", "permission_set", {"name": "bad name!"},
     "permission_set.name: must be 1-32 characters of letters (A-Z, a-z), digits and +=,.@_- (ASCII only), "
     "got 'bad name!'"),
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


# ---------------------------------------------------------------------------------------------- the whole model
# The example access model of `make demo` with one change each, checked as migrate.yml checks it before its first
# write (access_model_validate with every section and the play's variable names).

def _example_model():
    import os

    import yaml

    from conftest import REPO
    with open(os.path.join(REPO, "examples", "access-model.yml")) as handle:
        return yaml.safe_load(handle)


def _changed(path, value):
    def change(model):
        node = model
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        return model
    return change


MODEL_CASES = [
    ("break-glass-takes-the-access-role", _changed(["break_glass", "role_name"], "OrganizationAccountAccessRole"),
     "break_glass.role_name: 'OrganizationAccountAccessRole' is the member role this run assumes to reach every member "
     "account (member_role_name); rewriting it would cut the run, and the operator, off those accounts"),
    ("break-glass-takes-the-deploy-role", _changed(["break_glass", "role_name"], "deploy"),
     "break_glass.role_name: 'deploy' is also the name of automation_roles[0] (deploy)"),
    ("automation-takes-control-tower", _changed(["automation_roles", 0, "name"], "AWSControlTowerExecution"),
     "automation_roles[0] (AWSControlTowerExecution).name: 'AWSControlTowerExecution' is the role the management "
     "account (or AWS Control Tower) uses"),
    ("non-ascii-permission-set", _changed(["identity_center", "permission_sets", 2, "name"], "Développeur"),
     "identity_center.permission_sets[2] (Développeur).name: must be 1-32 characters of letters (A-Z, a-z), digits "
     "and +=,.@_- (ASCII only), got 'Développeur'"),
    ("non-ascii-role", _changed(["automation_roles", 0, "name"], "déploy"),
     "automation_roles[0] (déploy).name: an IAM role name, 1-64 characters of letters (A-Z, a-z), digits and +=,.@_- "
     "(ASCII only), got 'déploy'"),
    ("administrators-as-a-string", _changed(["verification", "administrators"], "alice"),
     "verification.administrators: must be a list of Identity Center user names, got the single value 'alice'"),
    ("unknown-admin-permission-set", _changed(["verification", "permission_set"], "NoSuchSet"),
     "verification.permission_set: permission set 'NoSuchSet' is neither in identity_center.permission_sets nor in "
     "Identity Center"),
    ("verification-as-a-string", _changed(["verification"], "alice"),
     "verification: must be a mapping with administrators, permission_set and accounts, got str 'alice'"),
    ("member-in-a-nested-list", _changed(["identity_center", "groups", 0, "members"], [["alice"]]),
     "identity_center.groups[0] (platform-admins).members: each member is a user name, got '[\"alice\"]'"),
    ("user-name-as-a-list", _changed(["identity_center", "users", 0, "user_name"], ["alice"]),
     "identity_center.users[0].user_name: must be 1-128 printable characters, got '[\"alice\"]'"),
    ("permission-set-name-as-a-mapping", _changed(["identity_center", "permission_sets", 0, "name"], {"a": 1}),
     "identity_center.permission_sets[0].name: must be 1-32 characters of letters (A-Z, a-z), digits and +=,.@_- "
     "(ASCII only), got '{\"a\": 1}'"),
    ("members-as-a-string", _changed(["identity_center", "groups", 0, "members"], "alice"),
     "identity_center.groups[0] (platform-admins).members: must be a list of user names, got the single value 'alice' "
     "(write it as a list: [alice])"),
    ("target-accounts-as-a-string", _changed(["identity_center", "assignments", 2, "targets", "accounts"], "prod"),
     "identity_center.assignments[2].targets.accounts: must be a list of account names, IDs or 'management', got the "
     "single value 'prod'"),
    ("permission-sets-as-a-string", _changed(["identity_center", "assignments", 0, "permission_sets"],
                                             "AdministratorAccess"),
     "identity_center.assignments[0].permission_sets: must be a list of permission set names or ARNs, got the single "
     "value 'AdministratorAccess'"),
    # 012345670123 unquoted: YAML 1.1 reads an octal number.
    ("octal-account-id", _changed(["legacy_iam_users", 2, "account"], 0o12345670123),
     "legacy_iam_users[2] (prod-admin).account: 1402433619 is a number, not a 12-digit account ID: YAML reads an "
     "unquoted ID that starts with 0 as an octal number; write the ID in quotes ('012345670123')"),
]


def _validate_args(model, variable_names=()):
    args = {key: model[key] for key in ("identity_center", "alternate_contacts", "legacy_iam_users", "automation_roles",
                                        "break_glass", "verification") if key in model}
    return dict(args, variable_names=list(variable_names) + sorted(model))


@pytest.fixture(scope="module")
def model_table_run(sandbox, run_playbook_module):
    tasks = [{"name": case_id, "ssoshift.identity_center.access_model_validate": _validate_args(change(_example_model())),
              "ignore_errors": True} for case_id, change, dummy in MODEL_CASES]
    tasks.append({"name": "misspelt-section", "ignore_errors": True,
                  "ssoshift.identity_center.access_model_validate": _validate_args(_example_model(), ["identity_centre"])})
    tasks.append({"name": "the-example-itself", "ssoshift.identity_center.access_model_validate": _validate_args(
        _example_model())})
    with sandbox.record() as recording:
        run = run_playbook_module([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}])
    return run, recording


@pytest.mark.parametrize("case_id,change,expected", MODEL_CASES, ids=[c[0] for c in MODEL_CASES])
def test_one_change_to_the_example_model_is_refused_naming_field_and_value(model_table_run, case_id, change, expected):
    result = model_table_run[0].task(case_id)
    assert result.get("failed") is True, result
    assert expected in result["msg"], result["msg"]
    assert "unhashable" not in result["msg"] and "Traceback" not in result.get("module_stderr", "")


def test_a_misspelt_section_is_refused_with_the_intended_name(model_table_run):
    result = model_table_run[0].task("misspelt-section")
    assert result["problems"] == ["identity_centre: not a section of the access model; did you mean 'identity_center'? "
                                  "(a misspelt section is not read, and its phase would silently do nothing)"]


def test_the_example_model_passes_and_the_model_table_wrote_nothing(model_table_run):
    assert model_table_run[0].task("the-example-itself").get("failed") is not True
    assert model_table_run[1].writes == []


def test_migrate_stops_before_any_write_when_break_glass_would_take_the_access_role(sandbox, run_playbook, tmp_path):
    import os

    from conftest import REPO
    model = _changed(["break_glass", "role_name"], "OrganizationAccountAccessRole")(_example_model())
    model["identity_centre"] = model.pop("identity_center")
    with sandbox.record() as recording:
        run = run_playbook(os.path.join(REPO, "playbooks", "migrate.yml"),
                           dict(model, ssoshift_output_dir=str(tmp_path / "out")))
    assert run.returncode != 0
    assert recording.writes == []
    message = run.task("Validate the whole access model before any change")["msg"]
    assert "break_glass.role_name: 'OrganizationAccountAccessRole' is the member role this run assumes" in message
    assert "identity_centre: not a section of the access model; did you mean 'identity_center'?" in message
