"""moto's server with the AWS behaviours the sandbox needs and moto 5.2 gets wrong.

Run by tools/sandbox.py instead of `python -m moto.server`, with its -H and -p arguments. Each patch
is a documented AWS behaviour (docs/sandbox.md), kept as small as possible.

Identity Center and IAM corrections:

- ListAccountsForProvisionedPermissionSet: AWS lists every account a permission set is
  provisioned to, and creating an account assignment provisions the permission set to that
  account. moto lists only the caller's account; here the answer comes from the assignments
  and the explicit provisioning calls.
- CreateAccountAssignment: AWS keeps one assignment per (account, permission set, principal);
  creating one that exists succeeds without a second copy. moto stores a duplicate.
- ProvisioningStatus (ListAccountsForProvisionedPermissionSet): AWS tells which accounts lack
  the latest version of a permission set. moto ignores the filter; here every change to a
  permission set bumps its version, and ProvisionPermissionSet (TargetId or
  ALL_PROVISIONED_ACCOUNTS) and CreateAccountAssignment record the version an account holds.
- EnableAWSServiceAccess: AWS accepts iam.amazonaws.com (trusted access for centralized root
  access, since November 2024); moto's list of trusted services predates it.
- GetAlternateContact: a contact that is not set is ResourceNotFoundException with HTTP 404, as
  AWS documents (moto: 400).
- RegisterDelegatedAdministrator: AWS accepts sso.amazonaws.com (IAM Identity Center),
  iam.amazonaws.com and account.amazonaws.com; moto's list of such services predates them.
- AddClientIDToOpenIDConnectProvider / RemoveClientIDFromOpenIDConnectProvider: not in moto;
  AWS adds an audience once (adding one that is there succeeds) and removes it if present.

Caller contexts (moto answers any call from any account; AWS does not). One gate runs before
every action (`_gate`, called from BaseResponse.call_action) and answers with AWS's error code,
in the service's own error format, where AWS refuses the caller:

- Organizations: DescribeOrganization answers any member account. The other reads (ListRoots,
  ListAccounts, ListAccountsForParent, ListOrganizationalUnitsForParent, ListParents,
  ListChildren, DescribeAccount, DescribeOrganizationalUnit, ListAWSServiceAccessForOrganization,
  ListDelegatedAdministrators, ListDelegatedServicesForAccount, ListTagsForResource, ...) answer
  only the management account or a delegated administrator (of any service), and a member
  account gets AccessDeniedException; every write (EnableAWSServiceAccess,
  RegisterDelegatedAdministrator, CloseAccount, CreateAccount, MoveAccount, TagResource, ...)
  answers only the management account. An account in no organisation gets
  AWSOrganizationsNotInUseException. A delegated administrator's reads are answered from the
  organisation (moto keeps it in the management account's backend only).
- Account Management (Get/Put/DeleteAlternateContact): without AccountId, any account reads and
  writes its own contacts. With AccountId: only the management account or the delegated
  administrator of account.amazonaws.com, only once trusted access for account.amazonaws.com is
  enabled, only for another member account of the same organisation; anything else is
  AccessDeniedException (HTTP 403), as AWS answers (the caller may not name its own account).
- IAM organizations features (ListOrganizationsFeatures, Enable/DisableOrganizationsRootCredentials-
  Management, Enable/DisableOrganizationsRootSessions): not in moto; modelled here.
  OrganizationNotFoundException outside an organisation, OrganizationNotInAllFeaturesModeException
  without all features, AccountNotManagementOrDelegatedAdministratorException from a member that is
  not the IAM delegated administrator, ServiceAccessNotEnabledException until trusted access for
  iam.amazonaws.com is enabled, CallerIsNotManagementAccountException when the IAM delegated
  administrator enables or disables a feature.
- sts:AssumeRole: the role must exist and its trust policy must name the caller (its account,
  `arn:aws:iam::<account>:root`, or its user/role ARN, or "*") for sts:AssumeRole; otherwise
  AccessDenied (HTTP 403), as STS answers. OrganizationAccountAccessRole, as Organizations creates
  it, trusts the management account only, so only the management account may assume it.
  Trust-policy conditions are not evaluated. A role in a closed (PENDING_CLOSURE or SUSPENDED)
  account cannot be assumed: AccessDenied.
- CloseAccount: AWS puts the account in PENDING_CLOSURE, then SUSPENDED a few minutes later; moto
  goes straight to SUSPENDED. Here the account is PENDING_CLOSURE for SSOSHIFT_CLOSURE_SECONDS
  (default 2) and SUSPENDED after; closing it again is AccountAlreadyClosedException; the
  management account cannot be closed (ConstraintViolationException).
- Identity Center (sso-admin, identitystore): the management account and the delegated
  administrator of sso.amazonaws.com administer the organisation's instance (moto keeps one
  instance per account: the delegated administrator's calls are answered from the management
  account's). Another member account sees no instance (ListInstances is empty) and any other
  call is AccessDeniedException. From the delegated administrator, AWS refuses (AccessDeniedException):
  account assignments to the management account, provisioning to it, and any change to a
  permission set provisioned to the management account (update, delete, policies, boundary,
  tags, assignments of it in any account, provisioning).
- sts:AssumeRoot (not in moto): from the management account or the IAM delegated administrator,
  with RootSessions enabled, TargetPrincipal a member account (never the management account,
  never a closed account), TaskPolicyArn one of the root-task policies
  (IAMAuditRootUserCredentials, IAMCreateRootUserPassword, IAMDeleteRootUserCredentials,
  S3UnlockBucketPolicy, SQSUnlockQueuePolicy), DurationSeconds at most 900. Otherwise
  AccessDenied (ValidationError for a malformed request). The credentials act as the member
  account's root user, only for the actions of the task policy (AccessDenied for any other;
  ExpiredToken after the duration); GetCallerIdentity answers arn:aws:iam::<account>:root.
- Root user credentials (not in moto): each account's root user may hold a password, access keys,
  signing certificates and MFA devices (seeded through POST /ssoshift-api/root-credentials, read
  with GET). Under a root session, the IAM calls without UserName (GetUser, GetLoginProfile,
  CreateLoginProfile, DeleteLoginProfile, ListAccessKeys, GetAccessKeyLastUsed, DeleteAccessKey,
  ListSigningCertificates, DeleteSigningCertificate, ListMFADevices, DeactivateMFADevice) act on
  the root user; naming an IAM user is outside the session's scope (AccessDenied).
  GetAccountSummary (AccountMFAEnabled, AccountAccessKeysPresent,
  AccountSigningCertificatesPresent), the credential report's <root_account> row (moto has none)
  and ListVirtualMFADevices (a root virtual device) reflect them.

Speed, not behaviour:

- IAM's AWS-managed policies: moto builds every account's IAM backend by parsing its bundled data of about 1,600
  AWS-managed policies and serialising each document again (about 0.4 s and 5 MB per account; an organisation of
  300 accounts spent two minutes there). The data is parsed and each document serialised once per process; every
  account still gets its own policy objects (attachment counts are per account), sharing the document strings.
- Which backend serves a request: moto's dispatcher works it out on every request, under a lock, by listing its own
  package folder and matching every backend's URL patterns (half of the server's time in an organisation-scale run).
  The answer for a host never changes: it is kept per host.
- Persistent connections: moto's server (werkzeug's development server) answers every request with
  "Connection: close", so each API call opened a new TCP connection and a new server thread, and botocore's
  connection pool never reused one; AWS's endpoints keep connections open. The sandbox serves moto's application
  on waitress (HTTP/1.1, persistent connections, a fixed pool of threads) with the same -H/-p arguments.

The request recorder (moto-api/recorder) records every request, refused ones included.
"""

import datetime
import json
import os
import sys
import time
import uuid
from xml.sax.saxutils import escape

from moto.account.exceptions import UnspecifiedContactType
from moto.core.responses import BaseResponse
from moto.core.responses import EmptyResult
from moto.iam import models as iam_models
from moto.iam.models import AccountSummary
from moto.iam.models import AWSManagedPolicy
from moto.iam.models import IAMBackend
from moto.iam.responses import IamResponse
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.moto_server.werkzeug_app import create_backend_app
from moto.organizations.exceptions import AccountAlreadyClosedException
from moto.organizations.models import FakeAccount
from moto.organizations.models import FakeDelegatedAdministrator
from moto.organizations.models import FakeServiceAccess
from moto.ssoadmin.models import SSOAdminBackend
from moto.ssoadmin.responses import SSOAdminResponse

if "iam.amazonaws.com" not in FakeServiceAccess.TRUSTED_SERVICES:
    FakeServiceAccess.TRUSTED_SERVICES.append("iam.amazonaws.com")
# Account Management answers an alternate contact that is not set with ResourceNotFoundException, HTTP 404
# (moto: 400).
UnspecifiedContactType.code = 404
# AWS supports a delegated administrator for IAM Identity Center, IAM (centralized root access) and Account
# Management; moto's list of such services predates them.
for _service in ("sso.amazonaws.com", "iam.amazonaws.com", "account.amazonaws.com"):
    if _service not in FakeDelegatedAdministrator.SUPPORTED_SERVICES:
        FakeDelegatedAdministrator.SUPPORTED_SERVICES.append(_service)


_AWS_MANAGED_POLICIES = []  # (name, default version, path, document text, created, updated), read once


def _init_aws_policies(self):
    """moto's IAMBackend._init_aws_policies from data parsed once per process (see the docstring)."""
    if not iam_models.load_iam_aws_managed_policies():
        return []
    if not _AWS_MANAGED_POLICIES:
        for name, data in json.loads(iam_models.aws_managed_policies_data).items():
            _AWS_MANAGED_POLICIES.append((name, data.get("DefaultVersionId"), data.get("Path"),
                                          json.dumps(data.get("Document")),
                                          datetime.datetime.fromisoformat(data["CreateDate"]),
                                          datetime.datetime.fromisoformat(data["UpdateDate"])))
    return [AWSManagedPolicy(name, account_id=self.account_id, region=self.region_name, default_version_id=version,
                             path=path, document=document, create_date=created, update_date=updated)
            for name, version, path, document, created, updated in _AWS_MANAGED_POLICIES]


IAMBackend._init_aws_policies = _init_aws_policies

_moto_backend_for_host = DomainDispatcherApplication.get_backend_for_host


def get_backend_for_host(self, host):
    """moto's answer, kept per host (see the docstring); called under the dispatcher's lock."""
    known = self.__dict__.setdefault("_ssoshift_backend_for_host", {})
    if host not in known:
        known[host] = _moto_backend_for_host(self, host)
    return known[host]


DomainDispatcherApplication.get_backend_for_host = get_backend_for_host


def list_accounts_for_provisioned_permission_set(self, instance_arn, permission_set_arn):
    # moto records provisioning to its caller's account only; AWS provisions to each target.
    accounts = {account for arn, account in getattr(self, "ssoshift_provisioned", {}) if arn == permission_set_arn}
    accounts.update(a.target_id for a in self.account_assignments
                    if a.instance_arn == instance_arn and a.permission_set_arn == permission_set_arn)
    return sorted(accounts)


SSOAdminBackend.list_accounts_for_provisioned_permission_set = list_accounts_for_provisioned_permission_set

_moto_create_assignment = SSOAdminBackend.create_account_assignment


def create_account_assignment(self, instance_arn, target_id, target_type, permission_set_arn, principal_type,
                              principal_id):
    for existing in self.account_assignments:
        if (existing.instance_arn, existing.target_id, existing.permission_set_arn, existing.principal_type,
                existing.principal_id) == (instance_arn, target_id, permission_set_arn, principal_type, principal_id):
            return existing.to_json(include_creation_date=True, include_request_id=True)
    return _moto_create_assignment(self, instance_arn, target_id, target_type, permission_set_arn, principal_type,
                                   principal_id)


SSOAdminBackend.create_account_assignment = create_account_assignment


# Permission-set versions: {arn: version}; what each account holds: {(arn, account): version}.
def _versions(backend):
    if not hasattr(backend, "ssoshift_versions"):
        backend.ssoshift_versions, backend.ssoshift_provisioned = {}, {}
    return backend.ssoshift_versions, backend.ssoshift_provisioned


def _bumps_version(method):
    def changed(self, *args, **kwargs):
        result = method(self, *args, **kwargs)
        arn = kwargs.get("permission_set_arn", args[1] if len(args) > 1 else None)
        versions, dummy = _versions(self)
        versions[arn] = versions.get(arn, 0) + 1
        return result
    return changed


for _name in ("update_permission_set", "put_inline_policy_to_permission_set",
              "delete_inline_policy_from_permission_set", "attach_managed_policy_to_permission_set",
              "detach_managed_policy_from_permission_set",
              "attach_customer_managed_policy_reference_to_permission_set",
              "detach_customer_managed_policy_reference_from_permission_set"):
    setattr(SSOAdminBackend, _name, _bumps_version(getattr(SSOAdminBackend, _name)))


def _provisioned_to(backend, permission_set_arn, account_id):
    versions, provisioned = _versions(backend)
    provisioned[(permission_set_arn, account_id)] = versions.get(permission_set_arn, 0)


_create_with_version = SSOAdminBackend.create_account_assignment


def create_account_assignment_provisions(self, instance_arn, target_id, target_type, permission_set_arn,
                                         principal_type, principal_id):
    result = _create_with_version(self, instance_arn, target_id, target_type, permission_set_arn, principal_type,
                                  principal_id)
    if (permission_set_arn, target_id) not in _versions(self)[1]:
        _provisioned_to(self, permission_set_arn, target_id)  # an assignment provisions what is not there yet
    return result


SSOAdminBackend.create_account_assignment = create_account_assignment_provisions

_moto_provision_response = SSOAdminResponse.provision_permission_set


def provision_permission_set(self):
    backend, arn = self.ssoadmin_backend, self._get_param("PermissionSetArn")
    if self._get_param("TargetType") == "ALL_PROVISIONED_ACCOUNTS":
        targets = backend.list_accounts_for_provisioned_permission_set(self._get_param("InstanceArn"), arn)
    else:
        targets = [self._get_param("TargetId")]
    for account_id in targets:
        _provisioned_to(backend, arn, account_id)
    return _moto_provision_response(self)


SSOAdminResponse.provision_permission_set = provision_permission_set

_moto_list_response = SSOAdminResponse.list_accounts_for_provisioned_permission_set


def list_accounts_by_provisioning_status(self):
    status = self._get_param("ProvisioningStatus")
    if not status:
        return _moto_list_response(self)
    backend, arn = self.ssoadmin_backend, self._get_param("PermissionSetArn")
    versions, provisioned = _versions(backend)
    accounts = backend.list_accounts_for_provisioned_permission_set(self._get_param("InstanceArn"), arn)
    outdated = [a for a in accounts if provisioned.get((arn, a), -1) < versions.get(arn, 0)]
    chosen = outdated if status == "LATEST_PERMISSION_SET_NOT_PROVISIONED" else sorted(set(accounts) - set(outdated))
    return json.dumps({"AccountIds": chosen})


SSOAdminResponse.list_accounts_for_provisioned_permission_set = list_accounts_by_provisioning_status


def add_client_id_to_open_id_connect_provider(self):
    provider = self.backend.get_open_id_connect_provider(self._get_param("OpenIDConnectProviderArn"))
    client_id = self._get_param("ClientID")
    if client_id not in provider.client_id_list:
        provider.client_id_list.append(client_id)
    return EmptyResult()


def remove_client_id_from_open_id_connect_provider(self):
    provider = self.backend.get_open_id_connect_provider(self._get_param("OpenIDConnectProviderArn"))
    client_id = self._get_param("ClientID")
    if client_id in provider.client_id_list:
        provider.client_id_list.remove(client_id)
    return EmptyResult()


IamResponse.add_client_id_to_open_id_connect_provider = add_client_id_to_open_id_connect_provider
IamResponse.remove_client_id_from_open_id_connect_provider = remove_client_id_from_open_id_connect_provider


# --------------------------------------------------------------------------- caller contexts
# Everything below models who may call what (module docstring, docs/sandbox.md).

ORGANIZATIONS_WRITES = {
    "AcceptHandshake", "AttachPolicy", "CancelHandshake", "CloseAccount", "CreateAccount", "CreateGovCloudAccount",
    "CreateOrganization", "CreateOrganizationalUnit", "CreatePolicy", "DeclineHandshake", "DeleteOrganization",
    "DeleteOrganizationalUnit", "DeletePolicy", "DeleteResourcePolicy", "DeregisterDelegatedAdministrator",
    "DetachPolicy", "DisableAWSServiceAccess", "DisablePolicyType", "EnableAWSServiceAccess", "EnableAllFeatures",
    "EnablePolicyType", "InviteAccountToOrganization", "LeaveOrganization", "MoveAccount", "PutResourcePolicy",
    "RegisterDelegatedAdministrator", "RemoveAccountFromOrganization", "TagResource", "UntagResource",
    "UpdateOrganizationalUnit", "UpdatePolicy",
}
# Answered for any account of the organisation (or outside one: CreateOrganization, handshakes).
ORGANIZATIONS_ANY_MEMBER = {"DescribeOrganization", "CreateOrganization", "LeaveOrganization", "AcceptHandshake",
                            "DeclineHandshake", "ListHandshakesForAccount", "DescribeEffectivePolicy"}
IAM_FEATURE_CALLS = {
    "ListOrganizationsFeatures": None,
    "EnableOrganizationsRootCredentialsManagement": ("RootCredentialsManagement", True),
    "DisableOrganizationsRootCredentialsManagement": ("RootCredentialsManagement", False),
    "EnableOrganizationsRootSessions": ("RootSessions", True),
    "DisableOrganizationsRootSessions": ("RootSessions", False),
}
# Changes to a permission set (AWS refuses them from the delegated administrator when the permission set is
# provisioned to the management account).
PERMISSION_SET_CHANGES = {
    "UpdatePermissionSet", "DeletePermissionSet", "PutInlinePolicyToPermissionSet",
    "DeleteInlinePolicyFromPermissionSet", "AttachManagedPolicyToPermissionSet",
    "DetachManagedPolicyFromPermissionSet", "AttachCustomerManagedPolicyReferenceToPermissionSet",
    "DetachCustomerManagedPolicyReferenceFromPermissionSet", "PutPermissionsBoundaryToPermissionSet",
    "DeletePermissionsBoundaryFromPermissionSet", "ProvisionPermissionSet", "CreateAccountAssignment",
    "DeleteAccountAssignment", "TagResource", "UntagResource",
}
_ROOT_AUDIT = {"iam:GetAccountSummary", "iam:GetAccessKeyLastUsed", "iam:GetLoginProfile", "iam:GetUser",
               "iam:ListAccessKeys", "iam:ListMFADevices", "iam:ListSigningCertificates"}
# The AWS-managed root-task policies (arn:aws:iam::aws:policy/root-task/<name>), by the actions they allow.
ROOT_TASK_POLICIES = {
    "IAMAuditRootUserCredentials": _ROOT_AUDIT,
    "IAMCreateRootUserPassword": {"iam:CreateLoginProfile", "iam:GetLoginProfile", "iam:GetUser"},
    "IAMDeleteRootUserCredentials": _ROOT_AUDIT - {"iam:GetAccountSummary"} | {
        "iam:DeleteLoginProfile", "iam:DeleteAccessKey", "iam:DeleteSigningCertificate", "iam:DeactivateMFADevice"},
    "S3UnlockBucketPolicy": {"s3:DeleteBucketPolicy", "s3:GetBucketPolicy", "s3:PutBucketPolicy",
                             "s3:ListAllMyBuckets"},
    "SQSUnlockQueuePolicy": {"sqs:AddPermission", "sqs:GetQueueAttributes", "sqs:ListQueues", "sqs:RemovePermission",
                             "sqs:SetQueueAttributes"},
}
ROOT_TASK_PREFIX = "arn:aws:iam::aws:policy/root-task/"
ROOT_SESSION_MAX_SECONDS = 900
CLOSURE_SECONDS = float(os.environ.get("SSOSHIFT_CLOSURE_SECONDS", "2"))
CLOSED = ("PENDING_CLOSURE", "SUSPENDED")

ORG_FEATURES = {}  # {organization id: {"RootCredentialsManagement", "RootSessions"}}
ROOT_SESSIONS = {}  # {access key id: {"account": ..., "task": ..., "expires": epoch seconds}}
ROOT_CREDENTIALS = {}  # {account id: {"password": {...} | None, "access_keys": [...], ...}}

_XML_NAMESPACES = {"iam": "https://iam.amazonaws.com/doc/2010-05-08/",
                   "sts": "https://sts.amazonaws.com/doc/2011-06-15/"}


class Refusal(Exception):
    """AWS's answer to a caller it refuses: the error code, the message and the HTTP status."""

    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _error_response(response, refusal):
    service = response.service_name
    if service in _XML_NAMESPACES:  # query protocol: IAM, STS
        body = (f'<ErrorResponse xmlns="{_XML_NAMESPACES[service]}"><Error><Type>Sender</Type>'
                f"<Code>{refusal.code}</Code><Message>{escape(refusal.message)}</Message></Error>"
                f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>")
        return refusal.status, {"Content-Type": "text/xml"}, body
    body = json.dumps({"__type": refusal.code, "message": refusal.message, "Message": refusal.message})
    return refusal.status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": refusal.code}, body


def _access_denied(response, action, reason):
    principal = _caller_arn(response)
    return Refusal("AccessDenied" if response.service_name in _XML_NAMESPACES else "AccessDeniedException",
                   f"User: {principal} is not authorized to perform: {action} ({reason})", 403)


# --- who is calling, and in which organisation

def _organizations():
    from moto.organizations.models import organizations_backends
    return organizations_backends


def _management_of(account_id):
    """The management account ID of the organisation account_id belongs to (None outside one)."""
    backends = _organizations()
    if account_id in backends.master_accounts:
        return backends.master_accounts[account_id][0]
    if account_id in backends and backends[account_id]["aws"].org is not None:
        return account_id
    return None


def _org_backend(account_id):
    management = _management_of(account_id)
    return _organizations()[management]["aws"] if management else None


def _trusted(org, service_principal):
    return any(s["ServicePrincipal"] == service_principal for s in org.services)


def _delegated_services(org, account_id):
    for admin in org.admins:
        if admin.account.id == account_id:
            return set(admin.services)
    return set()


def _org_account(org, account_id):
    return next((a for a in org.accounts if a.id == account_id), None)


def _account_status(account):
    """Lazily move a closing account from PENDING_CLOSURE to SUSPENDED once its closure time has passed."""
    closes_at = getattr(account, "ssoshift_closes_at", None)
    if account.status == "PENDING_CLOSURE" and closes_at is not None and time.time() >= closes_at:
        account.status = account.state = "SUSPENDED"
    return account.status


def _assumed_role(access_key, account_id):
    from moto.sts.models import sts_backends
    if account_id not in sts_backends:
        return None
    return sts_backends[account_id]["aws"].get_assumed_role_from_access_key(access_key)


def _caller_arn(response):
    key, account = response.get_access_key(), response.current_account
    if key in ROOT_SESSIONS:
        return f"arn:aws:iam::{ROOT_SESSIONS[key]['account']}:root"
    role = _assumed_role(key, account)
    if role is not None:
        return role.arn
    from moto.iam.models import iam_backends
    user = iam_backends[account]["global"].get_user_from_access_key_id(key) if account in iam_backends else None
    return user.arn if user else f"arn:aws:iam::{account}:root"


def _caller_principals(response):
    """The principal ARNs a trust policy may name to let this caller in."""
    key, account = response.get_access_key(), response.current_account
    principals = {account, f"arn:aws:iam::{account}:root"}
    role = _assumed_role(key, account)
    if role is not None:
        principals.add(f"arn:aws:iam::{account}:role/{role.role_arn.split('/')[-1]}")
        principals.add(role.role_arn)
    else:
        principals.add(_caller_arn(response))
    return principals


# --- the gate

def _gate(response):
    """Raise Refusal where AWS refuses this caller; may redirect the call to the organisation's backend."""
    service, action = response.service_name, response._get_action()
    key = response.get_access_key()
    if key in ROOT_SESSIONS:
        _root_session_gate(response, service, action, ROOT_SESSIONS[key])
        return
    if service == "organizations":
        _organizations_gate(response, action)
    elif service == "account":
        _account_gate(response, action)
    elif service == "iam" and action in IAM_FEATURE_CALLS:
        _iam_features_gate(response, action)
    elif service == "sts" and action == "AssumeRole":
        _assume_role_gate(response)
    elif service in ("sso-admin", "identitystore"):
        _identity_center_gate(response, service, action)


def _organizations_gate(response, action):
    caller = response.current_account
    management = _management_of(caller)
    if management is None:
        if action not in ("CreateOrganization", "AcceptHandshake", "DeclineHandshake", "ListHandshakesForAccount"):
            raise Refusal("AWSOrganizationsNotInUseException",
                          "Your account is not a member of an organization.")
        return
    if caller == management or action in ORGANIZATIONS_ANY_MEMBER:
        if action == "CloseAccount" and response._get_param("AccountId") == management:
            raise Refusal("ConstraintViolationException",
                          "You can't close the management account with CloseAccount.")
        return
    if action in ORGANIZATIONS_WRITES:
        raise Refusal("AccessDeniedException", "You don't have permissions to access this resource. "
                      f"{action} can be called only from the organization's management account.")
    if not _delegated_services(_org_backend(caller), caller):
        raise Refusal("AccessDeniedException", "You don't have permissions to access this resource. "
                      f"{action} can be called only from the organization's management account or by a member "
                      "account that is a delegated administrator.")
    response.current_account = management  # moto keeps the organisation in the management account's backend


def _account_gate(response, action):
    caller = response.current_account
    target = response._get_param("AccountId")
    if not target:
        return  # the caller's own account, standalone context: any account
    org = _org_backend(caller)
    if target == caller:
        raise _access_denied(response, f"account:{action}", "the caller's own account is called without AccountId")
    if org is None or (caller != org.account_id and "account.amazonaws.com" not in _delegated_services(org, caller)):
        raise _access_denied(response, f"account:{action}", "only the management account or the delegated "
                             "administrator of account.amazonaws.com may name another account")
    if not _trusted(org, "account.amazonaws.com"):
        raise _access_denied(response, f"account:{action}", "trusted access for account.amazonaws.com is not "
                             "enabled in AWS Organizations")
    if _org_account(org, target) is None:
        raise _access_denied(response, f"account:{action}", f"account {target} is not a member of the organization")


def _iam_features_gate(response, action):
    caller = response.current_account
    org = _org_backend(caller)
    if org is None:
        raise Refusal("OrganizationNotFoundException", "No organization is associated with your account.")
    if org.org.feature_set != "ALL":
        raise Refusal("OrganizationNotInAllFeaturesModeException", "Your organization does not have All features "
                      "enabled.")
    delegated = "iam.amazonaws.com" in _delegated_services(org, caller)
    if caller != org.account_id and not delegated:
        raise Refusal("AccountNotManagementOrDelegatedAdministratorException",
                      "The account making the request is not the management account or delegated administrator "
                      "account for centralized root access.")
    if not _trusted(org, "iam.amazonaws.com"):
        raise Refusal("ServiceAccessNotEnabledException",
                      "Trusted access is not enabled for IAM in AWS Organizations.")
    if IAM_FEATURE_CALLS[action] is not None and caller != org.account_id:
        raise Refusal("CallerIsNotManagementAccountException",
                      "The account making the request is not the management account for the organization.")


def _assume_role_gate(response):
    from moto.iam.models import iam_backends
    role_arn = response._get_param("RoleArn") or ""
    parts = role_arn.split(":")
    account, name = (parts[4], role_arn.rsplit("/", 1)[-1]) if len(parts) > 5 else ("", "")
    denied = _access_denied(response, "sts:AssumeRole", f"on resource: {role_arn}")
    org = _org_backend(account)
    target = _org_account(org, account) if org else None
    if target is not None and _account_status(target) in CLOSED:
        raise denied
    backend = iam_backends[account]["global"] if account in iam_backends else None
    role = next((r for r in backend.roles.values() if r.name == name), None) if backend else None
    if role is None:
        raise denied
    trust = json.loads(role.assume_role_policy_document) if isinstance(
        role.assume_role_policy_document, str) else role.assume_role_policy_document
    principals = _caller_principals(response)
    allowed = False
    for statement in _listed(trust.get("Statement")):
        actions = _listed(statement.get("Action"))
        if not any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            continue
        named = statement.get("Principal")
        named = ["*"] if named == "*" else _listed((named or {}).get("AWS"))
        if "*" in named or principals & set(named):
            if statement.get("Effect") == "Deny":
                raise denied
            allowed = True
    if not allowed:
        raise denied


def _listed(value):
    return value if isinstance(value, list) else ([] if value is None else [value])


def _identity_center_gate(response, service, action):
    caller = response.current_account
    org = _org_backend(caller)
    if org is None or caller == org.account_id:
        return
    management, caller_arn = org.account_id, _caller_arn(response)
    if "sso.amazonaws.com" not in _delegated_services(org, caller):
        if action == "ListInstances":
            raise _EmptyInstances()
        raise Refusal("AccessDeniedException", f"User: {caller_arn} is not authorized to perform: "
                      f"{'sso' if service == 'sso-admin' else service}:{action} (the account is neither the "
                      "management account nor the delegated administrator of IAM Identity Center)")
    response.current_account = management  # the organisation's instance lives in the management account
    if service != "sso-admin" or action not in PERMISSION_SET_CHANGES:
        return
    instance_arn = response._get_param("InstanceArn")
    arn = response._get_param("PermissionSetArn") or response._get_param("ResourceArn")
    target = response._get_param("TargetId")
    refused = None
    if action in ("CreateAccountAssignment", "DeleteAccountAssignment", "ProvisionPermissionSet") \
            and target == management:
        refused = f"the delegated administrator cannot {action} in the management account {management}"
    elif arn and "/ps-" in arn and instance_arn:  # moto names permission sets arn:aws:sso:::instance/<id>/ps-<id>
        from moto.ssoadmin.models import ssoadmin_backends
        backend = ssoadmin_backends[management][response.region]
        if management in backend.list_accounts_for_provisioned_permission_set(instance_arn, arn):
            refused = (f"the permission set {arn} is provisioned to the management account {management}: only the "
                       "management account can change, assign, provision or delete it")
    if refused:
        raise Refusal("AccessDeniedException", f"User: {caller_arn} is not authorized to perform: "
                      f"sso:{action} ({refused})")


class _EmptyInstances(Exception):
    """A member account that does not administer Identity Center sees no instance."""


# --- root sessions (sts:AssumeRoot)

def _root_session_gate(response, service, action, session):
    if time.time() > session["expires"]:
        raise Refusal("ExpiredToken", "The security token included in the request is expired", 400)
    if service == "sts" and action == "GetCallerIdentity":
        return
    wanted = f"{service}:{action}"
    if wanted not in ROOT_TASK_POLICIES[session["task"]]:
        raise Refusal("AccessDenied" if service in _XML_NAMESPACES else "AccessDeniedException",
                      f"User: arn:aws:iam::{session['account']}:root is not authorized to perform: {wanted} because "
                      f"no session policy allows the {wanted} action (task policy {session['task']})", 403)
    if service == "iam" and response._get_param("UserName"):
        raise Refusal("AccessDenied", f"User: arn:aws:iam::{session['account']}:root is not authorized to perform: "
                      f"{wanted} on resource: user {response._get_param('UserName')} (a root session acts on the "
                      "root user's own credentials only)", 403)


_moto_call_action = BaseResponse.call_action


def call_action(self):
    try:
        _gate(self)
    except Refusal as refusal:
        return _error_response(self, refusal)
    except _EmptyInstances:
        return 200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps({"Instances": []})
    key, action = self.get_access_key(), self._get_action()
    if key in ROOT_SESSIONS:
        handled = _root_session_call(self, ROOT_SESSIONS[key])
        if handled is not None:
            return handled
    if self.service_name == "sts" and action == "AssumeRoot":
        return assume_root(self)
    if self.service_name == "iam" and action in IAM_FEATURE_CALLS:
        return _features_response(self)
    return _moto_call_action(self)


BaseResponse.call_action = call_action


def _root(account_id):
    return ROOT_CREDENTIALS.setdefault(account_id, {"password": None, "access_keys": [], "signing_certificates": [],
                                                    "mfa_devices": []})


def _xml(service, action, inner=""):
    namespace = _XML_NAMESPACES[service]
    return (200, {"Content-Type": "text/xml"},
            f'<{action}Response xmlns="{namespace}"><{action}Result>{inner}</{action}Result>'
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{action}Response>")


def _members(name, items):
    return f"<{name}>" + "".join(f"<member>{item}</member>" for item in items) + f"</{name}>"


def _no_such(what):
    return _error_response_for("iam", Refusal("NoSuchEntity", f"The {what} of the root user cannot be found.", 404))


def _error_response_for(service, refusal):
    return _error_response(type("Caller", (), {"service_name": service}), refusal)


def _root_session_call(response, session):
    """The IAM calls of a root session act on the account's root user; None lets moto answer."""
    service, action, account = response.service_name, response._get_action(), session["account"]
    if service == "sts" and action == "GetCallerIdentity":
        return _xml("sts", action, f"<UserId>{account}</UserId><Account>{account}</Account>"
                                   f"<Arn>arn:aws:iam::{account}:root</Arn>")
    if service != "iam":
        return None
    root = _root(account)
    created = "2020-01-01T00:00:00Z"
    if action == "GetUser":
        return _xml("iam", action, f"<User><Path>/</Path><UserId>{account}</UserId>"
                                   f"<Arn>arn:aws:iam::{account}:root</Arn><CreateDate>{created}</CreateDate></User>")
    if action == "GetLoginProfile":
        if root["password"] is None:
            return _no_such("login profile")
        return _xml("iam", action, f"<LoginProfile><CreateDate>{root['password']['created']}</CreateDate>"
                                   "<PasswordResetRequired>false</PasswordResetRequired></LoginProfile>")
    if action == "CreateLoginProfile":
        if root["password"] is not None:
            return _error_response_for("iam", Refusal("EntityAlreadyExists", "The root user already has a password.",
                                                      409))
        root["password"] = {"created": _now()}
        return _xml("iam", action, f"<LoginProfile><CreateDate>{root['password']['created']}</CreateDate>"
                                   "<PasswordResetRequired>true</PasswordResetRequired></LoginProfile>")
    if action == "DeleteLoginProfile":
        if root["password"] is None:
            return _no_such("login profile")
        root["password"] = None
        return _xml("iam", action)
    if action == "ListAccessKeys":
        return _xml("iam", action, _members("AccessKeyMetadata", [
            f"<AccessKeyId>{k['id']}</AccessKeyId><Status>{k['status']}</Status><CreateDate>{k['created']}</CreateDate>"
            for k in root["access_keys"]]) + "<IsTruncated>false</IsTruncated>")
    if action == "GetAccessKeyLastUsed":
        key_id = response._get_param("AccessKeyId")
        if not any(k["id"] == key_id for k in root["access_keys"]):
            return _no_such(f"access key {key_id}")
        return _xml("iam", action, "<AccessKeyLastUsed><ServiceName>N/A</ServiceName><Region>N/A</Region>"
                                   "</AccessKeyLastUsed>")
    if action == "DeleteAccessKey":
        return _root_delete(root, "access_keys", "id", response._get_param("AccessKeyId"), action, "access key")
    if action == "ListSigningCertificates":
        return _xml("iam", action, _members("Certificates", [
            f"<CertificateId>{c['id']}</CertificateId><CertificateBody>{c['body']}</CertificateBody>"
            f"<Status>{c['status']}</Status><UploadDate>{c['created']}</UploadDate>"
            for c in root["signing_certificates"]]) + "<IsTruncated>false</IsTruncated>")
    if action == "DeleteSigningCertificate":
        return _root_delete(root, "signing_certificates", "id", response._get_param("CertificateId"), action,
                            "signing certificate")
    if action == "ListMFADevices":
        return _xml("iam", action, _members("MFADevices", [
            f"<SerialNumber>{d['serial']}</SerialNumber><EnableDate>{d['created']}</EnableDate>"
            for d in root["mfa_devices"]]) + "<IsTruncated>false</IsTruncated>")
    if action == "DeactivateMFADevice":
        serial = response._get_param("SerialNumber")
        answer = _root_delete(root, "mfa_devices", "serial", serial, action, "MFA device")
        if answer[0] == 200:
            from moto.iam.models import iam_backends
            iam_backends[account]["global"].virtual_mfa_devices.pop(serial, None)
        return answer
    return None  # GetAccountSummary: moto answers, with the root user's credentials (summary patch)


def _root_delete(root, kind, field, value, action, what):
    for item in root[kind]:
        if item[field] == value:
            root[kind].remove(item)
            return _xml("iam", action)
    return _no_such(f"{what} {value}")


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def assume_root(self):
    caller = self.current_account
    org = _org_backend(caller)
    target = str(self._get_param("TargetPrincipal") or "")
    target = target.split(":")[4] if target.startswith("arn:") and len(target.split(":")) > 4 else target
    task_arn = self._get_param("TaskPolicyArn")
    task_arn = (task_arn or {}).get("arn") if isinstance(task_arn, dict) else (
        task_arn or self._get_param("TaskPolicyArn.arn"))
    duration = int(self._get_param("DurationSeconds") or ROOT_SESSION_MAX_SECONDS)

    def denied(reason):
        message = f"User: {_caller_arn(self)} is not authorized to perform: sts:AssumeRoot ({reason})"
        return _error_response(self, Refusal("AccessDenied", message, 403))
    if not task_arn or not task_arn.startswith(ROOT_TASK_PREFIX) or \
            task_arn[len(ROOT_TASK_PREFIX):] not in ROOT_TASK_POLICIES:
        return _error_response(self, Refusal("ValidationError", f"TaskPolicyArn {task_arn!r} is not one of the "
                                                                "AWS managed root-task policies"))
    if not 0 < duration <= ROOT_SESSION_MAX_SECONDS:
        return _error_response(self, Refusal("ValidationError", f"DurationSeconds {duration} exceeds the "
                                             f"{ROOT_SESSION_MAX_SECONDS} seconds of a root session"))
    if org is None or (caller != org.account_id and "iam.amazonaws.com" not in _delegated_services(org, caller)):
        return denied("only the management account or the IAM delegated administrator may call AssumeRoot")
    if "RootSessions" not in ORG_FEATURES.get(org.org.id, set()):
        return denied("centralized root access (RootSessions) is not enabled for the organization")
    if target == org.account_id:
        return denied("AssumeRoot cannot target the management account")
    account = _org_account(org, target)
    if account is None:
        return denied(f"{target} is not a member account of the organization")
    if _account_status(account) in CLOSED:
        return denied(f"account {target} is {account.status}")
    from moto.iam.models import iam_backends
    key = iam_backends[target]["global"].create_temp_access_key()
    expires = time.time() + duration
    ROOT_SESSIONS[key.access_key_id] = {"account": target, "task": task_arn[len(ROOT_TASK_PREFIX):],
                                        "expires": expires}
    expiration = datetime.datetime.fromtimestamp(expires, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return _xml("sts", "AssumeRoot", f"<Credentials><AccessKeyId>{key.access_key_id}</AccessKeyId>"
                                     f"<SecretAccessKey>{key.secret_access_key}</SecretAccessKey>"
                                     f"<SessionToken>{uuid.uuid4().hex * 4}</SessionToken>"
                                     f"<Expiration>{expiration}</Expiration></Credentials>")


# --- IAM organizations features

def _features_response(self):
    action = self._get_action()
    org = _org_backend(self.current_account)
    features = ORG_FEATURES.setdefault(org.org.id, set())
    change = IAM_FEATURE_CALLS[action]
    if change is not None:
        feature, enable = change
        if enable:
            features.add(feature)
        else:
            features.discard(feature)
    return _xml("iam", action, f"<OrganizationId>{org.org.id}</OrganizationId>"
                               + _members("EnabledFeatures", sorted(features)))


# --- closed accounts

def close(self):
    if _account_status(self) in CLOSED:
        raise AccountAlreadyClosedException
    self.status = self.state = "PENDING_CLOSURE"
    self.ssoshift_closes_at = time.time() + CLOSURE_SECONDS


FakeAccount.close = close
_moto_describe_account = FakeAccount.describe


def describe_account(self):
    _account_status(self)
    return _moto_describe_account(self)


FakeAccount.describe = describe_account


# --- root user credentials in GetAccountSummary, the credential report and ListVirtualMFADevices

_moto_summary_map = AccountSummary.summary_map.fget


def summary_map(self):
    summary = _moto_summary_map(self)
    root = ROOT_CREDENTIALS.get(self._iam_backend.account_id)
    if root:
        summary["AccountMFAEnabled"] = int(bool(root["mfa_devices"]))
        summary["AccountAccessKeysPresent"] = int(bool(root["access_keys"]))
        summary["AccountSigningCertificatesPresent"] = int(bool(root["signing_certificates"]))
    return summary


AccountSummary.summary_map = property(summary_map)
_moto_credential_report = IAMBackend.get_credential_report


def get_credential_report(self):
    report = _moto_credential_report(self)
    header, rest = report.split("\n", 1)
    root = ROOT_CREDENTIALS.get(self.account_id, {"access_keys": [], "signing_certificates": [], "mfa_devices": []})

    def key(i):
        keys = root["access_keys"]
        if i < len(keys):
            return [str(keys[i]["status"] == "Active").lower(), keys[i]["created"], "N/A", "N/A", "N/A"]
        return ["false", "N/A", "N/A", "N/A", "N/A"]

    def cert(i):
        certs = root["signing_certificates"]
        if i < len(certs):
            return [str(certs[i]["status"] == "Active").lower(), certs[i]["created"]]
        return ["false", "N/A"]
    row = ["<root_account>", f"arn:aws:iam::{self.account_id}:root", "2020-01-01T00:00:00+00:00", "not_supported",
           "no_information", "not_supported", "not_supported", str(bool(root["mfa_devices"])).lower(),
           *key(0), *key(1), *cert(0), *cert(1)]
    return f"{header}\n{','.join(row)}\n{rest}"


IAMBackend.get_credential_report = get_credential_report


# --- the sandbox's control endpoint: root credentials and closure holds (never reached by AWS clients)

def _seed_root_credentials(account_id, spec):
    """spec: {"password": bool, "access_keys": n, "signing_certificates": n, "mfa": "virtual" | "hardware" | None}"""
    root = ROOT_CREDENTIALS[account_id] = {"password": None, "access_keys": [], "signing_certificates": [],
                                           "mfa_devices": []}
    now = _now()
    if spec.get("password"):
        root["password"] = {"created": now}
    for dummy in range(int(spec.get("access_keys", 0))):
        root["access_keys"].append({"id": "AKIA" + uuid.uuid4().hex[:16].upper(), "status": "Active", "created": now})
    for dummy in range(int(spec.get("signing_certificates", 0))):
        root["signing_certificates"].append({"id": uuid.uuid4().hex.upper()[:32], "status": "Active", "created": now,
                                             "body": "-----BEGIN CERTIFICATE-----sandbox-----END CERTIFICATE-----"})
    if spec.get("mfa") == "virtual":
        from moto.iam.models import VirtualMfaDevice, iam_backends
        device = VirtualMfaDevice(account_id, "us-east-1", "/root-account-mfa-device")
        device.enable_date = datetime.datetime.now(datetime.timezone.utc)
        iam_backends[account_id]["global"].virtual_mfa_devices[device.serial_number] = device
        root["mfa_devices"].append({"serial": device.serial_number, "created": now, "type": "virtual"})
    elif spec.get("mfa") == "hardware":
        root["mfa_devices"].append({"serial": f"GAHT{uuid.uuid4().int % 10 ** 8:08d}", "created": now,
                                    "type": "hardware"})
    return root


def _control(environ, start_response):
    path = environ.get("PATH_INFO", "")
    method = environ.get("REQUEST_METHOD", "GET")
    status, answer = "200 OK", {}
    if path == "/ssoshift-api/root-credentials" and method == "POST":
        body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"{}")
        for account_id, spec in body.items():
            _seed_root_credentials(account_id, spec)
        answer = {"accounts": sorted(body)}
    elif path == "/ssoshift-api/root-credentials":
        answer = ROOT_CREDENTIALS
    elif path == "/ssoshift-api/hold-closure" and method == "POST":  # keep a closing account in PENDING_CLOSURE
        body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"{}")
        for account_id in body.get("accounts", []):
            org = _org_backend(account_id)
            account = _org_account(org, account_id) if org else None
            if account is not None and account.status == "PENDING_CLOSURE":
                account.ssoshift_closes_at = None
        answer = {"held": body.get("accounts", [])}
    else:
        status, answer = "404 Not Found", {"error": f"unknown sandbox control {method} {path}"}
    payload = json.dumps(answer).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


_moto_dispatch = DomainDispatcherApplication.__call__


def dispatch(self, environ, start_response):
    if environ.get("PATH_INFO", "").startswith("/ssoshift-api/"):
        return _control(environ, start_response)
    return _moto_dispatch(self, environ, start_response)


DomainDispatcherApplication.__call__ = dispatch


def serve(argv):
    """moto's application on waitress (-H HOST, -p PORT, as `python -m moto.server` takes them): HTTP/1.1 with
    persistent connections, as AWS's endpoints keep them (see the docstring)."""
    import argparse
    import resource
    import signal
    import traceback

    import waitress
    from werkzeug.exceptions import InternalServerError

    parser = argparse.ArgumentParser(description="moto's server with the sandbox's patches")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=int(os.environ.get("MOTO_PORT", 5000)))
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds some URLs from it
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    moto_application = DomainDispatcherApplication(create_backend_app)
    moto_application.debug = True  # as moto's own server: its errors propagate to the server

    def application(environ, start_response):
        # An error moto raises (an action it lacks, say) is answered as werkzeug's server answers it: HTTP 500 with
        # werkzeug's HTML error page, the traceback in the log.
        try:
            return moto_application(environ, start_response)
        except Exception:  # pylint: disable=broad-except
            traceback.print_exc()
            error = sys.exc_info()
            return InternalServerError()(environ, lambda status, headers, exc_info=None: start_response(
                status, headers, error))

    # Threads: a module process runs up to 10 account workers and moto answers under Python's one lock, so more
    # threads would only queue. Connections: a module keeps one client (one idle connection) per account and service
    # until it exits - about 600 at 300 accounts - so poll() (select() stops at descriptor 1024) and a high limit.
    # The descriptors a connection takes: the soft limit raised to the hard one, the connection limit kept below it.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    limit = 5000 if hard == resource.RLIM_INFINITY else max(100, min(5000, hard - 100))
    waitress.serve(application, host=args.host, port=args.port, threads=12, connection_limit=limit,
                   asyncore_use_poll=True, channel_timeout=120, ident="ssoshift-sandbox", _quiet=True)


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1:]))
