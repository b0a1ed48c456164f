"""The sandbox refuses what AWS refuses (tools/moto_server.py, docs/sandbox.md): caller contexts, trusted access,
closed accounts, Identity Center delegated administration, AssumeRoot and member accounts' root credentials.

Each test calls the running launcher through boto3, as the collection does, and checks AWS's error code."""

import time

import boto3
import botocore.exceptions
import pytest
import sandbox as sandbox_tool
from conftest import Sandbox

AUDIT = "IAMAuditRootUserCredentials"
DELETE = "IAMDeleteRootUserCredentials"


def _client(box, service, credentials=None):
    credentials = credentials or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return boto3.client(service, region_name=sandbox_tool.REGION, endpoint_url=box.endpoint, **credentials)


def _refusal(call):
    """(error code, HTTP status) of a call that must fail."""
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call()
    error = raised.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    """A sandbox with every opt-in seed option: dev administers Identity Center, centralized root access is on,
    member accounts' root users hold credentials, one account is closed and one is closing."""
    directory = str(tmp_path_factory.mktemp("contexts-sandbox"))
    box = Sandbox(sandbox_tool.start(directory, delegated_admin="dev", root_access=True, root_credentials=True,
                                     trusted_services=["account.amazonaws.com"], closed_accounts=["retired"],
                                     pending_closure_accounts=["closing"]), directory)
    try:
        yield box
    finally:
        sandbox_tool.stop(directory)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """The default estate, private to this module: other tests change the worker's shared sandbox (they enable
    trusted access and centralized root access, as the migration does)."""
    directory = str(tmp_path_factory.mktemp("fresh-sandbox"))
    box = Sandbox(sandbox_tool.start(directory), directory)
    try:
        yield box
    finally:
        sandbox_tool.stop(directory)


@pytest.fixture(scope="module")
def dev(estate):
    return sandbox_tool.member_credentials(estate.endpoint, estate.accounts["dev"])


@pytest.fixture(scope="module")
def staging(estate):
    return sandbox_tool.member_credentials(estate.endpoint, estate.accounts["staging"])


# --- the default estate: a fresh organisation (no trusted access, no delegated administrator)

def test_default_estate_has_no_trusted_access_and_no_delegated_administrator(fresh):
    org = fresh.client("organizations")
    assert org.list_aws_service_access_for_organization()["EnabledServicePrincipals"] == []
    assert org.list_delegated_administrators()["DelegatedAdministrators"] == []
    assert "root_credentials" not in fresh.state and "closed_accounts" not in fresh.state


def test_iam_features_need_trusted_access_then_answer_the_management_account_only(fresh):
    code = _refusal(lambda: fresh.client("iam").list_organizations_features())
    assert code == ("ServiceAccessNotEnabledException", 400)
    assert _refusal(lambda: fresh.client("iam", account="prod").list_organizations_features()) == (
        "AccountNotManagementOrDelegatedAdministratorException", 400)
    assert _refusal(lambda: fresh.client("iam", account="prod").enable_organizations_root_sessions()) == (
        "AccountNotManagementOrDelegatedAdministratorException", 400)


def test_organizations_member_account_reads_its_organisation_and_nothing_else(fresh):
    org = fresh.client("organizations", account="staging")
    assert org.describe_organization()["Organization"]["Id"] == fresh.state["organization_id"]
    for call in (org.list_accounts, org.list_roots, org.list_aws_service_access_for_organization,
                 org.list_delegated_administrators,
                 lambda: org.list_accounts_for_parent(ParentId=fresh.state["root_id"]),
                 lambda: org.list_organizational_units_for_parent(ParentId=fresh.state["root_id"])):
        assert _refusal(call) == ("AccessDeniedException", 400)
    assert _refusal(lambda: org.enable_aws_service_access(ServicePrincipal="sso.amazonaws.com")) == (
        "AccessDeniedException", 400)
    assert fresh.client("organizations").list_aws_service_access_for_organization()[
        "EnabledServicePrincipals"] == []


def test_account_outside_any_organisation_gets_organizations_not_in_use(tmp_path):
    box = Sandbox(sandbox_tool.start(str(tmp_path), seed_estate=False), str(tmp_path))
    try:
        assert _refusal(lambda: _client(box, "organizations").list_accounts()) == (
            "AWSOrganizationsNotInUseException", 400)
        assert _refusal(lambda: _client(box, "iam").list_organizations_features()) == (
            "OrganizationNotFoundException", 400)
    finally:
        sandbox_tool.stop(str(tmp_path))


def test_alternate_contact_of_another_account_needs_trusted_access(fresh):
    account = fresh.client("account")
    assert _refusal(lambda: account.get_alternate_contact(
        AccountId=fresh.accounts["prod"], AlternateContactType="SECURITY")) == ("AccessDeniedException", 403)
    # every account reads its own contacts without AccountId, trusted access or not
    assert _refusal(lambda: fresh.client("account", account="prod").get_alternate_contact(
        AlternateContactType="SECURITY")) == ("ResourceNotFoundException", 404)


def test_only_the_management_account_assumes_organization_account_access_role(fresh):
    dev_sts = fresh.client("sts", account="dev")
    prod_role = f"arn:aws:iam::{fresh.accounts['prod']}:role/{sandbox_tool.MEMBER_ROLE}"
    assert _refusal(lambda: dev_sts.assume_role(RoleArn=prod_role, RoleSessionName="from-dev")) == (
        "AccessDenied", 403)
    assert _refusal(lambda: fresh.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{fresh.accounts['prod']}:role/NoSuchRole", RoleSessionName="missing")) == (
        "AccessDenied", 403)
    arn = fresh.client("sts", account="prod").get_caller_identity()["Arn"]
    assert arn.startswith(f"arn:aws:sts::{fresh.accounts['prod']}:assumed-role/{sandbox_tool.MEMBER_ROLE}/")


def test_member_account_sees_no_identity_center_instance(fresh):
    sso = fresh.client("sso-admin", account="prod")
    assert sso.list_instances()["Instances"] == []
    assert _refusal(lambda: sso.list_permission_sets(InstanceArn=fresh.state["instance_arn"])) == (
        "AccessDeniedException", 400)
    assert _refusal(lambda: fresh.client("identitystore", account="prod").list_groups(
        IdentityStoreId=fresh.state["identity_store_id"])) == ("AccessDeniedException", 400)


def test_refused_calls_are_recorded(fresh):
    with fresh.record() as recording:
        _refusal(lambda: fresh.client("iam").list_organizations_features())
    assert recording.operations == ["ListOrganizationsFeatures"]
    assert recording.writes == []


# --- trusted access, delegated administrators, closed accounts

def test_trusted_access_lets_the_management_account_manage_features_and_contacts(estate, dev):
    iam = _client(estate, "iam")
    assert sorted(iam.list_organizations_features()["EnabledFeatures"]) == ["RootCredentialsManagement",
                                                                            "RootSessions"]
    iam.disable_organizations_root_sessions()
    assert iam.list_organizations_features()["EnabledFeatures"] == ["RootCredentialsManagement"]
    enabled = iam.enable_organizations_root_sessions()["EnabledFeatures"]
    assert enabled == ["RootCredentialsManagement", "RootSessions"]
    account = _client(estate, "account")
    account.put_alternate_contact(AccountId=estate.accounts["prod"], AlternateContactType="SECURITY",
                                  Name="Sec", Title="CISO", EmailAddress="sec@example.com", PhoneNumber="+1 555 0100")
    assert account.get_alternate_contact(AccountId=estate.accounts["prod"], AlternateContactType="SECURITY")[
        "AlternateContact"]["Name"] == "Sec"
    # the caller never names its own account, and a member account never names another
    assert _refusal(lambda: account.get_alternate_contact(AccountId=estate.accounts["management"],
                                                          AlternateContactType="SECURITY")) == (
        "AccessDeniedException", 403)
    assert _refusal(lambda: _client(estate, "account", dev).get_alternate_contact(
        AccountId=estate.accounts["prod"], AlternateContactType="SECURITY")) == ("AccessDeniedException", 403)


def test_iam_delegated_administrator_lists_features_but_only_the_management_account_changes_them(tmp_path):
    box = Sandbox(sandbox_tool.start(str(tmp_path), root_access=True), str(tmp_path))
    try:
        _client(box, "organizations").register_delegated_administrator(
            AccountId=box.accounts["staging"], ServicePrincipal="iam.amazonaws.com")
        iam = box.client("iam", account="staging")
        assert len(iam.list_organizations_features()["EnabledFeatures"]) == 2
        assert _refusal(iam.disable_organizations_root_sessions) == ("CallerIsNotManagementAccountException", 400)
        assert _refusal(lambda: box.client("iam", account="dev").list_organizations_features()) == (
            "AccountNotManagementOrDelegatedAdministratorException", 400)
    finally:
        sandbox_tool.stop(str(tmp_path))


def test_delegated_administrator_reads_the_organisation(estate, dev, staging):
    org = _client(estate, "organizations", dev)
    names = {a["Name"] for a in org.list_accounts()["Accounts"]}
    assert {"dev", "staging", "prod", "retired", "closing"} <= names
    assert org.list_roots()["Roots"][0]["Id"] == estate.state["root_id"]
    assert _refusal(lambda: org.enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")) == (
        "AccessDeniedException", 400)
    assert _refusal(_client(estate, "organizations", staging).list_accounts) == ("AccessDeniedException", 400)


def test_closed_accounts_are_pending_then_suspended_and_cannot_be_entered(estate):
    org = _client(estate, "organizations")
    statuses = {a["Name"]: a["Status"] for a in org.list_accounts()["Accounts"]}
    assert statuses["retired"] == "SUSPENDED" and statuses["closing"] == "PENDING_CLOSURE"
    for name in ("retired", "closing"):
        assert _refusal(lambda: sandbox_tool.member_credentials(estate.endpoint, estate.accounts[name])) == (
            "AccessDenied", 403)
        assert _refusal(lambda: org.close_account(AccountId=estate.accounts[name])) == (
            "AccountAlreadyClosedException", 400)
    assert _refusal(lambda: org.close_account(AccountId=estate.accounts["management"])) == (
        "ConstraintViolationException", 400)


def test_close_account_goes_through_pending_closure(tmp_path):
    box = Sandbox(sandbox_tool.start(str(tmp_path)), str(tmp_path))
    try:
        org = _client(box, "organizations")
        org.close_account(AccountId=box.accounts["staging"])
        assert org.describe_account(AccountId=box.accounts["staging"])["Account"]["Status"] == "PENDING_CLOSURE"
        deadline = time.monotonic() + 30
        while org.describe_account(AccountId=box.accounts["staging"])["Account"]["Status"] != "SUSPENDED":
            assert time.monotonic() < deadline, "the account never reached SUSPENDED"
            time.sleep(0.2)
        assert org.describe_account(AccountId=box.accounts["staging"])["Account"]["State"] == "SUSPENDED"
    finally:
        sandbox_tool.stop(str(tmp_path))


# --- Identity Center from its delegated administrator

def test_delegated_administrator_administers_the_organisation_instance(estate, dev):
    sso, store = _client(estate, "sso-admin", dev), _client(estate, "identitystore", dev)
    instances = sso.list_instances()["Instances"]
    assert [i["InstanceArn"] for i in instances] == [estate.state["instance_arn"]]
    assert instances[0]["IdentityStoreId"] == estate.state["identity_store_id"]
    group = store.create_group(IdentityStoreId=estate.state["identity_store_id"], DisplayName="da-admins")["GroupId"]
    user = store.create_user(IdentityStoreId=estate.state["identity_store_id"], UserName="da-alice",
                             DisplayName="Alice", Name={"GivenName": "Alice", "FamilyName": "Doe"})["UserId"]
    store.create_group_membership(IdentityStoreId=estate.state["identity_store_id"], GroupId=group,
                                  MemberId={"UserId": user})
    seen = _client(estate, "identitystore").list_groups(IdentityStoreId=estate.state["identity_store_id"])["Groups"]
    assert "da-admins" in [g["DisplayName"] for g in seen]  # one directory, seen from both homes
    arn = sso.create_permission_set(InstanceArn=estate.state["instance_arn"], Name="DaDeveloper")["PermissionSet"][
        "PermissionSetArn"]
    status = sso.create_account_assignment(
        InstanceArn=estate.state["instance_arn"], TargetId=estate.accounts["prod"], TargetType="AWS_ACCOUNT",
        PermissionSetArn=arn, PrincipalType="GROUP", PrincipalId=group)["AccountAssignmentCreationStatus"]
    assert status["Status"] == "SUCCEEDED"
    sso.update_permission_set(InstanceArn=estate.state["instance_arn"], PermissionSetArn=arn, Description="changed")
    sso.provision_permission_set(InstanceArn=estate.state["instance_arn"], PermissionSetArn=arn,
                                 TargetType="ALL_PROVISIONED_ACCOUNTS")


def test_delegated_administrator_cannot_touch_the_management_account(estate, dev):
    instance, management = estate.state["instance_arn"], estate.accounts["management"]
    sso, mgmt_sso = _client(estate, "sso-admin", dev), _client(estate, "sso-admin")
    group = _client(estate, "identitystore").create_group(IdentityStoreId=estate.state["identity_store_id"],
                                                          DisplayName="da-mgmt")["GroupId"]
    own = sso.create_permission_set(InstanceArn=instance, Name="DaOwn")["PermissionSet"]["PermissionSetArn"]
    assert _refusal(lambda: sso.create_account_assignment(
        InstanceArn=instance, TargetId=management, TargetType="AWS_ACCOUNT", PermissionSetArn=own,
        PrincipalType="GROUP", PrincipalId=group)) == ("AccessDeniedException", 400)
    assert _refusal(lambda: sso.provision_permission_set(
        InstanceArn=instance, PermissionSetArn=own, TargetType="AWS_ACCOUNT", TargetId=management)) == (
        "AccessDeniedException", 400)
    # a permission set provisioned to the management account is the management account's to manage
    theirs = mgmt_sso.create_permission_set(InstanceArn=instance, Name="MgmtOnly")["PermissionSet"][
        "PermissionSetArn"]
    mgmt_sso.create_account_assignment(InstanceArn=instance, TargetId=management, TargetType="AWS_ACCOUNT",
                                       PermissionSetArn=theirs, PrincipalType="GROUP", PrincipalId=group)
    # ... also where the management account assigned it to a member account: the delegated administrator reads it there
    # but may not remove it (DeleteAccountAssignment), as it may not add one (CreateAccountAssignment).
    mgmt_sso.create_account_assignment(InstanceArn=instance, TargetId=estate.accounts["staging"],
                                       TargetType="AWS_ACCOUNT", PermissionSetArn=theirs, PrincipalType="GROUP",
                                       PrincipalId=group)
    assert sso.describe_permission_set(InstanceArn=instance, PermissionSetArn=theirs)["PermissionSet"][
        "Name"] == "MgmtOnly"
    assert sso.list_accounts_for_provisioned_permission_set(InstanceArn=instance, PermissionSetArn=theirs)[
        "AccountIds"] == sorted([management, estate.accounts["staging"]])
    assert [a["PrincipalId"] for a in sso.list_account_assignments(
        InstanceArn=instance, AccountId=estate.accounts["staging"], PermissionSetArn=theirs)["AccountAssignments"]] == [
        group]
    for call in (
        lambda: sso.update_permission_set(InstanceArn=instance, PermissionSetArn=theirs, Description="x"),
        lambda: sso.attach_managed_policy_to_permission_set(
            InstanceArn=instance, PermissionSetArn=theirs,
            ManagedPolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"),
        lambda: sso.create_account_assignment(InstanceArn=instance, TargetId=estate.accounts["prod"],
                                              TargetType="AWS_ACCOUNT", PermissionSetArn=theirs,
                                              PrincipalType="GROUP", PrincipalId=group),
        lambda: sso.provision_permission_set(InstanceArn=instance, PermissionSetArn=theirs,
                                             TargetType="ALL_PROVISIONED_ACCOUNTS"),
        lambda: sso.delete_account_assignment(InstanceArn=instance, TargetId=estate.accounts["staging"],
                                              TargetType="AWS_ACCOUNT", PermissionSetArn=theirs,
                                              PrincipalType="GROUP", PrincipalId=group),
        lambda: sso.tag_resource(InstanceArn=instance, ResourceArn=theirs, Tags=[{"Key": "k", "Value": "v"}]),
        lambda: sso.delete_permission_set(InstanceArn=instance, PermissionSetArn=theirs),
    ):
        assert _refusal(call) == ("AccessDeniedException", 400)
    mgmt_sso.update_permission_set(InstanceArn=instance, PermissionSetArn=theirs, Description="by management")


def test_member_phase_role_whose_trust_names_the_delegated_administrator(estate, dev):
    sts = _client(estate, "sts", dev)
    prod = estate.accounts["prod"]
    assert _refusal(lambda: sts.assume_role(RoleArn=f"arn:aws:iam::{prod}:role/{sandbox_tool.MEMBER_ROLE}",
                                            RoleSessionName="da")) == ("AccessDenied", 403)
    arn = sts.assume_role(RoleArn=f"arn:aws:iam::{prod}:role/{sandbox_tool.OPERATOR_ROLE}",
                          RoleSessionName="da")["AssumedRoleUser"]["Arn"]
    assert arn == f"arn:aws:sts::{prod}:assumed-role/{sandbox_tool.OPERATOR_ROLE}/da"


# --- AssumeRoot and member accounts' root credentials

def test_root_credentials_show_in_the_account_summary_and_credential_report(estate):
    summary = _client(estate, "iam", sandbox_tool.member_credentials(estate.endpoint, estate.accounts["prod"])
                      ).get_account_summary()["SummaryMap"]
    assert (summary["AccountMFAEnabled"], summary["AccountAccessKeysPresent"],
            summary["AccountSigningCertificatesPresent"]) == (1, 1, 0)
    iam = _client(estate, "iam", sandbox_tool.member_credentials(estate.endpoint, estate.accounts["dev"]))
    while iam.generate_credential_report()["State"] != "COMPLETE":
        time.sleep(0.1)
    root_row = iam.get_credential_report()["Content"].decode().splitlines()[1].split(",")
    assert root_row[:2] == ["<root_account>", f"arn:aws:iam::{estate.accounts['dev']}:root"]
    assert root_row[7:9] == ["true", "true"]  # mfa_active, access_key_1_active
    assert [d["SerialNumber"] for d in iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")[
        "VirtualMFADevices"]] == [f"arn:aws:iam::{estate.accounts['dev']}:mfa/root-account-mfa-device"]


def test_assume_root_is_refused_where_aws_refuses_it(estate, staging):
    sts = _client(estate, "sts")
    task = {"arn": f"{'arn:aws:iam::aws:policy/root-task/'}{AUDIT}"}
    for target in (estate.accounts["management"], estate.accounts["retired"], "999999999999"):
        assert _refusal(lambda: sts.assume_root(TargetPrincipal=target, TaskPolicyArn=task)) == ("AccessDenied", 403)
    assert _refusal(lambda: _client(estate, "sts", staging).assume_root(
        TargetPrincipal=estate.accounts["prod"], TaskPolicyArn=task)) == ("AccessDenied", 403)
    assert _refusal(lambda: sts.assume_root(TargetPrincipal=estate.accounts["prod"], TaskPolicyArn={
        "arn": "arn:aws:iam::aws:policy/AdministratorAccess"})) == ("ValidationError", 400)
    assert _refusal(lambda: sts.assume_root(TargetPrincipal=estate.accounts["prod"], TaskPolicyArn=task,
                                            DurationSeconds=3600)) == ("ValidationError", 400)


def test_assume_root_needs_root_sessions(fresh):
    assert _refusal(lambda: sandbox_tool.root_session(fresh.endpoint, fresh.accounts["prod"])) == (
        "AccessDenied", 403)


def test_audit_session_reads_the_root_users_credentials_and_nothing_else(estate):
    session = sandbox_tool.root_session(estate.endpoint, estate.accounts["dev"], AUDIT)
    assert _client(estate, "sts", session).get_caller_identity()["Arn"] == f"arn:aws:iam::{estate.accounts['dev']}:root"
    iam = _client(estate, "iam", session)
    assert "CreateDate" in iam.get_login_profile()["LoginProfile"]
    assert len(iam.list_access_keys()["AccessKeyMetadata"]) == 1
    assert len(iam.list_signing_certificates()["Certificates"]) == 1
    assert [d["SerialNumber"] for d in iam.list_mfa_devices()["MFADevices"]] == [
        f"arn:aws:iam::{estate.accounts['dev']}:mfa/root-account-mfa-device"]
    assert iam.get_account_summary()["SummaryMap"]["AccountMFAEnabled"] == 1
    for call in (iam.delete_login_profile, iam.list_users, lambda: iam.get_login_profile(UserName="admin"),
                 lambda: _client(estate, "organizations", session).describe_organization()):
        assert _refusal(call)[0] in ("AccessDenied", "AccessDeniedException")
    assert _refusal(lambda: _client(estate, "iam", sandbox_tool.root_session(
        estate.endpoint, estate.accounts["prod"], AUDIT)).get_login_profile()) == ("NoSuchEntity", 404)


def test_delete_session_removes_the_root_users_credentials(estate):
    account = estate.accounts["staging"]
    iam = _client(estate, "iam", sandbox_tool.root_session(estate.endpoint, account, DELETE))
    with estate.record() as recording:
        iam.delete_login_profile()
    assert recording.writes == ["DeleteLoginProfile"]
    assert _refusal(iam.get_login_profile) == ("NoSuchEntity", 404)
    prod = _client(estate, "iam", sandbox_tool.root_session(estate.endpoint, estate.accounts["prod"], DELETE))
    for key in prod.list_access_keys()["AccessKeyMetadata"]:
        prod.delete_access_key(AccessKeyId=key["AccessKeyId"])
    for device in prod.list_mfa_devices()["MFADevices"]:
        prod.deactivate_mfa_device(SerialNumber=device["SerialNumber"])
    summary = _client(estate, "iam", sandbox_tool.member_credentials(estate.endpoint, estate.accounts["prod"])
                      ).get_account_summary()["SummaryMap"]
    assert (summary["AccountMFAEnabled"], summary["AccountAccessKeysPresent"]) == (0, 0)
    assert sandbox_tool.control(estate.endpoint, "root-credentials")[estate.accounts["prod"]] == {
        "password": None, "access_keys": [], "signing_certificates": [], "mfa_devices": []}
    assert _refusal(lambda: prod.delete_access_key(AccessKeyId="AKIAnosuchkey0000000")) == ("NoSuchEntity", 404)
