"""The root_account role (the `root` phase) against a private seeded sandbox: posture of every
account, the three alternate contacts everywhere, centralized root access reported where the
endpoint lacks it, bad contacts refused before any write, and a second run that changes nothing."""

import json
import os
import stat

import pytest

from conftest import private_estate, sandbox_tool

ROOT = """
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: ssoshift.identity_center.root_account
"""

CONTACTS = {
    "billing": {"name": "Finance team", "title": "Accounts payable", "email": "billing@example.com",
                "phone": "+44 20 7946 0100"},
    "operations": {"name": "Platform on-call", "title": "Operations", "email": "ops@example.com",
                   "phone": "+44 20 7946 0101"},
    "security": {"name": "Security team", "title": "CISO office", "email": "security@example.com",
                 "phone": "+44 20 7946 0102"},
}


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    # As the organization phase leaves it: trusted access for Account Management and IAM.
    yield from private_estate(tmp_path_factory, "root",
                              trusted_services=["account.amazonaws.com", "iam.amazonaws.com"])


def _vars(out, **extra):
    return dict({"alternate_contacts": CONTACTS, "root_account_output_dir": str(out)}, **extra)


def test_bad_contacts_are_refused_before_any_call_that_writes(estate, tmp_path):
    box, run = estate
    contacts = json.loads(json.dumps(CONTACTS))
    contacts["operations"]["phone"] = "call me"
    contacts["security"]["email"] = "security-at-example.com"
    with box.record() as recording:
        result = run(ROOT, _vars(tmp_path, alternate_contacts=contacts))
    assert recording.writes == [] and result.stats["failures"] == 1
    message = result.failures[0][1]
    assert "alternate_contacts.operations.phone: not a phone number" in message and "'call me'" in message
    assert "alternate_contacts.security.email: not an email address, got 'security-at-example.com'" in message


def test_check_mode_reads_the_posture_and_writes_nothing(estate, tmp_path):
    box, run = estate
    with box.record() as recording:
        result = run(ROOT, _vars(tmp_path / "check"), check=True)
    assert result.stats["failures"] == 0, result.failures
    assert recording.writes == []
    assert "GenerateCredentialReport" in recording.operations


def test_root_phase_sets_contacts_everywhere_keeps_the_before_posture_and_is_idempotent(estate, tmp_path):
    box, run = estate
    first = run(ROOT, _vars(tmp_path))
    assert first.stats["failures"] == 0, first.failures
    assert first.task("Alternate contacts on every account")["changed"] is True

    # Every ACTIVE account holds the three contacts (member accounts read from the management account).
    account = box.client("account")
    for name, account_id in box.accounts.items():
        target = {} if account_id == sandbox_tool.MANAGEMENT_ACCOUNT_ID else {"AccountId": account_id}
        for contact_type, contact in CONTACTS.items():
            stored = account.get_alternate_contact(AlternateContactType=contact_type.upper(), **target)["AlternateContact"]
            assert (stored["Name"], stored["EmailAddress"], stored["PhoneNumber"]) == (
                contact["name"], contact["email"], contact["phone"]), (name, contact_type)

    # Centralized root access enabled: both features, once.
    root_access = first.task("Centralized root access for member accounts")
    assert root_access["changed"] and root_access["enabled_features"] == ["RootCredentialsManagement", "RootSessions"]

    # The posture before the change, every account, mode 0600, read in each account's own credentials.
    before_path = tmp_path / "posture-before.json"
    assert stat.S_IMODE(os.stat(before_path).st_mode) == 0o600
    before = {entry["account_name"]: entry for entry in json.loads(before_path.read_text())}
    assert {entry["account_id"] for entry in before.values()} == set(box.accounts.values())
    checks = {name: {c["id"]: c for c in entry["checks"]} for name, entry in before.items()}
    assert checks["prod"]["no_active_access_keys"]["status"] == "fail"  # prod-admin's key, seen from prod
    assert [k["user"] for k in checks["prod"]["no_active_access_keys"]["evidence"]["access_keys"]] == ["prod-admin"]
    assert checks["dev"]["no_active_access_keys"]["status"] == "pass"
    assert checks["master"]["root_mfa"]["prowler"] == "iam_root_mfa_enabled"
    assert checks["master"]["root_mfa"]["security_hub"] == "IAM.9"
    assert all(c["security_contact"]["status"] == "fail" for c in checks.values())
    printed = first.task("Show the posture of every account")["msg"]
    assert sorted(line.split(" (")[0] for line in printed) == sorted(before)

    # Second run: nothing changes, nothing is written, and the "before" file is kept as it was.
    before_text = before_path.read_text()
    with box.record() as recording:
        second = run(ROOT, _vars(tmp_path))
    assert second.stats["failures"] == 0 and second.stats["changed"] == 0
    assert recording.writes == []
    assert before_path.read_text() == before_text
    # The role alone reads the posture on every run (root_account_audit_every_run's default) and hands it on.
    assert len(second.task("Read the security posture of every account")["accounts"]) == len(box.accounts)
    assert recording.operations.count("GetAccountSummary") == len(box.accounts)

    # root_account_audit_every_run=false (as migrate.yml sets it): the before snapshot exists, nothing gates on the
    # posture, so it is not read again; a gate in root_account_fail_on reads it.
    with box.record() as recording:
        third = run(ROOT, _vars(tmp_path, root_account_audit_every_run=False))
    assert third.stats["failures"] == 0 and "GetAccountSummary" not in recording.operations
    assert third.task("Read the security posture of every account").get("skipped") is True
    gated = run(ROOT, _vars(tmp_path, root_account_audit_every_run=False, root_account_fail_on=["root_no_access_keys"]))
    assert gated.returncode == 0, gated.failures
    assert len(gated.task("Read the security posture of every account")["accounts"]) == len(box.accounts)


def test_findings_fail_the_run_only_when_asked(estate, tmp_path):
    box, run = estate
    quiet = run(ROOT, _vars(tmp_path, root_account_accounts=["prod"]))
    assert quiet.stats["failures"] == 0
    strict = run(ROOT, _vars(tmp_path, root_account_accounts=["prod", "dev"],
                             root_account_fail_on=["no_active_access_keys", "root_no_access_keys"]))
    assert strict.stats["failures"] == 1
    assert strict.failures[0][1] == "Findings listed in fail_on: prod: no_active_access_keys"


def test_an_unknown_account_is_named(estate, tmp_path):
    box, run = estate
    with box.record() as recording:
        result = run(ROOT, _vars(tmp_path, root_account_accounts=["prod", "qa"]))
    assert recording.writes == []
    assert result.failures[0][1] == ("accounts (1 problem(s)): accounts: no account with ID or name 'qa' in the "
                                     "organization")


def test_on_a_fresh_organisation_contacts_fall_back_to_the_member_role_and_root_access_says_what_to_enable(
        tmp_path_factory, tmp_path):
    """No trusted access yet (the root role run before the organization phase): Account Management refuses AccountId,
    so each account sets its own contact through the member role; IAM refuses the organizations features with
    ServiceAccessNotEnabledException, and the task says what to enable."""
    for box, run in private_estate(tmp_path_factory, "fresh-root"):
        result = run(ROOT, _vars(tmp_path, alternate_contacts={"security": CONTACTS["security"]}))
        [(task, message)] = result.failures
        assert task.endswith("Centralized root access for member accounts")
        assert "trusted access for iam.amazonaws.com is not enabled in AWS Organizations" in message
        assert "ServiceAccessNotEnabledException" in message
        for name in ("dev", "prod"):
            stored = box.client("account", name).get_alternate_contact(AlternateContactType="SECURITY")
            assert stored["AlternateContact"]["EmailAddress"] == "security@example.com", name


def test_member_root_credentials_are_removed_centrally_never_the_management_account(tmp_path_factory, tmp_path):
    for box, run in private_estate(tmp_path_factory, "root-credentials", root_access=True, root_credentials=True,
                                   trusted_services=["account.amazonaws.com"]):
        variables = _vars(tmp_path, root_account_remove_member_root_credentials=True)
        with box.record() as recording:
            planned = run(ROOT, variables, check=True)
        assert planned.stats["failures"] == 0 and recording.writes == [], planned.failures
        planned_roots = planned.task("Remove the member accounts' root credentials centrally (sts:AssumeRoot)")
        assert {a["account_name"]: a["status"] for a in planned_roots["accounts"]} == {
            "dev": "deleted", "staging": "deleted", "prod": "deleted"}

        first = run(ROOT, variables)
        assert first.stats["failures"] == 0, first.failures
        removed = first.task("Remove the member accounts' root credentials centrally (sts:AssumeRoot)")
        assert {a["account_name"] for a in removed["accounts"]} == {"dev", "staging", "prod"}  # never the management
        assert all(a["after"] == {"password": 0, "access_keys": 0, "signing_certificates": 0, "mfa_devices": 0}
                   for a in removed["accounts"])
        # The member accounts' root users hold nothing now; the management account's root user is untouched.
        roots = sandbox_tool.control(box.endpoint, "root-credentials")
        for name in ("dev", "staging", "prod"):
            held = roots.get(box.accounts[name]) or {}
            assert not held.get("password") and not held.get("access_keys") and not held.get("mfa_devices"), name
        assert (roots.get(box.accounts["management"]) or {}).get("password")

        with box.record() as recording:
            second = run(ROOT, variables)
        assert second.stats["changed"] == 0 and recording.writes == []
        # The posture: a member account without root credentials passes the root checks, saying why.
        posture = {a["account_name"]: {c["id"]: c for c in a["checks"]}
                   for a in second.task("Read the security posture of every account")["accounts"]}
        for name in ("dev", "staging", "prod"):
            assert posture[name]["root_mfa"]["status"] == "pass", name
            assert "no password" in posture[name]["root_mfa"]["evidence"]["root_credentials"]
        assert posture["master"]["root_mfa"]["status"] == "fail"  # a person's console step
        assert "Assign MFA device" in posture["master"]["root_mfa"]["remediation"]
