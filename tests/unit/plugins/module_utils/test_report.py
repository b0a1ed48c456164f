"""The end-state report: matrix, deltas, escaping, determinism, and the files (pure logic and local files)."""

import json
import os
import random
import re
import stat

import pytest

from ansible_collections.ssoshift.identity_center.plugins.module_utils import report

MGMT, DEV, PROD = "123456789012", "210987654321", "333333333333"
ORG = {"organization": {"id": "o-abc", "management_account_id": MGMT},
       "accounts": [{"id": MGMT, "name": "management", "status": "ACTIVE", "ou_path": ""},
                    {"id": DEV, "name": "dev", "status": "ACTIVE", "ou_path": "Workloads/NonProd"},
                    {"id": PROD, "name": "prod", "status": "ACTIVE", "ou_path": "Workloads/Prod"}]}
INSTANCE = {"instance_arn": "arn:aws:sso:::instance/ssoins-1", "identity_store_id": "d-1",
            "portal_url": "https://d-1.awsapps.com/start"}


def _assignment(account_id, permission_set, principal):
    kind, name = principal.split(":")
    return {"account_id": account_id, "account_name": None, "permission_set": permission_set,
            "permission_set_arn": f"arn:aws:sso:::permissionSet/ssoins-1/ps-{permission_set}",
            "principal_type": kind.upper(), "principal_id": f"id-{name}", "principal": principal}


ASSIGNMENTS = [_assignment(MGMT, "AdministratorAccess", "group:admins"),
               _assignment(DEV, "AdministratorAccess", "group:admins"),
               _assignment(DEV, "DeveloperAccess", "group:devs"),
               _assignment(DEV, "DeveloperAccess", "user:carol"),
               _assignment(PROD, "ReadOnlyAccess", "group:devs")]
GROUPS = [{"display_name": "admins", "members": ["alice"]}, {"display_name": "devs", "members": ["bob", "alice"]},
          {"display_name": "unused", "members": []}]


def _check(check_id, status, prowler=None, security_hub=None):
    return {"id": check_id, "title": f"title of {check_id}", "status": status, "evidence": {"n": 1},
            "prowler": prowler, "security_hub": security_hub}


BEFORE = [{"account_id": MGMT, "account_name": "master", "checks": [
    _check("root_mfa", "fail", "iam_root_mfa_enabled", "IAM.9"), _check("no_admin_users", "fail"),
    _check("password_policy", "pass", "iam_password_policy_minimum_length_14", "IAM.15"),
    _check("security_contact", "fail", "account_security_contact_information_is_registered", "Account.1"),
    _check("centralized_root_access", "unknown")]}]
AFTER = [{"account_id": MGMT, "checks": [
    _check("root_mfa", "pass", "iam_root_mfa_enabled", "IAM.9"), _check("no_admin_users", "fail"),
    _check("password_policy", "fail", "iam_password_policy_minimum_length_14", "IAM.15"),
    _check("security_contact", "unknown", "account_security_contact_information_is_registered", "Account.1"),
    _check("centralized_root_access", "pass")]},
    {"account_id": DEV, "checks": [_check("root_mfa", "fail", "iam_root_mfa_enabled", "IAM.9")]}]


def _data(**overrides):
    data = {"organization": ORG, "instance": INSTANCE, "assignments": ASSIGNMENTS, "groups": GROUPS,
            "posture_before": BEFORE, "posture_before_source": "out/posture-before.json", "posture_after": AFTER,
            "retired_users": [], "automation_roles": [], "break_glass_roles": [], "cli_profiles": [],
            "generated_at": "2026-11-26T10:00:00+00:00"}
    data.update(overrides)
    return data


def test_matrix_lists_each_cell_with_its_principals_and_group_members():
    built = report.build(_data())
    cells = {(c["account_name"], c["permission_set"]): c["principals"] for c in built["access"]["matrix"]}
    assert set(cells) == {("management", "AdministratorAccess"), ("dev", "AdministratorAccess"),
                          ("dev", "DeveloperAccess"), ("prod", "ReadOnlyAccess")}
    assert cells[("dev", "DeveloperAccess")] == [
        {"principal": "group:devs", "type": "GROUP", "name": "devs", "members": ["alice", "bob"]},
        {"principal": "user:carol", "type": "USER", "name": "carol"}]
    assert built["access"]["permission_sets"] == ["AdministratorAccess", "DeveloperAccess", "ReadOnlyAccess"]
    assert built["summary"]["assignments"] == 5 and built["summary"]["permission_sets"] == 3


def test_users_reach_accounts_directly_or_through_named_groups():
    users = {u["user_name"]: u["access"] for u in report.build(_data())["access"]["users"]}
    assert set(users) == {"alice", "bob", "carol"}
    assert [(a["account_name"], a["permission_set"], a["via"]) for a in users["alice"]] == [
        ("dev", "AdministratorAccess", "group:admins"), ("dev", "DeveloperAccess", "group:devs"),
        ("management", "AdministratorAccess", "group:admins"), ("prod", "ReadOnlyAccess", "group:devs")]
    assert users["carol"] == [{"account_id": DEV, "account_name": "dev", "permission_set": "DeveloperAccess",
                               "via": "direct"}]


@pytest.mark.parametrize("before, after, expected", [
    ("fail", "pass", "fixed"), ("pass", "fail", "regressed"), ("fail", "fail", "still_failing"),
    ("pass", "pass", "passing"), (None, "pass", "passing"), ("unknown", "fail", "failing"), (None, "fail", "failing"),
    ("fail", "unknown", "unknown"), ("pass", None, "unknown"),
])
def test_delta_of_one_check(before, after, expected):
    assert report.delta(before, after) == expected


def test_posture_pairs_before_and_after_per_account_and_check():
    posture = report.build(_data())["posture"]
    management, dev = posture["accounts"][1], posture["accounts"][0]
    assert (dev["account_name"], management["account_name"]) == ("dev", "management")
    changes = {c["id"]: (c["before"], c["after"], c["delta"]) for c in management["checks"]}
    assert changes == {"root_mfa": ("fail", "pass", "fixed"), "no_admin_users": ("fail", "fail", "still_failing"),
                       "password_policy": ("pass", "fail", "regressed"),
                       "security_contact": ("fail", "unknown", "unknown"),
                       "centralized_root_access": ("unknown", "pass", "passing")}
    # The worst first, so a reader sees what fails before what passes.
    assert [c["delta"] for c in management["checks"]] == ["regressed", "still_failing", "unknown", "fixed", "passing"]
    root_mfa = next(c for c in management["checks"] if c["id"] == "root_mfa")
    assert (root_mfa["prowler"], root_mfa["security_hub"]) == ("iam_root_mfa_enabled", "IAM.9")
    assert dev["before_available"] is False and dev["checks"][0]["delta"] == "failing"
    assert posture["summary"] == {"regressed": 1, "still_failing": 1, "failing": 1, "unknown": 1, "fixed": 1,
                                  "passing": 1}
    assert [(a["account_name"], a["id"]) for a in posture["attention"]] == [
        ("management", "password_policy"), ("management", "no_admin_users"), ("dev", "root_mfa")]


def test_without_a_before_snapshot_the_report_says_so():
    built = report.build(_data(posture_before=None))
    assert built["posture"]["before_available"] is False and built["summary"]["before_snapshot"] is False
    assert all(c["before"] is None for a in built["posture"]["accounts"] for c in a["checks"])
    assert "No before snapshot" in report.to_markdown(built)
    assert "No before snapshot" in report.to_html(built)
    # An empty list is a snapshot (of no account), not a missing one.
    assert report.build(_data(posture_before=[]))["posture"]["before_available"] is True


def test_same_input_in_any_order_gives_the_same_bytes():
    first = report.render(report.build(_data()))
    shuffled = random.Random(7)
    for dummy in range(5):
        data = _data()
        for key in ("assignments", "groups", "posture_after"):
            data[key] = shuffled.sample(data[key], len(data[key]))
        data["organization"] = dict(ORG, accounts=shuffled.sample(ORG["accounts"], 3))
        assert report.render(report.build(data)) == first


def test_every_value_is_escaped_in_html_and_markdown():
    evil = "<script>alert(1)</script>"
    data = _data(assignments=[_assignment(DEV, "Admin<b>", f"group:{evil}")],
                 groups=[{"display_name": evil, "members": ['"><img src=x onerror=alert(1)>']}],
                 retired_users=[{"account_id": DEV, "user_name": "</td><script>", "state": "disabled",
                                 "backup_file": "a|b.json"}],
                 instance=dict(INSTANCE, portal_url="javascript:alert(1)"))
    built = report.build(data)
    page = report.to_html(built)
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'href="javascript' not in page
    text = report.to_markdown(built)
    assert "<script" not in text and "<img" not in text
    assert "`a\\|b.json`" in text  # a | in a value does not split the table cell


def test_html_is_self_contained():
    built = report.build(_data(cli_profiles=[{"user_name": "alice", "path": "~/.aws/config",
                                              "profiles": "[profile dev]\nsso_session = acme\n",
                                              "login_command": "aws sso login --sso-session acme"}]))
    page = report.to_html(built)
    assert not re.search(r"<(link|script|img|iframe|object|embed)\b", page, re.I)
    assert not re.search(r"url\(|@import|src=", page, re.I)
    assert '<a href="https://d-1.awsapps.com/start">' in page
    assert "[profile dev]\nsso_session = acme" in page and "aws sso login --sso-session acme" in page


def test_cli_profiles_as_names_with_the_config_read_from_the_file():
    built = report.build(_data(cli_profiles=[{"user_name": "bob", "path": "out/cli/bob.config",
                                              "profiles": ["dev-DeveloperAccess", "prod-ReadOnlyAccess"],
                                              "content": "[sso-session acme]\nsso_region = eu-west-1\n",
                                              "login_command": "aws sso login --profile dev-DeveloperAccess"}]))
    text = report.to_markdown(built)
    assert "Profiles: `dev-DeveloperAccess`, `prod-ReadOnlyAccess`" in text
    assert "```ini\n[sso-session acme]\nsso_region = eu-west-1\n```" in text
    assert "<code>prod-ReadOnlyAccess</code>" in report.to_html(built)


def test_json_round_trips_and_lists_retired_users_by_account():
    retired = [{"account_id": PROD, "account_name": "prod", "user_name": "prod-admin", "state": "disabled",
                "backup_file": "out/backups/prod-admin.json", "disabled_at": "2026-11-26T10:00:00Z", "message": ""},
               {"account_id": MGMT, "user_name": "admin", "state": "absent", "backup_file": "out/backups/admin.json"}]
    built = report.build(_data(retired_users=retired))
    assert json.loads(report.to_json(built)) == built
    assert [(r["account_name"], r["user_name"]) for r in built["retired_users"]] == [("management", "admin"),
                                                                                     ("prod", "prod-admin")]
    assert built["summary"]["retired_users"] == {"audited": 0, "disabled": 1, "absent": 1, "refused": 0}
    assert "out/backups/prod-admin.json" in report.to_html(built)


def test_validation_names_the_field_and_the_value():
    problems = report.validate(_data(
        assignments=[{"account_id": DEV, "permission_set": "X", "principal_type": "ROLE", "principal": "role:x"}],
        retired_users=[{"user_name": "admin", "state": "deleted"}, "admin"],
        posture_after=[{"account_id": DEV, "checks": [{"id": "root_mfa", "status": "maybe"}]}],
        break_glass_roles=[{"account_id": DEV}]))
    assert "assignments[0].principal_type: must be USER or GROUP, got 'ROLE'" in problems
    assert "retired_users[0].state: must be one of audited, disabled, absent, refused, got 'deleted'" in problems
    assert "retired_users[1]: must be a dict, got 'admin'" in problems
    assert "posture_after[0].checks[0] (root_mfa).status: must be one of pass, fail, unknown, got 'maybe'" in problems
    assert any(p.startswith("break_glass_roles[0]: 'role_arn' is required") for p in problems)
    assert report.validate(_data()) == []


def test_plan_keeps_the_timestamp_when_only_the_timestamp_would_change(tmp_path):
    dest = str(tmp_path / "out")
    data = _data()
    files, built = report.plan(dest, data, timestamp="2026-11-26T10:00:00+00:00")
    assert all(entry["write"] for entry in files.values())
    report.write(dest, files)
    for entry in files.values():
        assert stat.S_IMODE(os.stat(entry["path"]).st_mode) == 0o600
    assert sorted(os.listdir(dest)) == ["report.html", "report.json", "report.md"]  # no temporary file left

    again, rebuilt = report.plan(dest, data, timestamp="2027-01-01T00:00:00+00:00")
    assert not any(entry["write"] or entry["chmod"] for entry in again.values())
    assert rebuilt["generated_at"] == "2026-11-26T10:00:00+00:00"

    os.chmod(files["html"]["path"], 0o644)
    loose, dummy = report.plan(dest, data)
    assert loose["html"]["chmod"] and not loose["html"]["write"]

    changed, newer = report.plan(dest, _data(assignments=ASSIGNMENTS[:2]), timestamp="2027-01-01T00:00:00+00:00")
    assert all(entry["write"] for entry in changed.values()) and newer["generated_at"] == "2027-01-01T00:00:00+00:00"


def test_only_the_end_state_of_other_phases_is_kept():
    retired = [{"account_id": PROD, "user_name": "prod-admin", "state": "disabled", "changed": True,
                "actions": ["deactivate access key AKIAEXAMPLE"], "backup_file": "b.json",
                "message": "prod-admin@prod: disabled (3 change(s); backup b.json)"},
               {"account_id": MGMT, "user_name": "admin", "state": "refused",
                "message": "admin@management: credentials used 2 days ago"}]
    roles = [{"account_id": DEV, "role_arn": "arn:aws:iam::210987654321:role/deploy", "session_token": "secret"}]
    built = report.build(_data(retired_users=retired, automation_roles=roles))
    assert built["retired_users"] == [
        {"account_id": MGMT, "account_name": "management", "user_name": "admin", "state": "refused",
         "backup_file": None, "disabled_at": None, "message": "admin@management: credentials used 2 days ago"},
        {"account_id": PROD, "account_name": "prod", "user_name": "prod-admin", "state": "disabled",
         "backup_file": "b.json", "disabled_at": None, "message": None}]
    assert "secret" not in report.to_json(built) and "AKIAEXAMPLE" not in report.to_json(built)
    assert built["summary"]["retired_users"]["refused"] == 1
    # A refusal is something that still fails.
    assert "retirement of admin refused: admin@management: credentials used 2 days ago" in report.to_markdown(built)
    assert "retirement of admin <span class=\"tag fail\">refused</span>" in report.to_html(built)


def test_a_rerun_that_did_nothing_keeps_the_backup_file_and_the_report(tmp_path):
    backup = tmp_path / "backups" / "prod-admin.json"
    backup.parent.mkdir()
    backup.write_text("{}")
    dest = str(tmp_path / "out")
    first = [{"account_id": PROD, "user_name": "prod-admin", "state": "disabled", "backup_file": str(backup),
              "disabled_at": "2026-11-26T10:00:00Z", "message": "prod-admin@prod: disabled (3 change(s))"}]
    files, dummy = report.plan(dest, _data(retired_users=first))
    report.write(dest, files)
    # The next run: nothing to do, so no backup and another message.
    again = [{"account_id": PROD, "user_name": "prod-admin", "state": "disabled", "backup_file": None,
              "disabled_at": None, "message": "prod-admin@prod: already disabled"}]
    files, built = report.plan(dest, _data(retired_users=again))
    assert not any(entry["write"] for entry in files.values())
    assert built["retired_users"][0]["backup_file"] == str(backup)
    # A backup that is gone is not named any more; a new state is a new report.
    backup.unlink()
    assert report.plan(dest, _data(retired_users=again))[1]["retired_users"][0]["backup_file"] is None
    deleted = [dict(again[0], state="absent")]
    assert report.plan(dest, _data(retired_users=deleted))[1]["retired_users"][0]["backup_file"] is None
