"""moto's server with the AWS behaviours the sandbox needs and moto 5.2 gets wrong.

Run by tools/sandbox.py instead of `python -m moto.server`; arguments are moto's. Each patch
is a documented AWS behaviour (docs/sandbox.md), kept as small as possible:

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
- AddClientIDToOpenIDConnectProvider / RemoveClientIDFromOpenIDConnectProvider: not in moto;
  AWS adds an audience once (adding one that is there succeeds) and removes it if present.
"""

import json
import sys

from moto.core.responses import EmptyResult
from moto.iam.responses import IamResponse
from moto.organizations.models import FakeServiceAccess
from moto.server import main as moto_main
from moto.ssoadmin.models import SSOAdminBackend
from moto.ssoadmin.responses import SSOAdminResponse

if "iam.amazonaws.com" not in FakeServiceAccess.TRUSTED_SERVICES:
    FakeServiceAccess.TRUSTED_SERVICES.append("iam.amazonaws.com")


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

if __name__ == "__main__":
    sys.exit(moto_main(sys.argv[1:]))
