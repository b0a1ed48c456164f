"""The access_report role against the sandbox: the access model converged by the identity_center role, a
"before" posture taken with account_security_info, a change in between, then the report."""

import json
import re
import stat

import pytest

SETUP = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: access model
      ansible.builtin.include_role:
        name: ssoshift.identity_center.identity_center
"""

# The before snapshot as the earlier phase writes it: a JSON list of account_security_info results with account_name.
BEFORE = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Posture before
      ansible.builtin.include_tasks: before-account.yml
      loop: "{{ before_accounts | dict2items }}"
      loop_control:
        loop_var: account
    - name: Write the before snapshot
      ansible.builtin.copy:
        dest: "{{ before_file }}"
        content: "{{ snapshot | to_nice_json }}"
        mode: "0600"
"""
BEFORE_ACCOUNT = """
- ansible.builtin.include_role:
    name: ssoshift.identity_center.member_account
  vars:
    member_account_id: "{{ account.value }}"
- name: posture
  ssoshift.identity_center.account_security_info: "{{ member_account_auth }}"
  register: posture
- ansible.builtin.set_fact:
    snapshot: "{{ snapshot | default([]) + [{'account_id': posture.account_id, 'account_name': account.key,
                  'checks': posture.checks, 'summary': posture.summary}] }}"
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


def _inputs(sandbox, out):
    staging = sandbox.accounts["staging"]
    return {
        "ssoshift_output_dir": str(out),
        "iam_user_retirement_results": [
            {"account_id": sandbox.accounts["prod"], "account_name": "prod", "user_name": "prod-admin",
             "state": "disabled", "backup_file": f"{out}/backups/prod-admin.json",
             "disabled_at": "2026-11-26T10:00:00Z", "message": "keys deactivated, console password removed"}],
        "break_glass_roles": [
            {"account_id": staging, "account_name": "staging", "role_arn": f"arn:aws:iam::{staging}:role/break-glass",
             "trusted_principals": ["arn:aws:iam::123456789012:user/break-glass-1"], "max_session_duration": 3600,
             "alert_rule": "ssoshift-break-glass-used"}],
        "cli_profiles_snippets": [
            {"user_name": "rep-ann", "path": f"{out}/cli/rep-ann.config", "profiles": ["dev-admin"],
             "login_command": "aws sso login --profile dev-admin"}],
    }


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
    """The access model converged, the before snapshot written, then a fix and a regression in staging."""
    out = tmp_path_factory.mktemp("report") / "out"
    out.mkdir()
    setup = run_playbook_module(SETUP, {"identity_center": MODEL})
    assert setup.returncode == 0, setup.failures
    before_dir = tmp_path_factory.mktemp("before")
    (before_dir / "before-account.yml").write_text(BEFORE_ACCOUNT)
    playbook = before_dir / "before.yml"
    playbook.write_text(BEFORE)
    before = run_playbook_module(str(playbook), {
        "before_file": str(out / "posture-before.json"),
        "before_accounts": {"management": sandbox.accounts["management"], "staging": sandbox.accounts["staging"]}})
    assert before.returncode == 0, before.failures
    iam = sandbox.client("iam", "staging")
    iam.update_account_password_policy(MinimumPasswordLength=14)  # fixes IAM.15 in staging
    iam.create_user(UserName="rep-console")  # a console user appears in staging: a regression
    iam.create_login_profile(UserName="rep-console", Password="Not-A-Real-Secret-1!")
    (out / "cli").mkdir()  # as the cli phase writes it
    (out / "cli" / "rep-ann.config").write_text("[profile dev-admin]\nsso_session = acme\nsso_account_id = 210987654321\n")
    return out


@pytest.fixture(scope="module")
def first_report(sandbox, run_playbook_module, estate):
    run = run_playbook_module(REPORT, _inputs(sandbox, estate))
    assert run.returncode == 0, run.failures
    return run, estate


def _report(out):
    return json.loads((out / "report.json").read_text())


def test_three_files_with_mode_0600_and_the_paths_fact(first_report):
    run, out = first_report
    for name in ("report.json", "report.md", "report.html"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600, name
    assert run.task("Write the report")["changed"] is True
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
    prod = next(c for c in report["access"]["matrix"]
                if c["account_id"] == sandbox.accounts["prod"] and c["permission_set"] == "RepRead")
    assert {"principal": "group:rep-<ops>", "type": "GROUP", "name": "rep-<ops>",
            "members": ["rep-ann", "rep-bob"]} in prod["principals"]
    ann = next(u for u in report["access"]["users"] if u["user_name"] == "rep-ann")["access"]
    assert {"account_id": sandbox.accounts["prod"], "account_name": "prod", "permission_set": "RepRead",
            "via": "group:rep-<ops>"} in ann


def test_the_html_is_self_contained_and_shows_the_portal_url(sandbox, first_report):
    run, out = first_report
    page = (out / "report.html").read_text()
    assert not re.search(r"<link\b[^>]*href\s*=\s*[\"']?https?:", page, re.I)
    assert not re.search(r"<script\b", page, re.I)  # no script at all, inline or not
    assert not re.search(r"<img\b[^>]*src\s*=\s*[\"']?https?:", page, re.I)
    assert not re.search(r"url\(\s*[\"']?https?:", page, re.I)
    portal = f"https://{sandbox.state['identity_store_id']}.awsapps.com/start"
    assert f'<a href="{portal}">' in page
    assert "group:rep-&lt;ops&gt;" in page and "rep-<ops>" not in page


def test_posture_shows_before_and_after_with_prowler_and_security_hub_ids(sandbox, first_report):
    run, out = first_report
    posture = _report(out)["posture"]
    assert posture["before_available"] is True
    # Organizations names; moto names the management account "master".
    names = {account_id: name for name, account_id in sandbox.accounts.items()}
    accounts = {names[a["account_id"]]: a for a in posture["accounts"]}
    assert set(accounts) == set(sandbox.accounts)  # every ACTIVE account assessed now
    assert all(a["after_available"] for a in accounts.values())
    assert accounts["staging"]["before_available"] and not accounts["dev"]["before_available"]
    staging = {c["id"]: c for c in accounts["staging"]["checks"]}
    assert (staging["password_policy"]["before"], staging["password_policy"]["after"],
            staging["password_policy"]["delta"]) == ("fail", "pass", "fixed")
    assert (staging["password_policy"]["prowler"], staging["password_policy"]["security_hub"]) == (
        "iam_password_policy_minimum_length_14", "IAM.15")
    assert staging["no_console_users"]["delta"] == "regressed"
    management = {c["id"]: c for c in accounts["management"]["checks"]}
    assert management["no_admin_users"]["delta"] == "still_failing"  # the seeded admin keeps AdministratorAccess
    assert {("staging", "no_console_users"), ("management", "no_admin_users")} <= {
        (names[a["account_id"]], a["id"]) for a in posture["attention"]}
    page = (out / "report.html").read_text()
    text = (out / "report.md").read_text()
    row = re.search(r"<tr class=\"fixed\"><td>IAM password policy requires 14 or more characters.*?</tr>", page, re.S)
    assert row and "iam_password_policy_minimum_length_14" in row.group(0) and "IAM.15" in row.group(0)
    assert re.search(r"<span class=\"tag fail\">fail</span></td><td><span class=\"tag pass\">pass</span>", row.group(0))
    assert ("| IAM password policy requires 14 or more characters | `iam_password_policy_minimum_length_14` | "
            "`IAM.15` | fail | pass | fixed |") in text
    assert "| Check | Prowler | Security Hub | Before | After | Change |" in text


def test_optional_inputs_from_other_phases_are_reported(sandbox, first_report):
    run, out = first_report
    report = _report(out)
    assert [(r["user_name"], r["state"], r["backup_file"]) for r in report["retired_users"]] == [
        ("prod-admin", "disabled", f"{out}/backups/prod-admin.json")]
    assert report["break_glass_roles"][0]["alert_rule"] == "ssoshift-break-glass-used"
    text = (out / "report.md").read_text()
    # The snippet is read from the file the cli phase wrote.
    assert "Profiles: `dev-admin`" in text and "[profile dev-admin]\nsso_session = acme" in text
    assert "`aws sso login --profile dev-admin`" in text
    assert "<pre><code>[profile dev-admin]\nsso_session = acme" in (out / "report.html").read_text()
    assert report["summary"]["retired_users"] == {"audited": 0, "disabled": 1, "absent": 0, "refused": 0}


def test_a_second_run_changes_nothing_and_keeps_the_files(sandbox, run_playbook, first_report):
    run, out = first_report
    before = {name: (out / name).read_bytes() for name in ("report.json", "report.md", "report.html")}
    again = run_playbook(REPORT, _inputs(sandbox, out))
    assert again.returncode == 0, again.failures
    assert again.stats["changed"] == 0
    assert {name: (out / name).read_bytes() for name in before} == before


def test_check_mode_writes_nothing(sandbox, run_playbook, first_report, tmp_path):
    run, out = first_report
    before = {name: (out / name).read_bytes() for name in ("report.json", "report.md", "report.html")}
    inputs = dict(_inputs(sandbox, out), iam_user_retirement_results=[])  # the report would change
    with sandbox.record() as recording:
        checked = run_playbook(REPORT, inputs, check=True, diff=True)
    assert checked.returncode == 0, checked.failures
    written = checked.task("Write the report")
    assert written["changed"] is True and written["changed_files"] == ["json", "markdown", "html"]
    assert {name: (out / name).read_bytes() for name in before} == before
    assert recording.writes == []
    [markdown_diff, json_diff] = written["diff"]
    assert markdown_diff["before_header"] == str(out / "report.md") and "prod-admin" in markdown_diff["before"]
    assert "prod-admin" not in markdown_diff["after"]

    fresh = tmp_path / "never-written"
    checked = run_playbook(REPORT, dict(inputs, ssoshift_output_dir=str(fresh)), check=True)
    assert checked.returncode == 0, checked.failures
    assert not fresh.exists()


def test_without_a_before_file_the_report_says_so(sandbox, run_playbook, first_report, tmp_path):
    out = tmp_path / "elsewhere"
    run = run_playbook(REPORT, {"ssoshift_output_dir": str(out), "access_report_assess_posture": False})
    assert run.returncode == 0, run.failures
    assert _report(out)["posture"]["before_available"] is False
    assert "No before snapshot" in (out / "report.md").read_text()
    assert run.task("Show where the report is")["msg"][2].startswith("Posture now (no before snapshot): ")
    assert "<strong>No before snapshot</strong>" in (out / "report.html").read_text()


def test_bad_input_names_the_field_and_the_value(sandbox, run_playbook, tmp_path):
    run = run_playbook(REPORT, {"ssoshift_output_dir": str(tmp_path / "bad"), "access_report_assess_posture": False,
                                "iam_user_retirement_results": [{"user_name": "admin", "state": "gone"}]})
    assert run.returncode != 0
    assert ("retired_users[0].state: must be one of audited, disabled, absent, refused, got 'gone'"
            in run.task("Write the report")["msg"])
    assert not (tmp_path / "bad" / "report.json").exists()
