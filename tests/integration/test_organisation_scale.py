"""The whole migration at organisation scale: `make bench-org`'s organisation at 30 accounts (assignments to the
whole organisation and by OU, an OIDC deploy role in every member account, a break-glass role and the IAM password
policy in every account, the seed's legacy users), run by playbooks/migrate.yml. Every phase's end state is read back
per account through the API; the second run changes nothing and writes nothing."""

import os
import sys

import yaml

from conftest import REPO, private_estate

sys.path.insert(0, os.path.join(REPO, "tests", "performance"))
import bench_org  # noqa: E402

MIGRATE = os.path.join(REPO, "playbooks", "migrate.yml")
ACCOUNTS = 30


def _assignments(box, permission_set):
    """{account ID: {principal ID}} of one permission set, read in the management account."""
    sso = box.client("sso-admin")
    instance = box.state["instance_arn"]
    arn = next(sso.describe_permission_set(InstanceArn=instance, PermissionSetArn=p)["PermissionSet"]["PermissionSetArn"]
               for p in sso.list_permission_sets(InstanceArn=instance)["PermissionSets"]
               if sso.describe_permission_set(InstanceArn=instance, PermissionSetArn=p)["PermissionSet"]["Name"]
               == permission_set)
    return {account_id: {a["PrincipalId"] for a in sso.list_account_assignments(
        InstanceArn=instance, AccountId=account_id, PermissionSetArn=arn)["AccountAssignments"]}
        for account_id in box.accounts.values()}


def test_every_phase_in_thirty_accounts_then_a_run_that_changes_nothing(tmp_path_factory):
    for box, run in private_estate(tmp_path_factory, "scale", extra_accounts=ACCOUNTS - 4):
        assert len(box.accounts) == ACCOUNTS
        members = [name for name in box.accounts if name != "management"]
        model = bench_org.access_model(members)
        out = tmp_path_factory.mktemp("scale-out")
        model_file = out / "model.yml"
        model_file.write_text(yaml.safe_dump(model))
        extra = {"ssoshift_output_dir": str(out), "cli_profiles_operator_config_path": str(out / "operator-aws-config"),
                 "confirm_portal_sign_in": True}

        first = run(MIGRATE, extra, args=("-e", f"@{model_file}"))
        assert first.returncode == 0, first.failures

        # Identity Center: the admins' group everywhere (the management account included), developers by OU.
        store = box.client("identitystore")
        group_id = {name: store.get_group_id(IdentityStoreId=box.state["identity_store_id"], AlternateIdentifier={
            "UniqueAttribute": {"AttributePath": "displayName", "AttributeValue": name}})["GroupId"]
            for name in ("platform-admins", "developers")}
        assert _assignments(box, "AdministratorAccess") == {a: {group_id["platform-admins"]} for a in box.accounts.values()}
        # The seed's extra accounts alternate between the two OUs, NonProd first.
        nonprod = {box.accounts[n] for n in members if n in ("dev", "staging")
                   or (n.startswith("member-") and int(n.split("-")[1]) % 2 == 0)}
        prod = set(box.accounts[n] for n in members) - nonprod
        for permission_set, accounts in (("DeveloperAccess", nonprod), ("ReadOnlyAccess", prod)):
            assert _assignments(box, permission_set) == {
                a: ({group_id["developers"]} if a in accounts else set()) for a in box.accounts.values()}, permission_set

        # Every account: the break-glass role, the IAM password policy, the three alternate contacts.
        break_glass = model["break_glass"]["role_name"]
        deploy = model["automation_roles"][0]["name"]
        account_api = box.client("account")
        for name, account_id in box.accounts.items():
            iam = box.client("iam", name)
            tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=break_glass)["Tags"]}
            assert tags.get("managed-by") == "ssoshift.identity_center", (name, tags)
            assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] >= 14, name
            target = {} if name == "management" else {"AccountId": account_id}
            for contact_type in ("BILLING", "OPERATIONS", "SECURITY"):
                stored = account_api.get_alternate_contact(AlternateContactType=contact_type, **target)["AlternateContact"]
                assert stored["EmailAddress"] == model["alternate_contacts"][contact_type.lower()]["email"], name
            if name != "management":
                # The deploy role trusts the GitHub OIDC provider of its own account.
                trust = iam.get_role(RoleName=deploy)["Role"]["AssumeRolePolicyDocument"]
                federated = trust["Statement"][0]["Principal"]["Federated"]
                assert federated == f"arn:aws:iam::{account_id}:oidc-provider/token.actions.githubusercontent.com"
                iam.get_open_id_connect_provider(OpenIDConnectProviderArn=federated)

        # The legacy admins, with the sign-in confirmed: disabled (keys inactive), kept for the quarantine.
        for account, user in (("management", "admin"), ("management", "ci-deployer"), ("prod", "prod-admin")):
            keys = box.client("iam", account).list_access_keys(UserName=user)["AccessKeyMetadata"]
            assert keys and {k["Status"] for k in keys} == {"Inactive"}, (account, user)

        with box.record() as recording:
            second = run(MIGRATE, extra, args=("-e", f"@{model_file}"))
        assert second.returncode == 0, second.stdout[-3000:]
        assert second.stats["changed"] == 0
        assert recording.writes == []
