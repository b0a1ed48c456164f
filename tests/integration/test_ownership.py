"""Never take over what the collection does not own (issue: ownership): an existing IAM role or OIDC provider
without the collection's ownership tag is refused before any write in any account, adopted only with
`adopt: true`, and names that belong to AWS or to the access path are refused even then."""

import json

import pytest

GITHUB = "token.actions.githubusercontent.com"
SUBJECT = "repo:acme/app:environment:prod"
TRUST_OPS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                                                     "Action": "sts:AssumeRole"}]}


def _automation(entries):
    return [{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "automation", "ssoshift.identity_center.automation_roles": {"automation_roles": entries},
         "register": "result", "ignore_errors": True}]}]


def _break_glass(section):
    return [{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "break glass", "ssoshift.identity_center.break_glass_roles": {"break_glass": section},
         "register": "result", "ignore_errors": True}]}]


@pytest.fixture
def handmade_role(sandbox):
    """A role 'legacy-deploy' made by hand in staging (no ownership tag), as an older pipeline left it."""
    iam = sandbox.client("iam", account="staging")
    iam.create_role(RoleName="legacy-deploy", AssumeRolePolicyDocument=json.dumps(TRUST_OPS),
                    Tags=[{"Key": "owner", "Value": "platform"}])
    iam.attach_role_policy(RoleName="legacy-deploy", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    yield iam
    for policy in iam.list_attached_role_policies(RoleName="legacy-deploy")["AttachedPolicies"]:
        iam.detach_role_policy(RoleName="legacy-deploy", PolicyArn=policy["PolicyArn"])
    iam.delete_role(RoleName="legacy-deploy")


def test_an_existing_role_is_refused_then_adopted_with_adopt(sandbox, run_playbook, handmade_role):
    entry = {"name": "legacy-deploy", "accounts": ["dev", "staging"], "oidc": "github", "subjects": [SUBJECT]}
    with sandbox.record() as recording:
        refused = run_playbook(_automation([entry])).task("automation")
    assert refused["failed"]
    assert recording.writes == []  # nothing in staging, and nothing in dev either
    assert ("automation_roles[0] (legacy-deploy) in account staging (" in refused["msg"]
            and "role 'legacy-deploy' already exists in the account and was not created by this collection (no tag "
            "managed-by=ssoshift.identity_center); set adopt: true on the entry" in refused["msg"])
    assert handmade_role.get_role(RoleName="legacy-deploy")["Role"]["AssumeRolePolicyDocument"] == TRUST_OPS

    adopted = run_playbook(_automation([dict(entry, adopt=True)]), diff=True)
    result = adopted.task("automation")
    assert not result.get("failed"), result["msg"]
    actions = {(r["account_name"], r["action"]) for r in result["roles"]}
    assert actions == {("dev", "create"), ("staging", "adopt")}
    assert result["diff"]["after"]["staging"]["roles"]["legacy-deploy"]["ownership"] == "adopted"
    role = handmade_role.get_role(RoleName="legacy-deploy")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Federated": f"arn:aws:iam::{sandbox.accounts['staging']}:oidc-provider/{GITHUB}"}
    assert {t["Key"]: t["Value"] for t in role["Tags"]} == {"managed-by": "ssoshift.identity_center"}
    assert handmade_role.list_attached_role_policies(RoleName="legacy-deploy")["AttachedPolicies"] == []

    # Now owned: the entry no longer needs adopt, and nothing changes.
    with sandbox.record() as recording:
        again = run_playbook(_automation([entry])).task("automation")
    assert not again.get("failed") and not again["changed"]
    assert {r["action"] for r in again["roles"]} == {"unchanged"}
    assert recording.writes == []
    sandbox.client("iam", account="dev").delete_role(RoleName="legacy-deploy")


def test_reserved_names_are_refused_even_with_adopt_and_nothing_is_written(sandbox, run_playbook):
    entries = [{"name": "OrganizationAccountAccessRole", "accounts": ["dev"], "oidc": "github", "subjects": [SUBJECT],
                "adopt": True}]
    section = {"role_name": "AWSControlTowerExecution", "accounts": "all", "adopt": True,
               "trusted_principals": ["arn:aws:iam::123456789012:user/break-glass"]}
    with sandbox.record() as recording:
        automation = run_playbook(_automation(entries)).task("automation")
        break_glass = run_playbook(_break_glass(section)).task("break glass")
    assert recording.writes == []
    assert "automation_roles[0] (OrganizationAccountAccessRole).name: 'OrganizationAccountAccessRole' is the member " \
           "role this run assumes" in automation["msg"]
    assert "break_glass.role_name: 'AWSControlTowerExecution' is the role the management account (or AWS Control " \
           "Tower) uses to reach member accounts" in break_glass["msg"]
    assert "adopt: true does not allow it either" in break_glass["msg"]
    trust = sandbox.client("iam", account="dev").get_role(RoleName="OrganizationAccountAccessRole")["Role"]
    assert trust["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"].endswith(":root")


def test_a_role_of_a_service_path_is_never_managed(sandbox, run_playbook):
    iam = sandbox.client("iam", account="prod")
    iam.create_role(RoleName="support-handler", Path="/aws-service-role/support.amazonaws.com/",
                    AssumeRolePolicyDocument=json.dumps(TRUST_OPS))
    try:
        section = {"role_name": "support-handler", "accounts": ["prod"], "adopt": True,
                   "trusted_principals": ["arn:aws:iam::123456789012:user/break-glass"]}
        with sandbox.record() as recording:
            result = run_playbook(_break_glass(section)).task("break glass")
        assert recording.writes == []
        assert "role 'support-handler' cannot be managed: its path /aws-service-role/support.amazonaws.com/ is " \
               "reserved for roles AWS creates" in result["msg"]
    finally:
        iam.delete_role(RoleName="support-handler")


def test_an_existing_oidc_provider_is_refused_then_adopted_without_losing_its_audiences(sandbox, run_playbook):
    iam = sandbox.client("iam", account="prod")
    issuer = "https://ci.ownership.example.test"  # an issuer no other test uses
    arn = iam.create_open_id_connect_provider(Url=issuer, ClientIDList=["terraform"],
                                              ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
    try:
        entry = {"name": "ci-prod", "accounts": ["prod"], "oidc": {"url": issuer, "audiences": ["sts.amazonaws.com"]},
                 "subjects": ["pipeline:prod"]}
        with sandbox.record() as recording:
            refused = run_playbook(_automation([entry])).task("automation")
        assert refused["failed"] and recording.writes == []
        assert f"the OIDC provider {issuer} already exists in the account and was not created by this " \
               "collection" in refused["msg"]
        adopted = run_playbook(_automation([dict(entry, adopt=True)])).task("automation")
        assert not adopted.get("failed"), adopted["msg"]
        provider = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
        assert sorted(provider["ClientIDList"]) == ["sts.amazonaws.com", "terraform"]
        assert adopted["accounts"][0]["providers"][0]["action"] == "adopt"
    finally:
        try:
            iam.delete_role(RoleName="ci-prod")
        except iam.exceptions.NoSuchEntityException:
            pass
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
