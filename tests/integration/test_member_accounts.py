"""The per-account phases at organisation scale: one module run over many accounts, an account that cannot be
reached failing alone, the IAM password policy everywhere, and a run sliced over the organization_accounts
inventory reaching the same end state."""

import base64
import json
import os

import pytest

from conftest import REPO, private_estate, sandbox_tool

POLICY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: policy
      ssoshift.identity_center.account_password_policy:
        accounts: "{{ accounts | default(['all']) }}"
        policy: "{{ policy | default({}) }}"
      register: result
      ignore_errors: true
"""


ACCOUNTS = 30


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    """The seed plus 26 member accounts: 30 in all."""
    yield from private_estate(tmp_path_factory, "members", extra_accounts=ACCOUNTS - 4)


def _names(box):
    """Account names as Organizations gives them (moto names the management account "master")."""
    return {"master" if name == "management" else name for name in box.accounts}


def test_the_recommended_password_policy_in_every_account_then_nothing_to_do(estate):
    box, run = estate
    with box.record() as recording:
        checked = run(POLICY, check=True, diff=True).task("policy")
    assert recording.writes == [] and checked["changed"]
    assert len(box.accounts) == ACCOUNTS and set(checked["diff"]["after"]) == _names(box)
    first = run(POLICY).task("policy")
    assert first["changed"] and {a["account_name"] for a in first["accounts"] if a["changed"]} == _names(box)
    for name in box.accounts:
        policy = box.client("iam", name).get_account_password_policy()["PasswordPolicy"]
        assert (policy["MinimumPasswordLength"], policy["PasswordReusePrevention"], policy["RequireSymbols"]) == (
            14, 24, True), name
    with box.record() as recording:
        again = run(POLICY).task("policy")
    assert not again["changed"] and recording.writes == []


def test_a_weak_policy_is_refused_before_any_account_is_touched(estate):
    box, run = estate
    with box.record() as recording:
        refused = run(POLICY, {"policy": {"minimum_password_length": 8}}).task("policy")
    assert refused["failed"] and recording.writes == []
    assert "policy.minimum_password_length: at least 14 is what Security Hub IAM.15 (CIS) requires, got '8'" in \
        refused["msg"]


def test_an_account_without_the_member_role_fails_alone_naming_it(estate):
    box, run = estate
    # The member role is gone from staging (an account joined by invitation has none).
    iam = box.client("iam", "staging")
    for policy in iam.list_attached_role_policies(RoleName="OrganizationAccountAccessRole")["AttachedPolicies"]:
        iam.detach_role_policy(RoleName="OrganizationAccountAccessRole", PolicyArn=policy["PolicyArn"])
    for name in iam.list_role_policies(RoleName="OrganizationAccountAccessRole")["PolicyNames"]:
        iam.delete_role_policy(RoleName="OrganizationAccountAccessRole", PolicyName=name)
    iam.delete_role(RoleName="OrganizationAccountAccessRole")
    result = run(POLICY, {"policy": {"minimum_password_length": 16}}).task("policy")
    assert result["failed"]
    [failed] = result["failed_accounts"]
    assert (failed["account_name"], failed["error_code"], failed["operation"]) == ("staging", "AccessDenied",
                                                                                   "AssumeRole")
    assert "staging (" in result["msg"] and "AccessDenied on AssumeRole" in result["msg"]
    # Every other account converged.
    assert {a["account_name"] for a in result["accounts"]} == _names(box) - {"staging"}
    for name in set(box.accounts) - {"staging"}:
        assert box.client("iam", name).get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 16


INVENTORY = """plugin: ssoshift.identity_center.organization_accounts
hostnames: name
"""


def test_a_run_sliced_over_the_inventory_reaches_the_same_end_state(tmp_path_factory):
    for box, run in private_estate(tmp_path_factory, "sliced"):
        inventory = tmp_path_factory.mktemp("inventory") / "org.organization_accounts.yml"
        inventory.write_text(INVENTORY)
        model = {"automation_roles": [{"name": "sliced-deploy", "accounts": ["dev", "staging", "prod"],
                                       "oidc": "github", "subjects": ["repo:acme/app:environment:prod"]}],
                 "break_glass": {"role_name": "SlicedBreakGlass", "accounts": "all",
                                 "trusted_principals": ["arn:aws:iam::123456789012:user/break-glass"]}}
        playbook = os.path.join(REPO, "playbooks", "member_accounts.yml")
        slices = []
        for limit in ("aws_accounts[0:1]", "aws_accounts[2:3]"):  # two slices of two accounts each (sorted names)
            with box.record() as recording:
                sliced = run(playbook, model, args=("-i", str(inventory), "--limit", limit))
            assert sliced.returncode == 0, sliced.stdout[-3000:]
            slices.append(set(recording.writes))
        assert all("CreateRole" in writes for writes in slices)
        for name in ("dev", "staging", "prod"):
            box.client("iam", name).get_role(RoleName="sliced-deploy")
        for name in box.accounts:
            box.client("iam", name).get_role(RoleName="SlicedBreakGlass")
            assert box.client("iam", name).get_account_password_policy()["PasswordPolicy"][
                "MinimumPasswordLength"] == 14
        with box.record() as recording:
            whole = run(playbook, model, args=("-i", str(inventory)))
        assert whole.returncode == 0
        assert all(stats["changed"] == 0 for stats in whole.report["stats"].values())
        assert recording.writes == []


SECURITY_CONTACTS = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: posture
      ssoshift.identity_center.account_security_info:
        accounts: [dev, prod]
        audit_root_credentials: false
      register: result
"""


def _contact_reads(recording):
    """(made with the management account's keys, AccountId) of every GetAlternateContact recorded."""
    reads = []
    for entry in recording.entries:
        if sandbox_tool.operation_of(entry) == "GetAlternateContact":
            headers = {k.lower(): v for k, v in entry["headers"].items()}
            key = headers["authorization"].split("Credential=", 1)[1].split("/", 1)[0]
            body = entry.get("body") or "{}"
            if entry.get("body_encoded"):
                body = base64.b64decode(body).decode()
            reads.append((key == "testing", json.loads(body).get("AccountId")))
    return reads


def test_security_contacts_are_read_inside_each_account_until_aws_lets_the_management_account_read_them(estate):
    box, run = estate
    box.client("account", "dev").put_alternate_contact(
        AlternateContactType="SECURITY", Name="Security team", Title="CISO office", EmailAddress="security@example.com",
        PhoneNumber="+44 20 7946 0102")
    contact_checks = {}
    for step in ("fresh organisation", "trusted access"):
        with box.record() as recording:
            posture = run(SECURITY_CONTACTS).task("posture")
        assert not posture.get("failed"), posture.get("msg")
        contact_checks[step] = {a["account_name"]: next(c["status"] for c in a["checks"] if c["id"] == "security_contact")
                                for a in posture["accounts"]}
        reads = _contact_reads(recording)
        if step == "fresh organisation":
            # Without trusted access for account.amazonaws.com AWS refuses AccountId: one refusal (or one per worker
            # that tried at once), then each account reads its own contact through the member role.
            assert (False, None) in reads and any(mine and target for mine, target in reads), reads
            assert sum(1 for mine, target in reads if not mine) == 2, reads
            box.client("organizations").enable_aws_service_access(ServicePrincipal="account.amazonaws.com")
        else:
            # From then on the management account reads every member account's contact itself.
            assert sorted(reads) == sorted([(True, box.accounts["dev"]), (True, box.accounts["prod"])]), reads
    assert contact_checks["fresh organisation"] == contact_checks["trusted access"] == {"dev": "pass", "prod": "fail"}
