#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: identitystore_info
short_description: Read users and groups (with members) from the IAM Identity Center directory
version_added: 1.0.0
description:
  - Returns users and groups of the identity store, groups with their members' user names.
  - With I(user_names) and/or I(group_names), returns just those, and lists in C(missing) the names that
    do not exist; I(fail_on_missing=true) makes that an error. Use it to look principals up when an external
    identity provider (SCIM) owns the directory.
  - Without names, returns every user and group.
options:
  user_names:
    description: User names to look up.
    type: list
    elements: str
  group_names:
    description: Group display names to look up.
    type: list
    elements: str
  fail_on_missing:
    description: Fail, naming them, when a name in I(user_names) or I(group_names) does not exist.
    type: bool
    default: false
author:
  - ssoshift contributors (@ssoshift)
extends_documentation_fragment:
  - ssoshift.identity_center.instance
  - ssoshift.identity_center.instance.identity_store
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Everyone in the directory
  ssoshift.identity_center.identitystore_info:
  register: directory

- name: Principals synchronised from Okta must exist before assignments are made
  ssoshift.identity_center.identitystore_info:
    user_names: [alice, bob]
    group_names: [platform-admins]
    fail_on_missing: true
"""

RETURN = r"""
identity_store_id:
  description: The identity store read.
  returned: always
  type: str
users:
  description: Users with C(user_id), C(user_name), C(display_name), C(given_name), C(family_name), C(email).
  returned: always
  type: list
  elements: dict
  contains:
    user_id:
      description: User ID.
      type: str
    user_name:
      description: Sign-in name.
      type: str
    display_name:
      description: Display name.
      type: str
    given_name:
      description: First name.
      type: str
    family_name:
      description: Last name.
      type: str
    email:
      description: Primary email.
      type: str
    title:
      description: Title, or null.
      type: str
    locale:
      description: Locale, or null.
      type: str
    timezone:
      description: Time zone, or null.
      type: str
    preferred_language:
      description: Preferred language, or null.
      type: str
    nickname:
      description: Nickname, or null.
      type: str
groups:
  description: Groups with C(group_id), C(display_name), C(description) and C(members) (user names).
  returned: always
  type: list
  elements: dict
  contains:
    group_id:
      description: Group ID.
      type: str
    display_name:
      description: Display name.
      type: str
    description:
      description: Description, or null.
      type: str
    members:
      description: User names of the members, sorted.
      type: list
      elements: str
missing:
  description: Names asked for that do not exist, as C({users, groups}).
  returned: always
  type: dict
  contains:
    users:
      description: User names of I(user_names) that do not exist.
      type: list
      elements: str
    groups:
      description: Group names of I(group_names) that do not exist.
      type: list
      elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.directory import IdentityStore
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import DIRECTORY_OPTIONS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import identity_store_id
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run


def _group_view(store, group):
    return {"group_id": group["group_id"], "display_name": group["display_name"],
            "description": group["description"],
            "members": sorted(store.user_name(i) or i for i in group["member_ids"])}


def read(module):
    params = module.params
    store = IdentityStore(client(module, "identitystore"), identity_store_id(module))
    missing = {"users": [], "groups": []}
    if params["user_names"] is None and params["group_names"] is None:
        store.load()  # ListUsers and ListGroups pages: names of members need no further call
        users = store.list_users()
        groups = [_group_view(store, store.read_group(g["DisplayName"])) for g in store.list_groups()]
    else:
        users, groups = [], []
        store.prefetch(params["user_names"] or [], params["group_names"] or [])
        for name in params["user_names"] or []:
            user = store.read_user(name)
            if user:
                users.append(user)
            else:
                missing["users"].append(name)
        for name in params["group_names"] or []:
            group = store.read_group(name)
            if group:
                groups.append(_group_view(store, group))
            else:
                missing["groups"].append(name)
    if params["fail_on_missing"] and (missing["users"] or missing["groups"]):
        problems = [f"user '{n}' does not exist" for n in missing["users"]] + [
            f"group '{n}' does not exist" for n in missing["groups"]]
        raise SsoShiftError(f"identity store {store.store_id}: " + "; ".join(problems), problems)
    return dict(changed=False, identity_store_id=store.store_id, users=sorted(users, key=lambda u: u["user_name"]),
                groups=sorted(groups, key=lambda g: g["display_name"]), missing=missing)


def main():
    argument_spec = dict(
        user_names=dict(type="list", elements="str"),
        group_names=dict(type="list", elements="str"),
        fail_on_missing=dict(type="bool", default=False),
        **DIRECTORY_OPTIONS,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    module.exit_json(**run(module, lambda: read(module), "Failed to read the identity store"))


if __name__ == "__main__":
    main()
