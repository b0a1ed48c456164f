"""moto's server with the AWS behaviours the sandbox needs and moto 5.2 gets wrong.

Run by tools/sandbox.py instead of `python -m moto.server`; arguments are moto's. Each patch
is a documented AWS behaviour (docs/sandbox.md), kept as small as possible:

- ListAccountsForProvisionedPermissionSet: AWS lists every account a permission set is
  provisioned to, and creating an account assignment provisions the permission set to that
  account. moto lists only the caller's account; here the answer comes from the assignments
  and the explicit provisioning calls.
- CreateAccountAssignment: AWS keeps one assignment per (account, permission set, principal);
  creating one that exists succeeds without a second copy. moto stores a duplicate.
- EnableAWSServiceAccess: AWS accepts iam.amazonaws.com (trusted access for centralized root
  access, since November 2024); moto's list of trusted services predates it.
- AddClientIDToOpenIDConnectProvider / RemoveClientIDFromOpenIDConnectProvider: not in moto;
  AWS adds an audience once (adding one that is there succeeds) and removes it if present.
"""

import sys

from moto.core.responses import EmptyResult
from moto.iam.responses import IamResponse
from moto.organizations.models import FakeServiceAccess
from moto.server import main as moto_main
from moto.ssoadmin.models import SSOAdminBackend

if "iam.amazonaws.com" not in FakeServiceAccess.TRUSTED_SERVICES:
    FakeServiceAccess.TRUSTED_SERVICES.append("iam.amazonaws.com")

_moto_list_accounts = SSOAdminBackend.list_accounts_for_provisioned_permission_set


def list_accounts_for_provisioned_permission_set(self, instance_arn, permission_set_arn):
    accounts = set(_moto_list_accounts(self, instance_arn, permission_set_arn))
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
