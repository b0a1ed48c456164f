"""The access_report role against the sandbox: the report reads the end state from AWS and the controller's files,
whatever ran before it - the access model converged, a before snapshot, a fix and a regression, CI/CD and
break-glass roles, then access made by hand that the model does not describe (drift)."""

import json
import stat

import pytest

SETUP = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: access model
      ansible.builtin.include_role:
        name: ssoshift.identity_center.identity_center
    - name: roles
      ssoshift.identity_center.automation_roles:
        automation_roles: "{{ automation_roles }}"
    - name: break glass
      ssoshift.identity_center.break_glass_roles:
        break_glass: "{{ break_glass }}"
    - name: posture before
      ssoshift.identity_center.account_security_info:
        accounts: [management, staging]
      register: before
    - name: keep it
      ansible.builtin.copy:
        dest: "{{ before_file }}"
        content: "{{ before.accounts | to_nice_json }}"
        mode: "0600"
"""

REPORT = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: report
      ansible.builtin.include_role:
        name: ssoshift.identity_center.access_report
"""

MODEL = {
    "users": [{"user_name": "rep-ann", "given_name": "Ann", "family_name": "Lee", "email": "rep-ann@example.com"},
              {"user_name": "rep-bob", "given_name": "Bob", "family_name": "Roe", "email": "rep-bob@example.com"}],
    "groups": [{"name": "rep-admins", "members": ["rep-ann"]},
               {"name": "rep-<ops>", "members": ["rep-ann", "rep-bob"]}],
    "permission_sets": [{"name": "RepAdmin", "managed_policies": ["arn:aws:iam::aws:policy/AdministratorAccess"]},
                        {"name": "RepRead", "managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}],
    "assignments": [{"group": "rep-admins", "permission_sets": ["RepAdmin"], "targets": {"accounts": ["management", "dev"]}},
                    {"group": "rep-<ops>", "permission_sets": ["RepRead"], "targets": {"accounts": ["prod"]}},
                    {"user": "rep-bob", "permission_sets": ["RepRead"], "targets": {"accounts": ["dev"]}}],
}
AUTOMATION = [{"name": "rep-deploy", "accounts": ["dev"], "oidc": "github", "subjects": ["repo:acme/rep:environment:dev"]}]
BREAK_GLASS = {"role_name": "RepBreakGlass", "accounts": ["staging"],
               "trusted_principals": ["arn:aws:iam::123456789012:user/break-glass-1"]}
LEGACY = [{"name": "prod-admin", "account": "prod"}]


def _model_vars(out):
    return {"ssoshift_output_dir": str(out), "identity_center": MODEL, "automation_roles": AUTOMATION,
            "break_glass": BREAK_GLASS, "legacy_iam_users": LEGACY}


def _assignments_via_boto3(sandbox):
    """Every assignment, read straight from the API: {(account_id, permission set name, 'user:x'|'group:y')}."""
    sso = sandbox.client("sso-admin")
    store = sandbox.client("identitystore")
    instance, store_id = sandbox.state["instance_arn"], sandbox.state["identity_store_id"]
    found = set()
    for page in sso.get_paginator("list_permission_sets").paginate(InstanceArn=instance):
        for arn in page["PermissionSets"]:
            name = sso.describe_permission_set(InstanceArn=instance, PermissionSetArn=arn)["PermissionSet"]["Name"]
            accounts = [a for p in sso.get_paginator("list_accounts_for_provisioned_permission_set").paginate(
                InstanceArn=instance, PermissionSetArn=arn) for a in p["AccountIds"]]
            for account in accounts:
                for listing in sso.get_paginator("list_account_assignments").paginate(
                        InstanceArn=instance, AccountId=account, PermissionSetArn=arn):
                    for item in listing["AccountAssignments"]:
                        if item["PrincipalType"] == "USER":
                            label = "user:" + store.describe_user(IdentityStoreId=store_id,
                                                                  UserId=item["PrincipalId"])["UserName"]
                        else:
                            label = "group:" + store.describe_group(IdentityStoreId=store_id,
                                                                    GroupId=item["PrincipalId"])["DisplayName"]
                        found.add((account, name, label))
    return found


@pytest.fixture(scope="module")
def estate(sandbox, run_playbook_module, tmp_path_factory):
    """The model converged with its roles, the before snapshot written, a fix and a regression in staging, and access
    made by hand: an assignment and a group member the model does not list, an IAM user nobody accounts for."""
    out = tmp_path_factory.mktemp("report") / "out"
    out.mkdir()
    setup = run_playbook_module(SETUP, dict(_model_vars(out), before_file=str(out / "posture-before.json")))
    assert setup.returncode == 0, setup.failures
    staging = sandbox.client("iam", "staging")
    staging.update_account_password_policy(MinimumPasswordLength=14)  # fixes IAM.15 in staging
    staging.create_user(UserName="rep-console")  # a console user appears in staging: a regression
    staging.create_login_profile(UserName="rep-console", Password="Not-A-Real-Secret-1!")

    sso, store = sandbox.client("sso-admin"), sandbox.client("identitystore")
    instance, store_id = sandbox.state["instance_arn"], sandbox.state["identity_store_id"]
    arns = sso.list_permission_sets(InstanceArn=instance)["PermissionSets"]
    admin_set = next(a for a in arns if sso.describe_permission_set(InstanceArn=instance, PermissionSetArn=a)[
        "PermissionSet"]["Name"] == "RepAdmin")
    bob = store.get_user_id(IdentityStoreId=store_id, AlternateIdentifier={"UniqueAttribute": {
        "AttributePath": "userName", "AttributeValue": "rep-bob"}})["UserId"]
    sso.create_account_assignment(InstanceArn=instance, TargetId=sandbox.accounts["prod"], TargetType="AWS_ACCOUNT",
                                  PermissionSetArn=admin_set, PrincipalType="USER", PrincipalId=bob)
    admins = store.get_group_id(IdentityStoreId=store_id, AlternateIdentifier={"UniqueAttribute": {
        "AttributePath": "displayName", "AttributeValue": "rep-admins"}})["GroupId"]
    store.create_group_membership(IdentityStoreId=store_id, GroupId=admins, MemberId={"UserId": bob})
    sandbox.client("iam", "dev").create_user(UserName="rep-unlisted")

    backups = out / "backups"
    backups.mkdir()
    (backups / f"{sandbox.accounts['prod']}-prod-admin-20261126T100000Z.json").write_text("{}")
    (out / "cli-profiles").mkdir()  # as the cli phase writes it
    (out / "cli-profiles" / "rep-ann.config").write_text(
        "# managed by ssoshift.identity_center (sso-session acme)\n[profile dev-admin]\nsso_session = acme\n"
        "sso_account_id = 210987654321\n")
    return out


@pytest.fixture(scope="module")
def first_report(sandbox, run_playbook_module, estate):
    with sandbox.record() as recording:
        run = run_playbook_module(REPORT, _model_vars(estate))
    assert run.returncode == 0, run.failures
    assert recording.writes == []  # AWS is only read
    # The report shows a role's ARN, ownership and session duration, never its policies: GetRole alone per role.
    assert "GetRole" in recording.operations
    assert not {"ListAttachedRolePolicies", "ListRolePolicies", "GetRolePolicy"} & set(recording.operations)
    return run, estate


def _report(out):
    return json.loads((out / "report.json").read_text())


def test_three_files_with_mode_0600_and_the_paths_fact(first_report):
    run, out = first_report
    for name in ("report.json", "report.md", "report.html"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600, name
    assert run.task("Read the end state from AWS and write the report")["changed"] is True
    shown = run.task("Show where the report is")["msg"]
    assert shown[0].startswith(f"Report: {out}/report.html")
    assert shown[2].startswith("Posture: 1 fixed, 1 regressed, ")  # staging's password policy and console user


def test_the_matrix_equals_the_assignments_read_back_from_the_api(sandbox, first_report):
    run, out = first_report
    report = _report(out)
    listed = {(cell["account_id"], cell["permission_set"], principal["principal"])
              for cell in report["access"]["matrix"] for principal in cell["principals"]}
    assert listed == _assignments_via_boto3(sandbox)
    assert (sandbox.accounts["dev"], "RepRead", "user:rep-bob") in listed


def test_roles_providers_and_profiles_come_from_the_estate_not_from_the_run(sandbox, first_report):
    run, out = first_report
    report = _report(out)
    dev, staging = sandbox.accounts["dev"], sandbox.accounts["staging"]
    deploy = next(r for r in report["automation_roles"] if r["role_name"] == "rep-deploy")
    assert (deploy["account_id"], deploy["role_arn"], deploy["ownership"]) == (
        dev, f"arn:aws:iam::{dev}:role/rep-deploy", "managed")
    glass = next(r for r in report["break_glass_roles"] if r["role_name"] == "RepBreakGlass")
    assert (glass["account_id"], glass["trusted_principals"]) == (staging, BREAK_GLASS["trusted_principals"])
    assert any(p["account_id"] == dev and p["url"] == "https://token.actions.githubusercontent.com"
               and p["ownership"] == "managed" for p in report["oidc_providers"])
    assert [(p["user_name"], p["profiles"]) for p in report["cli_profiles"]] == [("rep-ann", ["dev-admin"])]


def test_drift_lists_the_access_made_by_hand_with_what_removes_it(sandbox, first_report):
    run, out = first_report
    result = run.task("Read the end state from AWS and write the report")
    assert "drift" in result, sorted(result)
    drift = {(line["kind"], line["account_name"], line["subject"]): line for line in result["drift"]}
    handmade = drift[("assignment_outside_model", "prod", "user:rep-bob -> RepAdmin")]
    assert "identity_center_purge_assignments: true removes it" in handmade["remedy"]
    member = drift[("group_member_outside_model", "", "rep-bob in group rep-admins")]
    assert "purge_members: true" in member["remedy"]
    assert ("iam_user_outside_model", "dev", "IAM user rep-unlisted") in drift
    # The legacy user of the model and the model's own assignments are not drift.
    assert not any(key[2] == "IAM user prod-admin" for key in drift)
    assert ("assignment_outside_model", "dev", "user:rep-bob -> RepRead") not in drift
    assert _report(out)["drift"] == run.task("Read the end state from AWS and write the report")["drift"]


def test_legacy_users_are_read_where_they_stand_with_their_pre_change_backup(sandbox, first_report):
    run, out = first_report
    [user] = _report(out)["retired_users"]
    assert (user["user_name"], user["account_id"], user["state"]) == ("prod-admin", sandbox.accounts["prod"], "audited")
    assert user["backup_file"] == str(out / "backups" / f"{sandbox.accounts['prod']}-prod-admin-20261126T100000Z.json")


def test_posture_before_and_after(sandbox, first_report):
    run, out = first_report
    posture = _report(out)["posture"]
    assert posture["before_available"] is True
    names = {account_id: name for name, account_id in sandbox.accounts.items()}
    accounts = {names[a["account_id"]]: a for a in posture["accounts"]}
    assert set(accounts) == set(sandbox.accounts)  # every ACTIVE account assessed now
    staging = {c["id"]: c for c in accounts["staging"]["checks"]}
    assert (staging["password_policy"]["before"], staging["password_policy"]["after"],
            staging["password_policy"]["delta"]) == ("fail", "pass", "fixed")
    assert staging["no_console_users"]["delta"] == "regressed"


def test_a_second_run_changes_nothing_and_check_mode_writes_nothing_to_aws(sandbox, run_playbook, first_report):
    run, out = first_report
    before = {name: (out / name).read_bytes() for name in ("report.json", "report.md", "report.html")}
    with sandbox.record() as recording:
        again = run_playbook(REPORT, _model_vars(out), check=True)
    assert again.returncode == 0, again.failures
    assert again.stats["changed"] == 0 and recording.writes == []
    assert {name: (out / name).read_bytes() for name in before} == before


def test_the_module_in_check_mode_writes_no_file_unless_asked(sandbox, run_playbook, tmp_path):
    fresh = tmp_path / "never-written"
    run = run_playbook("""
    - hosts: localhost
      gather_facts: false
      tasks:
        - name: report
          ssoshift.identity_center.access_report:
            dest: "{{ dest }}"
    """, {"dest": str(fresh)}, check=True)
    assert run.returncode == 0, run.failures
    assert run.task("report")["changed"] is True and not fresh.exists()


def test_without_a_before_file_the_report_says_so(sandbox, run_playbook, first_report, tmp_path):
    out = tmp_path / "elsewhere"
    run = run_playbook(REPORT, {"ssoshift_output_dir": str(out)})
    assert run.returncode == 0, run.failures
    assert _report(out)["posture"]["before_available"] is False
    assert run.task("Show where the report is")["msg"][2].startswith("Posture now (no before snapshot): ")


def test_a_legacy_user_in_an_unknown_account_is_named(sandbox, run_playbook, tmp_path):
    run = run_playbook(REPORT, {"ssoshift_output_dir": str(tmp_path / "bad"),
                                "legacy_iam_users": [{"name": "admin", "account": "atlantis"}]})
    assert run.returncode != 0
    assert ("legacy_iam_users[0].account: no account with ID or name 'atlantis' in the organization"
            in run.task("Read the end state from AWS and write the report")["msg"])
    assert not (tmp_path / "bad" / "report.json").exists()
