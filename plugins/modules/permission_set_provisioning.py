#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: permission_set_provisioning
short_description: Provision IAM Identity Center permission sets to the accounts they are provisioned to
version_added: 1.0.0
description:
  - Re-provisions each named permission set to every account it is already provisioned to
    (C(ProvisionPermissionSet) with C(ALL_PROVISIONED_ACCOUNTS)) and waits for each result.
  - Use it after changing several permission sets with M(ssoshift.identity_center.permission_set) and
    C(provision=false), so each is provisioned once.
  - A permission set provisioned nowhere is skipped (it is provisioned when first assigned).
  - With I(only_outdated=true) (the default) only permission sets whose latest version is not provisioned
    somewhere are provisioned (C(ProvisioningStatus=LATEST_PERMISSION_SET_NOT_PROVISIONED)), so running it after
    an interrupted play catches up without re-provisioning what is current.
  - Fails after trying them all when one fails, with AWS's failure reason.
  - An unknown name fails the task; in check mode it is taken for a permission set the play would create
    earlier, provisioned nowhere yet.
  - From IAM Identity Center's delegated administrator, a permission set to provision that is provisioned to the
    management account is refused before any provisioning (check mode too), as AWS refuses it there, naming the set,
    why and what to do. The caller is read (C(DescribeOrganization), C(GetCallerIdentity)) only when there is something
    to provision.
options:
  names:
    description: Names of the permission sets to provision.
    type: list
    elements: str
    required: true
  only_outdated:
    description: Provision only where the latest version of the permission set is not provisioned yet.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for each provisioning request.
    type: int
    default: 300
author:
  - ssoshift contributors (@ssoshift)
extends_documentation_fragment:
  - ssoshift.identity_center.instance
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Provision the permission sets changed earlier in the play
  ssoshift.identity_center.permission_set_provisioning:
    names: [AdministratorAccess, DeveloperAccess]
"""

RETURN = r"""
provisioning:
  description: Per permission set, C({name, status, accounts, request_id, account_id, failure_reason});
    C(status) is C(SKIPPED) when there is nothing to provision and C(WOULD_PROVISION) in check mode.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Permission set name.
      type: str
    status:
      description: AWS's final status (C(SUCCEEDED), C(FAILED)), C(SKIPPED) or C(WOULD_PROVISION).
      type: str
    accounts:
      description: IDs of the accounts provisioned to (those lacking the latest version, with I(only_outdated)).
      type: list
      elements: str
    request_id:
      description: AWS's request ID of the provisioning.
      returned: when provisioned (not skipped, not in check mode)
      type: str
    account_id:
      description: The account a failure happened in, as AWS reports it; null otherwise.
      returned: when provisioned (not skipped, not in check mode)
      type: str
    failure_reason:
      description: AWS's failure reason; null when it succeeded.
      returned: when provisioned (not skipped, not in check mode)
      type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import INSTANCE_OPTIONS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import instance_arn
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import member_caller_of
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.permission_sets import PermissionSets
from ansible_collections.ssoshift.identity_center.plugins.module_utils.permission_sets import management_refusals


def provision_all(module):
    engine = PermissionSets(client(module, "sso-admin"), instance_arn(module), module.check_mode,
                            module.params["wait_timeout"])
    by_name = engine.by_name()
    unknown = [name for name in module.params["names"] if name not in by_name]
    if unknown and not module.check_mode:
        raise SsoShiftError("names: no permission set named " + ", ".join(f"'{n}'" for n in unknown), unknown)
    # What each set would be provisioned to; a set this run would create (check mode) is provisioned nowhere yet.
    planned = [(name, sorted(engine.provisioned_accounts(by_name[name], module.params["only_outdated"]))
                if name in by_name else []) for name in module.params["names"]]
    # A delegated administrator may not provision a set provisioned to the management account: refused before any.
    fail_if_problems(management_refusals(engine, [(name, by_name[name]) for name, accounts in planned if accounts],
                                         member_caller_of(module), "permission set '{name}'"), "nothing was provisioned")
    results = []
    for name, accounts in planned:
        if not accounts:
            results.append({"name": name, "status": "SKIPPED", "accounts": []})
        elif module.check_mode:
            results.append({"name": name, "status": "WOULD_PROVISION", "accounts": accounts})
        else:
            results.append(dict(engine.provision(by_name[name]), name=name, accounts=accounts))
    return results


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(names=dict(type="list", elements="str", required=True),
                           only_outdated=dict(type="bool", default=True),
                           wait_timeout=dict(type="int", default=300), **INSTANCE_OPTIONS),
        supports_check_mode=True,
    )
    results = run(module, lambda: provision_all(module), "Failed to provision permission sets")
    changed = any(r["status"] not in ("SKIPPED",) for r in results)
    failed = [r for r in results if r["status"] == "FAILED"]
    if failed:
        module.fail_json(msg="provisioning failed: " + "; ".join(
            f"{r['name']} in account {r['account_id']}: {r['failure_reason']}" for r in failed),
            changed=changed, provisioning=results)
    module.exit_json(changed=changed, provisioning=results)


if __name__ == "__main__":
    main()
