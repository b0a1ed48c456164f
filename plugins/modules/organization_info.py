#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: organization_info
short_description: Describe the AWS organization, its OU tree and its accounts
version_added: 1.0.0
description:
  - Returns the organization, its roots, every organizational unit with its path
    (for example C(Workloads/Prod)), every account with its OU path, the services with trusted access
    and the delegated administrators.
  - Accounts can then be referred to by name or ID anywhere in the access model.
  - Run it from the management account or a delegated administrator (of any AWS service, IAM Identity Center's
    included). AWS Organizations answers its reads only to those; another member account is refused with what to
    change.
options: {}
author:
  - ssoshift contributors (@ssoshift)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the organization
  ssoshift.identity_center.organization_info:
  register: org

- name: Map account names to IDs
  ansible.builtin.set_fact:
    account_ids: "{{ org.accounts | items2dict(key_name='name', value_name='id') }}"
"""

RETURN = r"""
organization:
  description: The organization.
  returned: success
  type: dict
  contains:
    id:
      description: Organization ID.
      type: str
      sample: o-exampleorgid
    arn:
      description: Organization ARN.
      type: str
    feature_set:
      description: C(ALL) or C(CONSOLIDATED_BILLING).
      type: str
      sample: ALL
    management_account_id:
      description: ID of the management account.
      type: str
      sample: "123456789012"
    management_account_email:
      description: Email of the management account.
      type: str
roots:
  description: The organization roots.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Root ID.
      type: str
      sample: r-ab12
    arn:
      description: Root ARN.
      type: str
    name:
      description: Root name.
      type: str
      sample: Root
organizational_units:
  description: Every OU, sorted by path.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: OU ID.
      type: str
      sample: ou-ab12-cdef3456
    name:
      description: OU name.
      type: str
      sample: Prod
    path:
      description: Names from the root down, joined by C(/).
      type: str
      sample: Workloads/Prod
    parent_id:
      description: ID of the parent root or OU.
      type: str
accounts:
  description: Every account, sorted by name.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Account ID.
      type: str
      sample: "210987654321"
    name:
      description: Account name.
      type: str
      sample: prod
    email:
      description: Account email.
      type: str
    status:
      description: C(ACTIVE), C(SUSPENDED) or C(PENDING_CLOSURE).
      type: str
    ou_path:
      description: Path of the OU holding the account; empty for accounts directly under the root.
      type: str
      sample: Workloads/Prod
trusted_services:
  description: Service principals with trusted access.
  returned: success
  type: list
  elements: str
  sample: ["account.amazonaws.com", "sso.amazonaws.com"]
delegated_administrators:
  description: Delegated administrator accounts, each with C(id), C(name) and the C(services) delegated to it.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Account ID.
      type: str
    name:
      description: Account name.
      type: str
    services:
      description: Service principals delegated to the account, sorted.
      type: list
      elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import administrator_read
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import describe_organization


def read(module):
    organizations = client(module, "organizations")
    result = describe_organization(organizations)
    management = result["organization"]["management_account_id"]
    result["trusted_services"] = sorted(s["ServicePrincipal"] for s in administrator_read(
        organizations, "list_aws_service_access_for_organization", "EnabledServicePrincipals", management))
    result["delegated_administrators"] = []
    for admin in administrator_read(organizations, "list_delegated_administrators", "DelegatedAdministrators",
                                    management):
        services = administrator_read(organizations, "list_delegated_services_for_account", "DelegatedServices",
                                      management, AccountId=admin["Id"])
        result["delegated_administrators"].append({"id": admin["Id"], "name": admin.get("Name"),
                                                   "services": sorted(s["ServicePrincipal"] for s in services)})
    return dict(changed=False, **result)


def main():
    module = AnsibleAWSModule(argument_spec={}, supports_check_mode=True)
    module.exit_json(**run(module, lambda: read(module), "Failed to describe the AWS organization"))


if __name__ == "__main__":
    main()
