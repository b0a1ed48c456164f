"""The seeded legacy estate is what docs/sandbox.md says it is."""

import json

import sandbox as sandbox_tool


def test_organization_has_all_features_and_member_accounts_in_their_ous(sandbox):
    org = sandbox.client("organizations")
    assert org.describe_organization()["Organization"]["FeatureSet"] == "ALL"
    ous = sandbox.state["ous"]
    for name, path in sandbox_tool.OU_LAYOUT.items():
        parents = org.list_parents(ChildId=sandbox.accounts[name])["Parents"]
        assert parents == [{"Id": ous[path], "Type": "ORGANIZATIONAL_UNIT"}], name
    nonprod_parent = org.list_parents(ChildId=ous["Workloads/NonProd"])["Parents"][0]["Id"]
    assert nonprod_parent == ous["Workloads"]


def test_each_member_account_is_reachable_through_the_access_role(sandbox):
    for name in ("dev", "staging", "prod"):
        identity = sandbox.client("sts", account=name).get_caller_identity()
        assert identity["Account"] == sandbox.accounts[name]
        assert ":assumed-role/OrganizationAccountAccessRole/" in identity["Arn"]


def test_identity_center_instance_exists(sandbox):
    instances = sandbox.client("sso-admin").list_instances()["Instances"]
    assert [i["InstanceArn"] for i in instances] == [sandbox.state["instance_arn"]]


def test_legacy_admin_user_has_the_full_footprint(sandbox):
    iam = sandbox.client("iam")
    assert [p["PolicyName"] for p in iam.list_attached_user_policies(UserName="admin")["AttachedPolicies"]] == [
        "AdministratorAccess"]
    assert iam.get_login_profile(UserName="admin")["LoginProfile"]["UserName"] == "admin"
    assert len(iam.list_access_keys(UserName="admin")["AccessKeyMetadata"]) == 2
    assert iam.list_user_policies(UserName="admin")["PolicyNames"] == ["legacy-billing"]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="admin")["Groups"]] == ["legacy-admins"]
    devices = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert [d["User"]["UserName"] for d in devices] == ["admin"]


def test_ci_deployer_and_prod_admin(sandbox):
    iam = sandbox.client("iam")
    assert len(iam.list_access_keys(UserName="ci-deployer")["AccessKeyMetadata"]) == 1
    attached = iam.list_attached_user_policies(UserName="ci-deployer")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["ci-deploy"]
    document = iam.get_policy_version(PolicyArn=attached[0]["PolicyArn"], VersionId="v1")["PolicyVersion"]["Document"]
    assert (json.loads(document) if isinstance(document, str) else document) == sandbox_tool.DEPLOY_POLICY
    assert "prod-admin" not in [u["UserName"] for u in iam.list_users()["Users"]]
    prod_iam = sandbox.client("iam", account="prod")
    assert len(prod_iam.list_access_keys(UserName="prod-admin")["AccessKeyMetadata"]) == 1


def test_stop_kills_only_the_recorded_process_and_start_is_repeatable(tmp_path):
    first = sandbox_tool.start(str(tmp_path), seed_estate=False)
    assert sandbox_tool._is_our_server(first["pid"])
    second = sandbox_tool.start(str(tmp_path), seed_estate=False)  # a leftover server is stopped first
    assert not sandbox_tool._is_our_server(first["pid"])
    assert sandbox_tool.stop(str(tmp_path)) is True
    assert not sandbox_tool._is_our_server(second["pid"])
    assert sandbox_tool.stop(str(tmp_path)) is False


def test_provisioning_status_follows_permission_set_changes(sandbox):
    # The launcher gives ListAccountsForProvisionedPermissionSet AWS's ProvisioningStatus filter.
    sso = sandbox.client("sso-admin")
    instance = sso.list_instances()["Instances"][0]
    instance_arn, store = instance["InstanceArn"], instance["IdentityStoreId"]
    arn = sso.create_permission_set(InstanceArn=instance_arn, Name="sandbox-versions")["PermissionSet"][
        "PermissionSetArn"]
    group = sandbox.client("identitystore").create_group(IdentityStoreId=store, DisplayName="sandbox-versions")
    dev = sandbox.accounts["dev"]
    sso.create_account_assignment(InstanceArn=instance_arn, TargetId=dev, TargetType="AWS_ACCOUNT",
                                  PermissionSetArn=arn, PrincipalType="GROUP", PrincipalId=group["GroupId"])

    def outdated():
        return sso.list_accounts_for_provisioned_permission_set(
            InstanceArn=instance_arn, PermissionSetArn=arn,
            ProvisioningStatus="LATEST_PERMISSION_SET_NOT_PROVISIONED")["AccountIds"]

    assert outdated() == []
    sso.update_permission_set(InstanceArn=instance_arn, PermissionSetArn=arn, Description="changed")
    assert outdated() == [dev]
    assert sso.list_accounts_for_provisioned_permission_set(
        InstanceArn=instance_arn, PermissionSetArn=arn, ProvisioningStatus="LATEST_PERMISSION_SET_PROVISIONED"
    )["AccountIds"] == []
    sso.provision_permission_set(InstanceArn=instance_arn, PermissionSetArn=arn, TargetType="ALL_PROVISIONED_ACCOUNTS")
    assert outdated() == []
