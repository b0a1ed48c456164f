#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: identitystore_group
short_description: Manage a group and its members in the IAM Identity Center directory
version_added: 1.0.0
description:
  - Creates, updates or deletes a group of the Identity Center identity store, keyed by I(display_name),
    and adds the I(members) it lacks.
  - Members not listed are kept unless I(purge_members=true).
  - Every member must already exist; unknown user names fail the task, listing them all, before any write.
  - Shares the engine of M(ssoshift.identity_center.identitystore_directory). The group is created with the
    collection's mark in its description (groups cannot carry tags); an existing group without it is reported as
    adopted.
    In check mode they are reported as additions, since the play may create those users first.
options:
  display_name:
    description: The group's name, unique in the identity store.
    type: str
    required: true
    aliases: [name]
  description:
    description: Description of the group. Not managed when unset.
    type: str
  members:
    description: User names of the members. Not managed when unset.
    type: list
    elements: str
  purge_members:
    description: Remove members that are not in I(members).
    type: bool
    default: false
  state:
    description: Whether the group exists.
    type: str
    default: present
    choices: [present, absent]
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
- name: Platform admins, exactly these members
  ssoshift.identity_center.identitystore_group:
    display_name: platform-admins
    description: Day-to-day administrators
    members: [alice, bob]
    purge_members: true
"""

RETURN = r"""
group_id:
  description: ID of the group; null when it does not exist (or would be created in check mode).
  returned: always
  type: str
members_added:
  description: User names added (or that would be added).
  returned: always
  type: list
  elements: str
members_removed:
  description: User names removed (or that would be removed).
  returned: always
  type: list
  elements: str
group:
  description: The group after the change.
  returned: always
  type: dict
  contains:
    display_name:
      description: Name.
      type: str
    description:
      description: Description (without the collection's mark).
      type: str
    members:
      description: User names of the members.
      type: list
      elements: str
ownership:
  description: C(created) (by this run), C(managed) (carries the collection's mark) or C(adopted) (existed without it).
  returned: when state=present
  type: str
adopted:
  description: The group's name when it was adopted, else empty.
  returned: when state=present
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.directory import IdentityStore
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import DIRECTORY_OPTIONS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import identity_store_id
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import validate_group


def ensure(module):
    params = module.params
    fail_if_problems(validate_group(params, "identitystore_group"), "invalid group")
    store = IdentityStore(client(module, "identitystore"), identity_store_id(module), module.check_mode)
    if params["state"] == "absent":
        deleted = store.delete_group(params["display_name"])
        before = {} if deleted is None else {"display_name": deleted["display_name"],
                                             "description": deleted["description"]}
        return dict(changed=deleted is not None, group_id=deleted and deleted["group_id"], members_added=[],
                    members_removed=[], group=before, diff=dict(before=before, after={}))
    result = store.ensure_group(params["display_name"], params["description"], params["members"],
                                params["purge_members"])
    adopted = [params["display_name"]] if result["ownership"] == "adopted" else []
    after = dict(result["after"], **({"adopted": True} if adopted else {}))
    return dict(changed=result["changed"], group_id=result["group_id"], members_added=result["members_added"],
                members_removed=result["members_removed"], group=result["after"], ownership=result["ownership"],
                adopted=adopted, diff=dict(before=result["before"] or {}, after=after))


def main():
    argument_spec = dict(
        display_name=dict(type="str", required=True, aliases=["name"]),
        description=dict(type="str"),
        members=dict(type="list", elements="str"),
        purge_members=dict(type="bool", default=False),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        **DIRECTORY_OPTIONS,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    result = run(module, lambda: ensure(module), f"Failed to manage identity store group '{module.params['display_name']}'")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
