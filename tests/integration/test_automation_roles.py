"""The automation_roles role against the sandbox: OIDC providers and CI/CD roles in dev, staging and
prod, their exact trust policies, idempotence, and every unsafe trust refused before any write."""

import json
import os

import pytest

from conftest import REPO

GITHUB = "token.actions.githubusercontent.com"
ROLE = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: automation
      ansible.builtin.include_role:
        name: ssoshift.identity_center.automation_roles
    - name: report
      ansible.builtin.debug:
        msg:
          created: "{{ automation_roles_created }}"
          candidates: "{{ automation_roles_retirement_candidates }}"
"""
EXAMPLE = f"""
- hosts: localhost
  gather_facts: false
  vars_files: [{os.path.join(REPO, "examples", "access-model.yml")}]
  tasks:
    - name: automation
      ansible.builtin.include_role:
        name: ssoshift.identity_center.automation_roles
    - name: break glass
      ansible.builtin.include_role:
        name: ssoshift.identity_center.break_glass
    - name: report
      ansible.builtin.debug:
        msg:
          created: "{{{{ automation_roles_created }}}}"
          candidates: "{{{{ automation_roles_retirement_candidates }}}}"
          break_glass: "{{{{ break_glass_roles }}}}"
"""
VALIDATE = "OIDC providers and CI/CD roles in every account the access model names"


def _trust(account_id, subject):
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{account_id}:oidc-provider/{GITHUB}"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com", f"{GITHUB}:sub": subject}}}]}


def test_example_model_creates_deploy_roles_in_every_account_and_a_second_run_changes_nothing(sandbox, run_playbook):
    with sandbox.record() as recording:
        planned = run_playbook(EXAMPLE, check=True)
    assert planned.returncode == 0, planned.failures
    assert recording.writes == []

    first = run_playbook(EXAMPLE)
    assert first.returncode == 0, first.failures
    report = first.task("report")["msg"]
    for name in ("dev", "staging", "prod"):
        account_id = sandbox.accounts[name]
        iam = sandbox.client("iam", account=name)
        provider = iam.get_open_id_connect_provider(
            OpenIDConnectProviderArn=f"arn:aws:iam::{account_id}:oidc-provider/{GITHUB}")
        assert provider["ClientIDList"] == ["sts.amazonaws.com"]
        role = iam.get_role(RoleName="deploy")["Role"]
        assert role["AssumeRolePolicyDocument"] == _trust(account_id, "repo:acme/app:environment:prod")
        assert role["MaxSessionDuration"] == 3600
        assert {t["Key"]: t["Value"] for t in role["Tags"]} == {"managed-by": "ssoshift.identity_center"}
        assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="deploy")["AttachedPolicies"]] == [
            "arn:aws:iam::aws:policy/AWSCloudFormationFullAccess"]
        assert iam.list_role_policies(RoleName="deploy")["PolicyNames"] == []
        assert {"account_id": account_id, "account_name": name, "role_name": "deploy",
                "role_arn": f"arn:aws:iam::{account_id}:role/deploy",
                "provider_arn": f"arn:aws:iam::{account_id}:oidc-provider/{GITHUB}",
                "subjects": ["repo:acme/app:environment:prod"], "action": "create"} in report["created"]
    assert len(report["created"]) == 3
    assert report["candidates"] == [{
        "name": "ci-deployer", "account": "management", "account_id": "123456789012", "account_name": "master",
        "replaced_by": [f"arn:aws:iam::{sandbox.accounts[n]}:role/deploy" for n in ("dev", "staging", "prod")]}]
    assert {r["account_name"] for r in report["break_glass"]} == {"master", "dev", "staging", "prod"}

    with sandbox.record() as recording:
        second = run_playbook(EXAMPLE)
    assert second.returncode == 0 and second.stats["changed"] == 0
    assert recording.writes == []


def test_inline_policies_and_boundary_follow_the_model(sandbox, run_playbook):
    iam = sandbox.client("iam", account="dev")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject",
                                                      "Resource": "arn:aws:s3:::acme-artifacts/*"}]}
    entry = {"name": "build", "accounts": ["dev"], "oidc": "github",
             "subjects": ["repo:acme/app:ref:refs/heads/main", "repo:acme/app:environment:dev"],
             "inline_policies": {"artifacts": policy, "extra": policy},
             "permissions_boundary": "arn:aws:iam::aws:policy/PowerUserAccess", "max_session_duration": 7200,
             "description": "Build pipeline", "tags": {"team": "app"}}
    first = run_playbook(ROLE, {"automation_roles": [entry]})
    assert first.returncode == 0, first.failures
    role = iam.get_role(RoleName="build")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]["StringEquals"][f"{GITHUB}:sub"] == [
        "repo:acme/app:ref:refs/heads/main", "repo:acme/app:environment:dev"]
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == "arn:aws:iam::aws:policy/PowerUserAccess"
    assert (role["MaxSessionDuration"], role["Description"]) == (7200, "Build pipeline")
    assert sorted(iam.list_role_policies(RoleName="build")["PolicyNames"]) == ["artifacts", "extra"]
    assert iam.get_role_policy(RoleName="build", PolicyName="artifacts")["PolicyDocument"] == policy

    smaller = {k: v for k, v in entry.items() if k != "permissions_boundary"}
    smaller["inline_policies"] = {"artifacts": policy}
    assert run_playbook(ROLE, {"automation_roles": [smaller]}).returncode == 0
    assert iam.list_role_policies(RoleName="build")["PolicyNames"] == ["artifacts"]
    assert "PermissionsBoundary" not in iam.get_role(RoleName="build")["Role"]
    with sandbox.record() as recording:
        again = run_playbook(ROLE, {"automation_roles": [smaller]})
    assert again.stats["changed"] == 0 and recording.writes == []


def test_allowed_organization_wildcard_is_matched_with_string_like(sandbox, run_playbook):
    entry = {"name": "org-readonly", "accounts": ["staging"], "oidc": "github", "allow_wildcard_subjects": True,
             "subjects": ["repo:acme/*"], "managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}
    assert run_playbook(ROLE, {"automation_roles": [entry]}).returncode == 0
    trust = sandbox.client("iam", account="staging").get_role(RoleName="org-readonly")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Condition"] == {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"},
                                                  "StringLike": {f"{GITHUB}:sub": "repo:acme/*"}}


UNSAFE = [
    ("star", {"subjects": ["*"]}, "automation_roles[0] (unsafe).subjects: '*' trusts every pipeline of every user"),
    ("any-repo", {"subjects": ["repo:*"]}, "automation_roles[0] (unsafe).subjects: 'repo:*' trusts every pipeline"),
    ("any-owner", {"subjects": ["repo:*/app:environment:prod"]},
     "'repo:*/app:environment:prod' has a wildcard in the owner"),
    ("org-wide", {"subjects": ["repo:acme/*"]},
     "automation_roles[0] (unsafe).subjects: 'repo:acme/*' is an organization-wide wildcard"),
    ("gitlab-group-wide", {"oidc": "gitlab", "subjects": ["project_path:acme/*"]},
     "'project_path:acme/*' is an organization-wide wildcard"),
    ("no-audience", {"oidc": {"url": "https://token.actions.githubusercontent.com", "audiences": []}},
     "automation_roles[0] (unsafe).oidc.audiences: at least one audience is required"),
    ("no-subject", {"subjects": []}, "automation_roles[0] (unsafe).subjects: at least one subject is required"),
    ("unknown-account", {"accounts": ["dev", "qa"]},
     "automation_roles[0] (unsafe).accounts: no account with ID or name 'qa' in the organization"),
]


@pytest.mark.parametrize("case,change,expected", UNSAFE, ids=[c[0] for c in UNSAFE])
def test_unsafe_trust_is_refused_with_zero_writes(sandbox, run_playbook, case, change, expected):
    entry = dict({"name": "unsafe", "accounts": ["dev"], "oidc": "github",
                  "subjects": ["repo:acme/app:environment:prod"]}, **change)
    with sandbox.record() as recording:
        run = run_playbook(ROLE, {"automation_roles": [entry]})
    assert run.returncode != 0
    assert recording.writes == []
    assert expected in run.task(VALIDATE)["msg"], json.dumps(run.failures)
    iam = sandbox.client("iam", account="dev")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName="unsafe")
