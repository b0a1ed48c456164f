"""playbooks/migrate.yml with the shipped example access model, as `make demo` runs it."""

import json
import os
import re
import stat

import pytest

from conftest import REPO, private_estate

MIGRATE = os.path.join(REPO, "playbooks", "migrate.yml")
MODEL = os.path.join(REPO, "examples", "access-model.yml")


def _migrate(run_playbook, tmp_path):
    out = tmp_path / "out"

    def run(**kwargs):
        # The cli phase must never write the real ~/.aws/config.
        return run_playbook(MIGRATE, extra_vars={"ssoshift_output_dir": str(out),
                                                 "cli_profiles_operator_config_path": str(out / "operator-aws-config")},
                            args=("-e", f"@{MODEL}"), **kwargs), out

    return run


@pytest.fixture
def migrate(run_playbook, tmp_path):
    """migrate.yml on the worker's shared sandbox."""
    return _migrate(run_playbook, tmp_path)


@pytest.fixture
def migrated_estate(tmp_path_factory, tmp_path):
    """(sandbox, migrate) on a private sandbox: the whole migration changes the estate the worker's other test
    modules read (trusted access, centralized root access, password policies, roles in every account)."""
    for box, run_playbook in private_estate(tmp_path_factory, "migrate"):
        yield box, _migrate(run_playbook, tmp_path)


def test_check_mode_plans_then_migrate_converges_audits_every_legacy_user_and_a_second_run_changes_nothing(
        migrated_estate):
    sandbox, migrate = migrated_estate
    # Check mode on the fresh legacy estate (nothing of the migration exists yet): no write, and the plan.
    with sandbox.record() as recording:
        checked, dummy = migrate(check=True)
    assert checked.returncode == 0, checked.failures
    assert recording.writes == []
    # The plan of the identity phases: one bulk task for the directory, one for the permission sets.
    directory = checked.task("Users, groups and their members")
    assert directory["changed"] is True and directory["users"]["created"] == ["alice", "bob"]
    assert directory["memberships"]["added"] == [{"group": "platform-admins", "user": "alice"},
                                                 {"group": "developers", "user": "bob"}]
    plan = checked.task("Permission sets, each provisioned once at the end")
    assert plan["changed"] is True
    assert plan["created"] == ["AdministratorAccess", "ReadOnlyAccess", "DeveloperAccess"]

    run, out = migrate()
    assert run.returncode == 0, run.failures
    assert run.task("Say where the results are")["msg"][0] == (
        f"Access portal URL: https://{sandbox.state['identity_store_id']}.awsapps.com/start")
    audit_file = out / "legacy-iam-users-audit.json"
    assert stat.S_IMODE(audit_file.stat().st_mode) == 0o600
    audit = json.loads(audit_file.read_text())
    assert [(a["user_name"], a["account_id"], a["exists"]) for a in audit] == [
        ("admin", sandbox.accounts["management"], True),
        ("ci-deployer", sandbox.accounts["management"], True),
        ("prod-admin", sandbox.accounts["prod"], True),  # read inside prod through the access role
    ]
    assert audit[2]["footprint"]["arn"] == f"arn:aws:iam::{sandbox.accounts['prod']}:user/prod-admin"
    store = sandbox.state["identity_store_id"]
    identitystore = sandbox.client("identitystore")
    users = {u["UserName"] for u in identitystore.list_users(IdentityStoreId=store)["Users"]}
    assert {"alice", "bob"} <= users
    groups = {g["DisplayName"]: g["GroupId"] for g in identitystore.list_groups(IdentityStoreId=store)["Groups"]}
    admins = identitystore.list_group_memberships(IdentityStoreId=store, GroupId=groups["platform-admins"])
    assert len(admins["GroupMemberships"]) == 1
    sso_admin = sandbox.client("sso-admin")
    names = {sso_admin.describe_permission_set(InstanceArn=sandbox.state["instance_arn"], PermissionSetArn=arn)[
        "PermissionSet"]["Name"] for arn in sso_admin.list_permission_sets(
        InstanceArn=sandbox.state["instance_arn"])["PermissionSets"]}
    assert {"AdministratorAccess", "ReadOnlyAccess", "DeveloperAccess"} <= names
    text = audit_file.read_text()
    # The operator's secret key (the sandbox's "testing") is nowhere in the audit; IAM returns no user secret.
    assert "testing" not in text
    # The assumed-role credentials appear only masked in the run's output.
    shown = re.findall(r'"(?:secret_key|session_token)": ("[^"]*"|null)', run.stdout)
    assert shown and set(shown) <= {'"VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"', "null"}
    assert not re.search(r'"sts_creds"', run.stdout)

    assert run.task("Read the security posture of every account").get("skipped") is not True  # the before snapshot
    with sandbox.record() as recording:
        second, dummy = migrate()
    assert second.returncode == 0 and second.stats["changed"] == 0
    assert recording.writes == []
    # A re-run reads every account's posture once, in the report phase: the root phase keeps the first run's before
    # snapshot and says where this run's posture is read.
    assert second.task("Read the security posture of every account").get("skipped") is True
    assert "left to the end-state report" in second.task("Say where this run's posture is read")["msg"]
    assert recording.operations.count("GetAccountSummary") == len(sandbox.accounts)
    # The root phase alone (no report phase in the run) reads and prints it.
    alone, dummy = migrate(tags="root")
    assert alone.returncode == 0, alone.failures
    assert len(alone.task("Show the posture of every account")["msg"]) == len(sandbox.accounts)


def test_retire_phase_runs_alone(sandbox, migrate):
    run, out = migrate(tags="retire")
    assert run.returncode == 0, run.failures
    assert len(json.loads((out / "legacy-iam-users-audit.json").read_text())) == 3


def test_a_phase_tag_runs_that_phase_only(sandbox, run_playbook, tmp_path):
    model = {"identity_center": {
        "users": [{"user_name": "tag-user", "given_name": "Tag", "family_name": "User", "email": "tag@example.com"}],
        "groups": [{"name": "tag-group", "members": ["tag-user"]}],
        "permission_sets": [{"name": "TagOnlySet", "managed_policies": ["ReadOnlyAccess"]}],
        "assignments": [{"group": "tag-group", "permission_sets": ["TagOnlySet"], "targets": {"accounts": ["dev"]}}],
    }, "legacy_iam_users": [], "ssoshift_output_dir": str(tmp_path / "out")}
    with sandbox.record() as recording:
        run = run_playbook(MIGRATE, model, tags="directory")
    assert run.returncode == 0, run.failures
    assert "CreateUser" in recording.writes and "CreateGroup" in recording.writes
    assert "CreatePermissionSet" not in recording.writes and "CreateAccountAssignment" not in recording.writes


def test_confirmed_migration_disables_the_legacy_users_then_deletes_them_after_the_quarantine(tmp_path):
    """The issue's end state on a private sandbox: verify passes, confirmation given, users disabled;
    a second run changes nothing; a run after the quarantine deletes them."""
    import subprocess

    from conftest import ANSIBLE_PLAYBOOK, PlaybookRun, Sandbox, sandbox_tool

    directory = str(tmp_path / "sandbox")
    box = Sandbox(sandbox_tool.start(directory), directory)
    out = tmp_path / "out"

    def migrate(*extra):
        command = [ANSIBLE_PLAYBOOK, MIGRATE, "-e", f"@{MODEL}", "-e", f"ssoshift_output_dir={out}",
                   "-e", f"cli_profiles_operator_config_path={out}/operator-aws-config",
                   "-e", "confirm_portal_sign_in=true", *extra]
        return PlaybookRun(subprocess.run(command, capture_output=True, text=True, env=box.env(), cwd=str(tmp_path),
                                          timeout=600, check=False))

    try:
        with box.record() as recording:
            first = migrate()
        assert first.returncode == 0, first.failures
        # docs/operator-policy.json (tools/operator_policy.py) grants every call the operator's own keys made.
        policy = json.loads(open(os.path.join(REPO, "docs", "operator-policy.json")).read())
        granted = set(policy["Statement"][0]["Action"]) | {"sts:AssumeRole"}
        made = {sandbox_tool.iam_action_of(entry) for entry in recording.entries
                if "Credential=testing/" in json.dumps(entry.get("headers", {}))}
        assert made and made <= granted, sorted(made - granted)
        assert first.task("Show the verification")["msg"][1].startswith("Verification PASSED")
        iam, prod_iam = box.client("iam"), box.client("iam", account="prod")
        for client, name in ((iam, "admin"), (iam, "ci-deployer"), (prod_iam, "prod-admin")):
            keys = client.list_access_keys(UserName=name)["AccessKeyMetadata"]
            assert keys and {k["Status"] for k in keys} == {"Inactive"}, name
        assert len(list((out / "backups").glob("*.json"))) == 3

        with box.record() as recording:
            second = migrate()
        assert second.returncode == 0 and second.stats["changed"] == 0, second.failures
        assert recording.writes == []

        third = migrate("-e", "iam_user_retirement_quarantine_days=0", "--tags", "retire,report")
        assert third.returncode == 0, third.failures
        for client, name in ((iam, "admin"), (iam, "ci-deployer"), (prod_iam, "prod-admin")):
            try:
                client.get_user(UserName=name)
                raise AssertionError(f"{name} still exists")
            except client.exceptions.NoSuchEntityException:
                pass
        assert len(list((out / "backups").glob("*.json"))) == 6

        # The report of that run (only retire and report ran) reads the end state from the estate: every role is
        # there, the users are deleted with their pre-change backups, and what still fails needs a person.
        report = json.loads((out / "report.json").read_text())
        assert sorted(r["account_name"] for r in report["automation_roles"]) == ["dev", "prod", "staging"]
        assert sorted(r["account_name"] for r in report["break_glass_roles"]) == ["dev", "master", "prod", "staging"]
        assert {(u["user_name"], u["state"]) for u in report["retired_users"]} == {
            ("admin", "deleted"), ("ci-deployer", "deleted"), ("prod-admin", "deleted")}
        assert all(u["backup_file"] for u in report["retired_users"])
        assert [p["user_name"] for p in report["cli_profiles"]] == ["alice", "bob"]
        failing = {(a["account_name"], a["id"]) for a in report["posture"]["attention"]}
        assert failing == {("master", "root_mfa"), ("master", "root_hardware_mfa")}, failing
        assert all("console" in a["remediation"].lower() for a in report["posture"]["attention"])
    finally:
        sandbox_tool.stop(directory)
