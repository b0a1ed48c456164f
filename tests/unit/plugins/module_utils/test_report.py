"""The end-state report: matrix, deltas, escaping, determinism, and the files (pure logic and local files)."""

import base64
import hashlib
import html
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
    # not applicable: nothing to check now (a member account's root MFA once its root credentials are gone)
    ("fail", "not_applicable", "fixed"), ("pass", "not_applicable", "not_applicable"),
    (None, "not_applicable", "not_applicable"), ("not_applicable", "not_applicable", "not_applicable"),
    ("not_applicable", "fail", "regressed"), ("not_applicable", "pass", "passing"),
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
                                  "not_applicable": 0, "passing": 1}
    assert [(a["account_name"], a["id"]) for a in posture["attention"]] == [
        ("management", "password_policy"), ("management", "no_admin_users"), ("dev", "root_mfa")]


def test_without_a_before_snapshot_the_report_says_so():
    built = report.build(_data(posture_before=None))
    assert built["posture"]["before_available"] is False and built["summary"]["before_snapshot"] is False
    assert all(c["before"] is None for a in built["posture"]["accounts"] for c in a["checks"])
    assert "No before snapshot" in report.to_markdown(built)
    assert "No before snapshot" in report.to_html(built)
    # Also where no posture was assessed at all.
    nothing = report.build(_data(posture_before=None, posture_after=[]))
    assert "No before snapshot" in report.to_markdown(nothing) and "No before snapshot" in report.to_html(nothing)
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
    assert page.count("<script") == 1 and page.count("<script>" + report._SCRIPT + "</script>") == 1
    assert "<img" not in page and "Admin<b>" not in page and "Admin&lt;b&gt;" in page
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
    assert not re.search(r"<(link|img|iframe|object|embed|base|form)\b", page, re.I)
    assert not re.search(r"url\(|@import|src=|fetch\(|XMLHttpRequest|WebSocket", page, re.I)
    # One inline script and one inline style, and a policy that allows exactly those (by hash) and nothing else.
    [script] = re.findall(r"<script>(.*?)</script>", page, re.S)
    [style] = re.findall(r"<style>(.*?)</style>", page, re.S)
    [policy] = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    policy = html.unescape(policy)
    assert policy.startswith("default-src 'none'; ")

    def digest(text):
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"
    assert f"script-src {digest(script)};" in policy and f"style-src {digest(style)};" in policy
    assert "unsafe-inline" not in policy and "http" not in policy
    assert page.index("Content-Security-Policy") < page.index("<style>")
    # Without the script the page reads the same: the filter bar is hidden until the script shows it.
    assert '<div id="flt" hidden>' in page
    # Every anchor and table the script and the links name is unique.
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids)) and {"flt", "fa", "fp", "grid", "matrix", "users", "groups"} <= set(ids)
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
    assert built["summary"]["retired_users"] == {"audited": 0, "disabled": 1, "absent": 1, "refused": 0,
                                                 "deleted": 0}
    assert "out/backups/prod-admin.json" in report.to_html(built)


def test_validation_names_the_field_and_the_value():
    problems = report.validate(_data(
        assignments=[{"account_id": DEV, "permission_set": "X", "principal_type": "ROLE", "principal": "role:x"}],
        retired_users=[{"user_name": "admin", "state": "gone"}, "admin"],
        posture_after=[{"account_id": DEV, "checks": [{"id": "root_mfa", "status": "maybe"}]}],
        break_glass_roles=[{"account_id": DEV}]))
    assert "assignments[0].principal_type: must be one of USER, GROUP, got 'ROLE'" in problems
    assert "retired_users[0].state: must be one of audited, disabled, absent, refused, deleted, got 'gone'" in problems
    assert "retired_users[1]: must be a dict, got 'admin'" in problems
    assert ("posture_after[0].checks[0] (root_mfa).status: must be one of pass, fail, unknown, not_applicable, "
            "got 'maybe'") in problems
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
         "backup_file": None, "disabled_at": None, "quarantine_ends": None,
         "message": "admin@management: credentials used 2 days ago"},
        {"account_id": PROD, "account_name": "prod", "user_name": "prod-admin", "state": "disabled",
         "backup_file": "b.json", "disabled_at": None, "quarantine_ends": None, "message": None}]
    assert "secret" not in report.to_json(built) and "AKIAEXAMPLE" not in report.to_json(built)
    assert built["summary"]["retired_users"]["refused"] == 1
    # A refusal is something that still fails.
    assert "retirement of admin refused: admin@management: credentials used 2 days ago" in report.to_markdown(built)
    assert "retirement of admin <span class=\"tag sf\">refused</span>" in report.to_html(built)


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


# ---------------------------------------------------------------------------------------------
# Version 2: not applicable checks, findings grouped by check, drift, roles, root credentials, password policy

ROOT_STEP = "Sign in as the root user of the management account and assign an MFA device (Security credentials)."
GONE = {"root_credentials": "none"}


def _organization(count):
    """The management account and count - 1 members, named m01, m02, ..."""
    accounts = [{"id": MGMT, "name": "management", "status": "ACTIVE", "ou_path": ""}]
    accounts += [{"id": f"{400000000000 + n:012d}", "name": f"m{n:02d}", "status": "ACTIVE", "ou_path": "Workloads"}
                 for n in range(1, count)]
    return {"organization": {"id": "o-abc", "management_account_id": MGMT}, "accounts": accounts}


def _root_posture(organization, before_status="fail"):
    """Every account's root checks: the management account's fail (with the console step); members' not apply."""
    before, after = [], []
    for account in organization["accounts"]:
        member = account["id"] != MGMT
        before.append({"account_id": account["id"], "checks": [
            _check("root_mfa", before_status, "iam_root_mfa_enabled", "IAM.9"),
            _check("password_policy", "fail", "iam_password_policy_minimum_length_14", "IAM.15")]})
        root_mfa = dict(_check("root_mfa", "not_applicable" if member else "fail", "iam_root_mfa_enabled", "IAM.9"),
                        evidence=GONE if member else {"AccountMFAEnabled": 0}, title="Root user has MFA")
        if not member:
            root_mfa["remediation"] = ROOT_STEP
        after.append({"account_id": account["id"], "checks": [
            root_mfa, _check("password_policy", "pass", "iam_password_policy_minimum_length_14", "IAM.15")]})
    return before, after


def test_findings_are_grouped_by_check_and_not_applicable_is_not_failing():
    organization = _organization(13)
    before, after = _root_posture(organization)
    built = report.build(_data(organization=organization, assignments=[], posture_before=before, posture_after=after))
    findings = {f["id"]: f for f in built["posture"]["findings"]}
    root_mfa = findings["root_mfa"]
    assert (root_mfa["accounts"], root_mfa["status"]) == (13, {"pass": 0, "fail": 1, "unknown": 0,
                                                               "not_applicable": 12, "none": 0})
    assert [(e["account_name"], e["delta"]) for e in root_mfa["failing"]] == [("management", "still_failing")]
    assert root_mfa["remediation"] == [ROOT_STEP] and root_mfa["delta"]["fixed"] == 12
    # The members' identical evidence is one group of 12 accounts, not 12 lines.
    assert [(g["after"], g["delta"], len(g["accounts"])) for g in root_mfa["evidence"]] == [
        ("fail", "still_failing", 1), ("not_applicable", "fixed", 12)]
    assert findings["password_policy"]["failing"] == [] and findings["password_policy"]["status"]["pass"] == 13
    # Still failing is only what needs a person: the management account's root MFA, with its console step.
    assert [(a["account_name"], a["id"], a["remediation"]) for a in built["posture"]["attention"]] == [
        ("management", "root_mfa", ROOT_STEP)]
    assert built["summary"]["still_failing"] == {"checks": 1, "findings": 1, "accounts": 1}
    assert built["summary"]["posture"]["fixed"] == 12 + 13
    text, page = report.to_markdown(built), report.to_html(built)
    assert "### Root user has MFA: failing in 1 of 13 accounts (12 not applicable)" in text
    assert "<h3>Root user has MFA: failing in 1 of 13 accounts (12 not applicable)</h3>" in page
    assert f"Remediation: {report.md(ROOT_STEP)}" in text and f"<b>Remediation:</b> {ROOT_STEP}</p>" in page
    assert "password_policy" not in text.split("## Still failing")[1].split("## Posture")[0]


def test_a_check_that_no_longer_applies_fixed_it_and_one_that_fails_again_regressed():
    organization = _organization(3)
    before, after = _root_posture(organization, before_status="not_applicable")
    member = organization["accounts"][1]["id"]
    after[1]["checks"][0] = dict(after[1]["checks"][0], status="fail", evidence={"AccountMFAEnabled": 0})
    built = report.build(_data(organization=organization, assignments=[], posture_before=before, posture_after=after))
    attention = [(a["account_id"], a["delta"]) for a in built["posture"]["attention"]]
    # The member's root user came back without MFA: that regressed, and is listed before what still fails.
    assert attention == [(member, "regressed"), (MGMT, "regressed")]


def test_the_grid_has_one_row_per_account_with_before_and_now_marks():
    organization = _organization(4)
    before, after = _root_posture(organization)
    after[2]["checks"].append(_check("security_contact", "unknown"))
    built = report.build(_data(organization=organization, assignments=[], posture_before=before, posture_after=after))
    assert [c["id"] for c in built["posture"]["checks"]] == ["root_mfa", "password_policy", "security_contact"]
    page = report.to_html(built)
    grid = re.search(r'<table id="grid" class="grid fa">.*?</table>', page, re.S).group(0)
    rows = re.findall(r"<tr><th>(.*?)</th>(.*?)</tr>", grid.split("<tbody>")[1])
    assert [re.sub(r"<.*", "", label).strip() for label, dummy in rows] == [
        "m01 (400000000001)", "m02 (400000000002)", "m03 (400000000003)", "management (123456789012)"]
    cells = re.findall(r"<td[^>]*>.*?</td>", rows[3][1])
    # management: root MFA failed and fails (no change: one mark); password policy failed, passes (both marks)
    assert cells[0] == '<td class="sf">\u2717</td>'
    assert cells[1] == '<td class="sp"><i class="sf">\u2717</i>\u2713</td>'
    assert cells[2] == '<td class="sx">\u00b7</td>'  # not assessed in this account
    assert cells[3] == '<td class="sf">1</td>'  # failing now
    assert re.findall(r"<td[^>]*>.*?</td>", rows[1][1])[:3] == [
        '<td class="sn"><i class="sf">\u2717</i>\u2013</td>', '<td class="sp"><i class="sf">\u2717</i>\u2713</td>',
        '<td class="su">?</td>']  # not in the before snapshot: the status now only
    assert 'management (123456789012) <span class="tag sn">management</span>' in grid
    text = report.to_markdown(built)
    assert "| Account | `root_mfa` | `password_policy` | `security_contact` | Failing |" in text
    assert "| management (123456789012) (management) | \u2717 | \u2717\u2192\u2713 | \u00b7 | 1 |" in text
    assert "| m02 (400000000002) | \u2717\u2192\u2013 | \u2717\u2192\u2713 | ? | 0 |" in text
    # An active account with no posture, where others have one, is named under the grid.
    organization["accounts"].append({"id": "499999999999", "name": "unreached", "status": "ACTIVE"})
    partly = report.build(_data(organization=organization, assignments=[], posture_before=before, posture_after=after))
    assert partly["posture"]["not_assessed"] == [{"account_id": "499999999999", "account_name": "unreached"}]
    assert "Not assessed now: unreached (499999999999)." in report.to_markdown(partly)
    assert "<p>Not assessed now: unreached (499999999999).</p>" in report.to_html(partly)
    assert built["posture"]["not_assessed"] == []
    # Without a before snapshot a cell is the status now only.
    alone = report.to_markdown(report.build(_data(organization=organization, assignments=[], posture_before=None,
                                                  posture_after=after)))
    assert "| management (123456789012) (management) | \u2717 | \u2713 | \u00b7 | 1 |" in alone


DRIFT = [
    {"kind": "iam_user_outside_model", "account_id": DEV, "account_name": "dev", "subject": "IAM user deploy-bot",
     "detail": "Neither a legacy user nor automation.", "remedy": "List it under legacy_iam_users."},
    {"kind": "assignment_outside_model", "account_id": PROD, "account_name": "prod",
     "subject": "user:mallory -> AdministratorAccess", "detail": "Assigned by hand.",
     "remedy": "purge: true removes it; or add it to the model."},
    {"kind": "group_member_outside_model", "account_id": None, "account_name": None,
     "subject": "group:devs member eve", "detail": "Not in the model.", "remedy": "purge: true removes it."},
]


def test_drift_is_listed_by_kind_with_its_remedy_and_absent_drift_is_not_called_none():
    built = report.build(_data(drift=DRIFT))
    assert [d["kind"] for d in built["drift"]] == ["assignment_outside_model", "group_member_outside_model",
                                                   "iam_user_outside_model"]
    assert built["summary"]["drift"] == {"assignment_outside_model": 1, "unmanaged_permission_set_assignment": 0,
                                         "group_member_outside_model": 1, "iam_user_outside_model": 1,
                                         "role_trusts_external_principal": 0}
    text, page = report.to_markdown(built), report.to_html(built)
    assert ("| prod (333333333333) | Assignment of a managed permission set outside the model | "
            "user:mallory -&gt; AdministratorAccess | Assigned by hand. | purge: true removes it; or add it to the "
            "model. |") in text
    assert '<span class="pr">user:mallory -&gt; AdministratorAccess</span>' in page
    assert '<table id="drift-table" class="fa fp">' in page
    assert "Drift was not read in this run." in report.to_markdown(report.build(_data()))
    assert report.build(_data())["drift"] is None
    assert "No access outside the model." in report.to_html(report.build(_data(drift=[])))


def test_the_matrix_marks_the_assignments_drift_names():
    handmade = _assignment(PROD, "AdministratorAccess", "user:mallory")
    built = report.build(_data(assignments=ASSIGNMENTS + [handmade], drift=DRIFT))
    prod = next(c for c in built["access"]["matrix"] if c["account_id"] == PROD
                and c["permission_set"] == "AdministratorAccess")
    assert prod["principals"] == [{"principal": "user:mallory", "type": "USER", "name": "mallory",
                                   "outside_model": True}]
    # The model's own assignments are not marked, nor is the same principal and set in another account.
    assert not any(e.get("outside_model") for c in built["access"]["matrix"] if c is not prod for e in c["principals"])
    assert "user:mallory **(outside the model)**" in report.to_markdown(built)
    assert '<div class="pr">user:mallory <span class="tag sf">outside the model</span></div>' in report.to_html(built)


def test_roles_providers_adopted_closed_accounts_and_deleted_users_are_reported():
    closed = {"id": "999999999999", "name": "old", "status": "CLOSED", "ou_path": ""}
    data = _data(
        organization=dict(ORG, accounts=ORG["accounts"] + [closed]),
        automation_roles=[{"account_id": DEV, "role_name": "deploy", "role_arn": f"arn:aws:iam::{DEV}:role/deploy",
                           "provider_arn": f"arn:aws:iam::{DEV}:oidc-provider/token.actions.githubusercontent.com",
                           "subjects": ["repo:acme/app:ref:refs/heads/main"], "ownership": "adopted"}],
        break_glass_roles=[{"account_id": PROD, "role_name": "break-glass",
                            "role_arn": f"arn:aws:iam::{PROD}:role/break-glass",
                            "trusted_principals": [f"arn:aws:iam::{MGMT}:root"], "max_session_duration": 3600,
                            "alert_rule": "ssoshift-break-glass-used", "ownership": "managed"}],
        oidc_providers=[{"account_id": DEV, "url": "https://token.actions.githubusercontent.com",
                         "arn": f"arn:aws:iam::{DEV}:oidc-provider/token.actions.githubusercontent.com",
                         "client_ids": ["sts.amazonaws.com"], "ownership": "unmanaged"}],
        adopted={"permission_sets": ["ReadOnlyAccess"], "groups": ["devs"],
                 "roles": [{"account_id": DEV, "role_name": "deploy"}]},
        closed_accounts=[{"account_id": "999999999999", "account_name": "old", "status": "CLOSED"}],
        retired_users=[{"account_id": MGMT, "user_name": "admin", "state": "deleted",
                        "backup_file": "out/backups/admin.json", "quarantine_ends": "2026-12-01T00:00:00+00:00"}])
    assert report.validate(data) == []
    built = report.build(data)
    assert built["oidc_providers"][0]["account_name"] == "dev"
    assert built["adopted"] == {"permission_sets": ["ReadOnlyAccess"], "groups": ["devs"],
                                "roles": [{"account_id": DEV, "account_name": "dev", "role_name": "deploy"}]}
    assert built["summary"]["ownership"] == {"managed": 1, "adopted": 1, "unmanaged": 1}
    assert built["summary"]["retired_users"]["deleted"] == 1 and built["summary"]["closed_accounts"] == 1
    text, page = report.to_markdown(built), report.to_html(built)
    for content in ("deploy", "repo:acme/app:ref:refs/heads/main", "token.actions.githubusercontent.com",
                    "ssoshift-break-glass-used", "out/backups/admin.json", "2026-12-01T00:00:00+00:00",
                    "old (999999999999)", "sts.amazonaws.com"):
        assert content in text and content in page, content
    assert "- Roles: deploy in dev (210987654321)" in text
    assert "| dev (210987654321) | `deploy` | `token.actions.githubusercontent.com` |" in text
    # An account the organization says is suspended is listed too, once; a closed account with no assignment is
    # listed as closed, not as an empty row of the access matrix.
    suspended = {"id": "888888888888", "name": "paused", "status": "SUSPENDED", "ou_path": ""}
    data["organization"] = dict(data["organization"], accounts=data["organization"]["accounts"] + [suspended])
    assert [(c["account_name"], c["status"]) for c in report.build(data)["closed_accounts"]] == [
        ("old", "CLOSED"), ("paused", "SUSPENDED")]
    matrix = re.search(r'<table id="matrix".*?</table>', page, re.S).group(0)
    assert "999999999999" not in matrix and "999999999999" not in text.split("## Access: accounts")[1].split("##")[0]


def test_member_root_credentials_before_and_after():
    rows = [{"account_id": PROD, "account_name": "prod", "status": "deleted", "reason": None,
             "before": {"password": 1, "access_keys": 2, "signing_certificates": 0, "mfa_devices": None},
             "after": {"password": 0, "access_keys": 0, "signing_certificates": 0, "mfa_devices": 0},
             "deleted": ["password", "access_keys"]},
            {"account_id": DEV, "account_name": "dev", "status": "unknown", "reason": "AssumeRoot denied by an SCP",
             "before": None, "after": None, "deleted": []}]
    built = report.build(_data(root_credentials=rows))
    assert [r["account_name"] for r in built["root_credentials"]] == ["dev", "prod"]
    assert built["root_credentials"][1]["deleted"] == ["access_keys", "password"]
    assert built["summary"]["root_credentials"] == {"audited": 0, "deleted": 1, "none": 0, "unknown": 1}
    text = report.to_markdown(built)
    assert ("| prod (333333333333) | deleted | 1 \u2192 0 | 2 \u2192 0 | 0 | ? \u2192 0 | access\\_keys, password "
            "| - |") in text
    assert "| dev (210987654321) | unknown | - | - | - | - | - | AssumeRoot denied by an SCP |" in text
    assert "AssumeRoot denied by an SCP" in report.to_html(built)
    assert report.build(_data())["root_credentials"] is None


def test_password_policies_are_grouped_by_policy_the_non_compliant_first():
    strong = {"MinimumPasswordLength": 14, "RequireSymbols": True}
    rows = [{"account_id": MGMT, "compliant": True, "policy": strong},
            {"account_id": DEV, "compliant": True, "policy": dict(strong)},
            {"account_id": PROD, "compliant": False, "policy": None}]
    built = report.build(_data(password_policy=rows))
    assert built["summary"]["password_policy"] == {"compliant": 2, "not_compliant": 1}
    text = report.to_markdown(built)
    assert "Compliant in 2 of 3 accounts." in text
    assert ("| **no** | no password policy | prod (333333333333) |\n"
            "| yes | MinimumPasswordLength 14, RequireSymbols yes | dev (210987654321), management (123456789012) |"
            ) in text


def test_validation_of_the_version_2_inputs():
    problems = report.validate(_data(
        drift=[{"kind": "hand_made", "subject": "x"}, {"kind": "iam_user_outside_model"}],
        oidc_providers=[{"arn": "arn:aws:iam::1:oidc-provider/x", "ownership": "mine"}],
        root_credentials=[{"account_id": DEV, "status": "gone", "before": {"password": "yes"}, "after": []}],
        password_policy=[{"account_id": DEV, "compliant": "true"}],
        adopted={"permission_sets": "ReadOnlyAccess", "roles": [{"account_id": DEV}]},
        closed_accounts=[{"status": "CLOSED"}],
        posture_after=[{"account_id": DEV, "checks": [{"id": "root_mfa", "status": "not_applicable"}]}]))
    expected = [
        "drift[0].kind: must be one of assignment_outside_model, unmanaged_permission_set_assignment, "
        "group_member_outside_model, iam_user_outside_model, role_trusts_external_principal, got 'hand_made'",
        "oidc_providers[0].ownership: must be one of managed, adopted, unmanaged, got 'mine'",
        "root_credentials[0].status: must be one of audited, deleted, none, unknown, got 'gone'",
        "root_credentials[0].before.password: must be a count or null, got 'yes'",
        "root_credentials[0].after: must be a dict of counts, got []",
        "password_policy[0].compliant: must be true or false, got 'true'",
        "adopted.permission_sets: must be a list, got 'ReadOnlyAccess'",
        "adopted.roles[0]: must be a dict with 'role_name', got {'account_id': '210987654321'}",
    ]
    for problem in expected:
        assert problem in problems
    assert any(p.startswith("drift[1]: 'subject' is required") for p in problems)
    assert any(p.startswith("closed_accounts[0]: 'account_id' is required") for p in problems)
    assert not any(p.startswith("posture_after") for p in problems)  # not_applicable is a status


def test_hostile_names_in_every_new_section_stay_text():
    evil = "<script>alert(1)</script>"
    img = '"><img src=x onerror=alert(1)>'
    organization = dict(ORG, accounts=ORG["accounts"] + [{"id": "444444444444", "name": img, "status": "ACTIVE"}])
    data = _data(
        organization=organization,
        posture_after=AFTER + [{"account_id": "444444444444", "checks": [
            dict(_check(evil, "fail"), title=img, remediation=evil, evidence={evil: img})]}],
        drift=[{"kind": "iam_user_outside_model", "account_id": "444444444444", "subject": evil, "detail": img,
                "remedy": evil}],
        oidc_providers=[{"account_id": DEV, "arn": evil, "url": "javascript:alert(1)", "client_ids": [img]}],
        adopted={"permission_sets": [evil], "groups": [img], "roles": [{"account_id": DEV, "role_name": evil}]},
        closed_accounts=[{"account_id": "555555555555", "account_name": evil, "status": img}],
        root_credentials=[{"account_id": "444444444444", "status": "unknown", "reason": evil, "deleted": [img]}],
        password_policy=[{"account_id": "444444444444", "compliant": False, "policy": {evil: img}}],
        cli_profiles=[{"user_name": evil, "profiles": [img], "content": evil, "login_command": img}])
    assert report.validate(data) == []
    built = report.build(data)
    page = report.to_html(built)
    assert page.count("<script") == 1 and "<img" not in page and 'href="javascript' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    text = report.to_markdown(built)
    # Identifiers are code spans (literal text in Markdown); outside them nothing is raw HTML.
    prose = re.sub(r"`[^`\n]*`", "", re.sub(r"^(`{3,})ini\n.*?^\1$", "", text, flags=re.M | re.S))
    assert "<script" not in prose and "<img" not in prose and "&lt;script&gt;" in prose
    assert "](javascript" not in text and "<javascript" not in text


def test_same_input_in_any_order_gives_the_same_bytes_for_the_new_sections():
    organization = _organization(6)
    before, after = _root_posture(organization)
    lists = {"drift": DRIFT,
             "root_credentials": [{"account_id": a["id"], "status": "deleted", "deleted": ["password", "mfa_devices"]}
                                  for a in organization["accounts"][1:]],
             "password_policy": [{"account_id": a["id"], "compliant": True, "policy": {"MinimumPasswordLength": 14}}
                                 for a in organization["accounts"]],
             "oidc_providers": [{"account_id": a["id"], "arn": f"arn:aws:iam::{a['id']}:oidc-provider/x",
                                 "client_ids": ["b", "a"]} for a in organization["accounts"]],
             "closed_accounts": [{"account_id": f"99999999999{n}", "status": "CLOSED"} for n in range(3)]}
    base = _data(organization=organization, assignments=[], posture_before=before, posture_after=after, **lists)
    first = report.render(report.build(base))
    shuffled = random.Random(11)
    for dummy in range(4):
        data = dict(base, posture_before=shuffled.sample(before, len(before)),
                    posture_after=shuffled.sample(after, len(after)))
        for key, items in lists.items():
            data[key] = [dict(item, deleted=shuffled.sample(item["deleted"], 2)) if "deleted" in item else item
                         for item in shuffled.sample(items, len(items))]
        assert report.render(report.build(data)) == first


def _estate(accounts):
    """A realistic input of `accounts` accounts: the access model's groups in every account, a team group per 15
    accounts, the posture before and after, a legacy user, an automation role, an OIDC provider and a break-glass
    role per account, member root credentials, password policies, drift and CLI profiles of hundreds of lines."""
    organization = _organization(accounts)
    ids = [(a["id"], a["name"]) for a in organization["accounts"]]
    groups = [{"display_name": "platform-admins", "members": [f"admin-{n}" for n in range(8)]},
              {"display_name": "auditors", "members": [f"auditor-{n}" for n in range(5)]},
              {"display_name": "developers", "members": [f"developer-{n:02d}" for n in range(40)]}]
    groups += [{"display_name": f"team-{t:02d}", "members": [f"team{t:02d}-{n}" for n in range(6)]} for t in range(20)]
    assignments = []
    for index, (account_id, name) in enumerate(ids):
        assignments += [_assignment(account_id, "AdministratorAccess", "group:platform-admins"),
                        _assignment(account_id, "ReadOnlyAccess", "group:auditors"),
                        _assignment(account_id, "PowerUserAccess", f"group:team-{index % 20:02d}")]
        if index % 3:
            assignments.append(_assignment(account_id, "DeveloperAccess", "group:developers"))
    checks = ("root_mfa", "root_no_access_keys", "root_hardware_mfa", "centralized_root_access", "password_policy",
              "no_console_users", "no_active_access_keys", "no_admin_users", "no_user_attached_policies",
              "no_unused_credentials", "security_contact", "identity_center_in_use")
    before = [{"account_id": i, "account_name": n, "checks": [
        dict(_check(c, "fail", f"prowler_{c}", "IAM.1"), evidence={"users": [f"{n}-admin"]}) for c in checks]}
        for i, n in ids]
    member_root = {(i, c) for i, n in ids for c in checks if c.startswith("root") and i != MGMT}
    after = [{"account_id": i, "account_name": n, "checks": [
        dict(_check(c, "not_applicable" if (i, c) in member_root else "fail" if c == "root_mfa" else "pass",
                    f"prowler_{c}", "IAM.1"), evidence=GONE if (i, c) in member_root else {"users": []})
        for c in checks]} for i, n in ids]
    return _data(
        organization=organization, assignments=assignments, groups=groups, posture_before=before, posture_after=after,
        retired_users=[{"account_id": i, "user_name": f"{n}-admin", "state": "deleted",
                        "backup_file": f"out/backups/{i}-{n}-admin.json", "disabled_at": "2026-11-02T09:12:00+00:00",
                        "quarantine_ends": "2026-11-30T09:12:00+00:00"} for i, n in ids],
        automation_roles=[{"account_id": i, "role_name": "github-deploy",
                           "role_arn": f"arn:aws:iam::{i}:role/github-deploy",
                           "provider_arn": f"arn:aws:iam::{i}:oidc-provider/token.actions.githubusercontent.com",
                           "subjects": [f"repo:acme/{n}:environment:prod"], "ownership": "managed"} for i, n in ids],
        break_glass_roles=[{"account_id": i, "role_name": "break-glass",
                            "role_arn": f"arn:aws:iam::{i}:role/break-glass",
                            "trusted_principals": [f"arn:aws:iam::{MGMT}:root"], "max_session_duration": 3600,
                            "alert_rule": "ssoshift-break-glass-used", "ownership": "managed"} for i, n in ids],
        oidc_providers=[{"account_id": i, "url": "https://token.actions.githubusercontent.com",
                         "arn": f"arn:aws:iam::{i}:oidc-provider/token.actions.githubusercontent.com",
                         "client_ids": ["sts.amazonaws.com"], "ownership": "managed"} for i, n in ids],
        root_credentials=[{"account_id": i, "status": "deleted", "deleted": ["password"],
                           "before": {"password": 1, "access_keys": 0, "signing_certificates": 0, "mfa_devices": 0},
                           "after": {"password": 0, "access_keys": 0, "signing_certificates": 0, "mfa_devices": 0}}
                          for i, n in ids[1:]],
        password_policy=[{"account_id": i, "compliant": True,
                          "policy": {"MinimumPasswordLength": 14, "RequireSymbols": True}} for i, n in ids],
        drift=[{"kind": "iam_user_outside_model", "account_id": i, "subject": f"IAM user bot-{n}",
                "detail": "Neither a legacy user being retired nor known automation.",
                "remedy": "List it under legacy_iam_users to retire it."} for i, n in ids[::3]],
        adopted={"permission_sets": ["ReadOnlyAccess"], "groups": ["auditors"],
                 "roles": [{"account_id": i, "role_name": "github-deploy"} for i, n in ids[:30]]},
        cli_profiles=[{"user_name": f"admin-{u}", "path": f"out/cli-profiles/admin-{u}.config",
                       "profiles": [f"{n}-{p}" for i, n in ids for p in ("AdministratorAccess", "ReadOnlyAccess")],
                       "content": "".join(f"[profile {n}-AdministratorAccess]\nsso_session = acme\n"
                                          f"sso_account_id = {i}\nsso_role_name = AdministratorAccess\n\n"
                                          for i, n in ids),
                       "login_command": "aws sso login --sso-session acme"} for u in range(8)])


def test_the_page_of_300_accounts_is_under_2_mb_with_one_grid_row_per_account():
    data = _estate(300)
    assert report.validate(data) == []
    built = report.build(data)
    page = report.to_html(built)
    size = len(page.encode("utf-8"))
    assert size < 2 * 1024 * 1024, f"report.html of 300 accounts is {size} bytes"
    grid = re.search(r'<table id="grid".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    assert grid.count("<tr><th>") == 300
    matrix = re.search(r'<table id="matrix".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    assert matrix.count("<tr><th>") == 300
    # A 40-member group is counted in each cell and listed once; a CLI file of 300 accounts is named, not copied.
    assert "group:developers<span class=\"m\"> (40 members)</span>" in matrix
    assert page.count("developer-07") == 2  # the groups table and the users table, not 200 matrix cells
    lines = data["cli_profiles"][0]["content"].rstrip("\n").count("\n") + 1
    assert f"The configuration ({lines} lines) is in the file." in page and "and 570 more (see the file)" in page
    # Still failing holds only the management account's root MFA.
    assert built["summary"]["still_failing"] == {"checks": 1, "findings": 1, "accounts": 1}
    assert "### title of root\\_mfa: failing in 1 of 300 accounts (299 not applicable)" in report.to_markdown(built)
