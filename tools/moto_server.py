"""moto's server with the AWS behaviours the sandbox needs and moto 5.2 gets wrong.

Run by tools/sandbox.py instead of `python -m moto.server`; arguments are moto's. Each patch
is a documented AWS behaviour (docs/sandbox.md), kept as small as possible:

- ListAccountsForProvisionedPermissionSet: AWS lists every account a permission set is
  provisioned to, and creating an account assignment provisions the permission set to that
  account. moto lists only the caller's account; here the answer comes from the assignments
  and the explicit provisioning calls.
"""

import sys

from moto.server import main as moto_main
from moto.ssoadmin.models import SSOAdminBackend

_moto_list_accounts = SSOAdminBackend.list_accounts_for_provisioned_permission_set


def list_accounts_for_provisioned_permission_set(self, instance_arn, permission_set_arn):
    accounts = set(_moto_list_accounts(self, instance_arn, permission_set_arn))
    accounts.update(a.target_id for a in self.account_assignments
                    if a.instance_arn == instance_arn and a.permission_set_arn == permission_set_arn)
    return sorted(accounts)


SSOAdminBackend.list_accounts_for_provisioned_permission_set = list_accounts_for_provisioned_permission_set

if __name__ == "__main__":
    sys.exit(moto_main(sys.argv[1:]))
