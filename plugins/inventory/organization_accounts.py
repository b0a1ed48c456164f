# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: organization_accounts
short_description: AWS Organizations accounts as inventory hosts
version_added: 1.0.0
description:
  - One host per account of the organization (C(ansible_connection=local), with the controller's Python as
    C(ansible_python_interpreter)), so per-account phases of the
    migration run in parallel with forks, and scale out in AWX with job slicing.
  - Host variables C(account_id), C(account_name), C(email), C(status), C(ou_path) and C(tags).
  - Groups C(aws_accounts) (all), one group per OU path (C(ou_workloads_prod), a child of C(ou_workloads)),
    plus whatever C(compose), C(groups) and C(keyed_groups) build (for example from tags).
  - The file name must end with C(organization_accounts.yml) or C(organization_accounts.yaml).
  - Run it with credentials of the management account or of a delegated administrator (AWS Organizations answers
    its reads only to those); other credentials fail the parse with what to change.
options:
  plugin:
    description: The name of this plugin.
    required: true
    choices: [ssoshift.identity_center.organization_accounts]
    type: str
  statuses:
    description: Account statuses to include.
    type: list
    elements: str
    default: [ACTIVE]
  include_ous:
    description: Only accounts under these OUs (paths such as C(Workloads/Prod), recursive).
    type: list
    elements: str
    default: []
  exclude_ous:
    description: Leave out accounts under these OUs (paths, recursive).
    type: list
    elements: str
    default: []
  include_accounts:
    description: Only these accounts (names or IDs).
    type: list
    elements: str
    default: []
  exclude_accounts:
    description: Leave out these accounts (names or IDs).
    type: list
    elements: str
    default: []
  hostnames:
    description: Use the account name (C(name)) or ID (C(id)) as the inventory hostname.
    type: str
    default: name
    choices: [name, id]
extends_documentation_fragment:
  - inventory_cache
  - constructed
  - amazon.aws.boto3
  - amazon.aws.common.plugins
  - amazon.aws.region.plugins
  - amazon.aws.assume_role.plugins
author:
  - ssoshift contributors (@ssoshift)
"""

EXAMPLES = r"""
# inventory/organization_accounts.yml
plugin: ssoshift.identity_center.organization_accounts
exclude_ous: [Suspended]
keyed_groups:
  - key: tags.environment | default('none')
    prefix: env
compose:
  member_role_arn: "'arn:aws:iam::' ~ account_id ~ ':role/OrganizationAccountAccessRole'"

# ansible-inventory -i inventory/organization_accounts.yml --graph
"""

import re
import sys

from ansible.errors import AnsibleError

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.amazon.aws.plugins.plugin_utils.inventory import AWSInventoryBase

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import retry_decorator
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import administrator_read
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import describe_organization


def group_name(ou_path):
    return "ou_" + re.sub(r"[^a-z0-9]+", "_", ou_path.lower()).strip("_")


def _under(path, prefixes):
    return any(path == p or path.startswith(p.rstrip("/") + "/") for p in prefixes)


def select(accounts, options):
    """The accounts the options keep (pure; the unit tests reach it)."""
    chosen = []
    for account in accounts:
        refs = {account["id"], account["name"]}
        if account.get("status") not in options["statuses"]:
            continue
        if options["include_ous"] and not _under(account["ou_path"], options["include_ous"]):
            continue
        if options["exclude_ous"] and _under(account["ou_path"], options["exclude_ous"]):
            continue
        if options["include_accounts"] and not refs & set(map(str, options["include_accounts"])):
            continue
        if refs & set(map(str, options["exclude_accounts"])):
            continue
        chosen.append(account)
    return chosen


class InventoryModule(AWSInventoryBase):
    NAME = "ssoshift.identity_center.organization_accounts"
    INVENTORY_FILE_SUFFIXES = ("organization_accounts.yml", "organization_accounts.yaml")

    def _read(self):
        organizations = RetryingBotoClientWrapper(self.client("organizations"), retry_decorator())
        tree = describe_organization(organizations)
        management = tree["organization"]["management_account_id"]
        for account in tree["accounts"]:
            account["tags"] = {t["Key"]: t["Value"] for t in administrator_read(
                organizations, "list_tags_for_resource", "Tags", management, ResourceId=account["id"])}
        return tree["accounts"]

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache=cache)
        cached, accounts = self.get_cached_result(path, cache)
        if not cached:
            try:
                accounts = self._read()
            except SsoShiftError as error:  # a caller AWS Organizations does not answer: what to change
                raise AnsibleError(f"organization_accounts: {error}") from error
            except Exception as error:  # pylint: disable=broad-except
                raise AnsibleError(f"organization_accounts: could not read the organization: {error}") from error
            self.update_cached_result(path, cache, accounts)
        options = {key: self.get_option(key) for key in
                   ("statuses", "include_ous", "exclude_ous", "include_accounts", "exclude_accounts")}
        self._populate(select(accounts, options))

    def _populate(self, accounts):
        strict = self.get_option("strict")
        self.inventory.add_group("aws_accounts")
        for account in accounts:
            host = account["name"] if self.get_option("hostnames") == "name" else account["id"]
            self.inventory.add_host(host, group="aws_accounts")
            hostvars = {"account_id": account["id"], "account_name": account["name"], "email": account["email"],
                        "status": account["status"], "ou_path": account["ou_path"], "tags": account["tags"],
                        "ansible_connection": "local",
                        # the controller's own Python, as for the implicit localhost (inventory values are
                        # not templated, so this is the interpreter running the inventory, not a template)
                        "ansible_python_interpreter": sys.executable}
            for key, value in hostvars.items():
                self.inventory.set_variable(host, key, value)
            parent = None
            parts = account["ou_path"].split("/") if account["ou_path"] else []
            for depth in range(1, len(parts) + 1):
                group = self.inventory.add_group(group_name("/".join(parts[:depth])))
                if parent:
                    self.inventory.add_child(parent, group)
                parent = group
            if parent:
                self.inventory.add_child(parent, host)
            self._set_composite_vars(self.get_option("compose"), hostvars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host, strict=strict)
