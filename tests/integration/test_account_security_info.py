"""account_security_info against the seeded legacy estate: the "before" of the report."""

import pytest

from conftest import private_estate

POSTURE = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: posture
      ssoshift.identity_center.account_security_info:
"""


@pytest.fixture
def legacy_estate(tmp_path_factory):
    """A private, freshly seeded sandbox: the worker's shared one may already have been migrated by another module."""
    yield from private_estate(tmp_path_factory, "posture")


def test_the_legacy_estate_fails_the_checks_it_should_and_nothing_is_written(legacy_estate):
    sandbox, run_playbook = legacy_estate
    with sandbox.record() as recording:
        result = run_playbook(POSTURE).task("posture")
    assert recording.writes == []
    assert "GenerateCredentialReport" in recording.operations
    checks = {c["id"]: c for c in result["checks"]}
    assert result["account_id"] == sandbox.accounts["management"]
    assert "admin" in checks["no_console_users"]["evidence"]["users"]
    assert "admin" in checks["no_admin_users"]["evidence"]["users"]
    assert {"admin", "ci-deployer"} <= {k["user"] for k in checks["no_active_access_keys"]["evidence"]["access_keys"]}
    assert checks["no_admin_users"]["status"] == "fail"
    assert checks["root_no_access_keys"]["status"] == "pass"
    assert checks["identity_center_in_use"]["status"] == "pass"
    # A fresh organisation: IAM's trusted access is not enabled, so centralized root access cannot be (AWS answers
    # ServiceAccessNotEnabledException): the check fails and says why, and the other checks come back.
    assert checks["centralized_root_access"]["status"] == "fail"
    assert "ServiceAccessNotEnabledException" in checks["centralized_root_access"]["evidence"]["reason"]
    assert checks["centralized_root_access"]["remediation"]


def test_a_security_contact_turns_account_1_green(sandbox, run_playbook):
    # An account sets its own contact without AccountId (AccountId needs trusted access for account.amazonaws.com).
    sandbox.client("account", "dev").put_alternate_contact(
        AlternateContactType="SECURITY", Name="Sec", Title="CISO", EmailAddress="sec@example.com",
        PhoneNumber="+1 555 0100")
    run = run_playbook("""
    - hosts: localhost
      gather_facts: false
      tasks:
        - ansible.builtin.include_role:
            name: ssoshift.identity_center.member_account
          vars:
            member_account_id: "{{ dev }}"
        - name: posture
          ssoshift.identity_center.account_security_info: "{{ member_account_auth }}"
    """, {"dev": sandbox.accounts["dev"]})
    result = run.task("posture")
    assert result["account_id"] == sandbox.accounts["dev"]
    checks = {c["id"]: c for c in result["checks"]}
    assert checks["security_contact"]["status"] == "pass" and checks["security_contact"]["security_hub"] == "Account.1"


def test_every_account_is_read_in_one_run_each_in_its_own_credentials(sandbox, run_playbook):
    with sandbox.record() as recording:
        run = run_playbook("""
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: posture
              ssoshift.identity_center.account_security_info:
                accounts: all
        """)
    result = run.task("posture")
    assert run.returncode == 0, run.failures
    assert recording.writes == []
    read = {a["account_name"]: a for a in result["accounts"]}
    assert {a["account_id"] for a in result["accounts"]} == set(sandbox.accounts.values())
    # Each member account is reached once through the member role; the management account with the caller's keys.
    assert recording.operations.count("AssumeRole") == len(sandbox.accounts) - 1
    prod = {c["id"]: c for c in read["prod"]["checks"]}
    assert prod["no_admin_users"]["evidence"]["users"] == ["prod-admin"]
    assert "admin" not in prod["no_console_users"]["evidence"]["users"]
    # The organization-level facts are read once, from the caller.
    assert recording.operations.count("ListInstances") == 1
    assert result["summary"]["fail"] == sum(a["summary"]["fail"] for a in result["accounts"])
    assert result["closed_accounts"] == []
    assert "secret" not in run.stdout.lower().replace("secret_key", "")


def test_named_accounts_only_and_an_unknown_one_fails_before_any_account_is_read(sandbox, run_playbook):
    run = run_playbook("""
    - hosts: localhost
      gather_facts: false
      tasks:
        - name: two accounts
          ssoshift.identity_center.account_security_info:
            accounts: [dev, "{{ prod_id }}"]
        - name: unknown account
          ssoshift.identity_center.account_security_info:
            accounts: [dev, no-such-account]
          ignore_errors: true
    """, {"prod_id": sandbox.accounts["prod"]})
    assert [a["account_name"] for a in run.task("two accounts")["accounts"]] == ["dev", "prod"]
    failed = run.task("unknown account")
    assert failed["failed"] and "accounts: no account with ID or name 'no-such-account' in the organization" in failed["msg"]
    assert "accounts" not in failed
