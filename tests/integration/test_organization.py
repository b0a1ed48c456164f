"""organization, organization_info and alternate_contact against the sandbox."""

import subprocess

import pytest

from conftest import ANSIBLE_PLAYBOOK, PlaybookRun, Sandbox, sandbox_tool

ORGANIZATION = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: org
      ssoshift.identity_center.organization:
        trusted_services: "{{ services }}"
"""

CONTACT = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: contact
      ssoshift.identity_center.alternate_contact: "{{ args }}"
"""

SECURITY = {"contact_type": "security", "name": "Security team", "title": "CISO office",
            "email": "security@example.com", "phone": "+44 20 7946 0000"}


def test_trusted_access_is_enabled_once_and_check_mode_writes_nothing(sandbox, run_playbook):
    services = ["sso.amazonaws.com", "account.amazonaws.com", "iam.amazonaws.com"]
    with sandbox.record() as recording:
        planned = run_playbook(ORGANIZATION, {"services": services}, check=True).task("org")
    assert recording.writes == []
    enabled_before = {s["ServicePrincipal"] for s in sandbox.client("organizations").list_aws_service_access_for_organization()[
        "EnabledServicePrincipals"]}
    assert sorted(planned["enabled_services"]) == sorted(set(services) - enabled_before)

    first = run_playbook(ORGANIZATION, {"services": services}).task("org")
    assert first["organization"]["feature_set"] == "ALL"
    assert first["organization"]["management_account_id"] == sandbox.accounts["management"]
    assert set(services) <= set(first["trusted_services"])
    with sandbox.record() as recording:
        again = run_playbook(ORGANIZATION, {"services": services}).task("org")
    assert again["changed"] is False and recording.writes == []

    info = run_playbook("""
    - hosts: localhost
      gather_facts: false
      tasks:
        - name: info
          ssoshift.identity_center.organization_info:
    """).task("info")
    assert set(services) <= set(info["trusted_services"])
    assert info["delegated_administrators"] == []


def test_unknown_trusted_service_is_refused_before_any_call(sandbox, run_playbook):
    with sandbox.record() as recording:
        result = run_playbook(ORGANIZATION, {"services": ["sso.amazonaws.com", "ssso.amazonaws.com"]}).task("org")
    assert result["failed"] is True and recording.operations == []
    assert "trusted_services: 'ssso.amazonaws.com' is not a service that supports trusted access" in result["msg"]


def _fresh(tmp_path, name):
    directory = str(tmp_path / name)
    return Sandbox(sandbox_tool.start(directory, seed_estate=False), directory), directory


def _run(box, tmp_path, playbook, extra):
    path = tmp_path / "org.yml"
    path.write_text(playbook)
    return PlaybookRun(subprocess.run([ANSIBLE_PLAYBOOK, str(path), "-e", extra], capture_output=True, text=True,
                                      env=box.env(), cwd=str(tmp_path), timeout=300, check=False))


def test_an_account_outside_any_organization_gets_one_with_all_features(tmp_path):
    box, directory = _fresh(tmp_path, "no-org")
    try:
        result = _run(box, tmp_path, ORGANIZATION, '{"services": ["sso.amazonaws.com"]}').task("org")
        assert result["created"] is True and result["organization"]["feature_set"] == "ALL"
        assert box.client("organizations").describe_organization()["Organization"]["FeatureSet"] == "ALL"
    finally:
        sandbox_tool.stop(directory)


def test_consolidated_billing_is_reported_with_the_handshake_steps_not_changed(tmp_path):
    box, directory = _fresh(tmp_path, "billing-only")
    try:
        box.client("organizations").create_organization(FeatureSet="CONSOLIDATED_BILLING")
        with box.record() as recording:
            result = _run(box, tmp_path, ORGANIZATION, '{"services": ["sso.amazonaws.com"]}').task("org")
        assert result["failed"] is True and recording.writes == []
        assert "uses consolidated billing only" in result["msg"]
        assert "aws organizations enable-all-features" in result["msg"]
        assert box.client("organizations").describe_organization()["Organization"]["FeatureSet"] == \
            "CONSOLIDATED_BILLING"
    finally:
        sandbox_tool.stop(directory)


@pytest.mark.parametrize("account", [None, "prod"])
def test_alternate_contact_set_idempotent_and_removed(sandbox, run_playbook, account):
    args = dict(SECURITY)
    target = {}
    if account:
        args["account_id"] = sandbox.accounts[account]
        target = {"AccountId": sandbox.accounts[account]}
        # A member account's contact is read and set from the management account once trusted access for Account
        # Management is enabled (the organization phase does it; this test does not rely on another having run).
        sandbox.client("organizations").enable_aws_service_access(ServicePrincipal="account.amazonaws.com")
    client = sandbox.client("account")
    with sandbox.record() as recording:
        planned = run_playbook(CONTACT, {"args": args}, check=True, diff=True).task("contact")
    assert planned["changed"] is True and recording.writes == []

    assert run_playbook(CONTACT, {"args": args}).task("contact")["changed"] is True
    stored = client.get_alternate_contact(AlternateContactType="SECURITY", **target)["AlternateContact"]
    assert (stored["Name"], stored["EmailAddress"], stored["PhoneNumber"]) == (
        "Security team", "security@example.com", "+44 20 7946 0000")
    with sandbox.record() as recording:
        assert run_playbook(CONTACT, {"args": args}).task("contact")["changed"] is False
    assert recording.writes == []

    removed = run_playbook(CONTACT, {"args": dict(args, state="absent")}).task("contact")
    assert removed["changed"] is True
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_alternate_contact(AlternateContactType="SECURITY", **target)


@pytest.mark.parametrize("field,value,expected", [
    ("email", "security-at-example.com", "email: not an email address, got 'security-at-example.com'"),
    ("phone", "call me", "phone: not a phone number (digits, +, spaces, dashes, parentheses), got 'call me'"),
    ("account_id", "12345", "account_id: must be 12 digits, got '12345'"),
])
def test_bad_contact_input_is_refused_before_any_call(sandbox, run_playbook, field, value, expected):
    with sandbox.record() as recording:
        result = run_playbook(CONTACT, {"args": dict(SECURITY, **{field: value})}).task("contact")
    assert result["failed"] is True and recording.operations == []
    assert expected in result["msg"]


def test_unknown_contact_type_is_refused(run_playbook):
    result = run_playbook(CONTACT, {"args": dict(SECURITY, contact_type="legal")}).task("contact")
    assert result["failed"] is True and "contact_type" in result["msg"] and "legal" in result["msg"]
