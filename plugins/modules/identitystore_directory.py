#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: identitystore_directory
short_description: Converge every user, group and group membership of the IAM Identity Center directory in one call
version_added: 1.0.0
description:
  - Converges the whole list of I(users) and I(groups) (with their I(members)) of the access model in one module
    process, for directories of thousands of users.
  - "Reads grow linearly: the store is listed with C(ListUsers) and C(ListGroups) pages of 100 (no C(GetUserId) per
    name), and each existing group whose members are managed is read with one C(ListGroupMemberships)."
  - Everything is checked before the first write (entries, duplicates, unknown options, members that are neither
    users of the model nor of the store); a problem fails the task naming the entry and the value, and nothing is
    changed.
  - "Writes go in a safe order: users created and updated, then groups, then members added, then members removed,
    at most eight at a time, under the process's one rate limiter (AWS's published 20 requests per second per
    identity store API). A create that AWS answers with C(ConflictException) (the name exists: the same create
    repeated after a dropped connection) is read back and counted as done, so a re-run converges."
  - Users are updated in place (C(UpdateUser)), never deleted and recreated.
  - "Groups are adopted by name: a group that existed before the run and does not carry the collection's mark is
    reported in C(adopted). Identity store groups cannot carry tags, so the mark is the description: the collection
    writes C(Managed by ssoshift.identity_center) when the model gives no description, else the model's description
    followed by C( (managed by ssoshift.identity_center)). The mark is never shown in results or compared."
  - With I(manage_directory=false) (an external identity provider feeds the directory through SCIM), nothing is
    written; every user, group and member must exist, and the missing ones fail the task before any write.
options:
  users:
    description:
      - The users, as in the access model's C(identity_center.users) (C(user_name), C(given_name), C(family_name),
        C(email), C(display_name), C(title), C(locale), C(timezone), C(preferred_language), C(nickname)).
      - Attributes left unset are not managed. Creating a user needs C(given_name), C(family_name) and C(email).
    type: list
    elements: dict
    default: []
  groups:
    description:
      - The groups, as in the access model's C(identity_center.groups) (C(name), C(description), C(members),
        C(purge_members)). C(members) left unset is not managed; a group's C(purge_members) overrides
        I(purge_members).
    type: list
    elements: dict
    default: []
  purge_members:
    description: Remove members that a group's C(members) does not list.
    type: bool
    default: false
  manage_directory:
    description: C(false) when an external identity provider owns the directory; users and groups are then only looked up.
    type: bool
    default: true
  max_requests_per_second:
    description: Identity store calls per second for each identity store API (AWS's published limit is 20).
    type: int
    default: 20
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
- name: The directory of the access model, in one call
  ssoshift.identity_center.identitystore_directory:
    users: "{{ identity_center.users }}"
    groups: "{{ identity_center.groups }}"
    purge_members: true

- name: An external identity provider owns the directory; check that everything the model names exists
  ssoshift.identity_center.identitystore_directory:
    users: [{user_name: alice}]
    groups: [{name: platform-admins, members: [alice]}]
    manage_directory: false
"""

RETURN = r"""
identity_store_id:
  description: The identity store converged.
  returned: always
  type: str
  sample: d-1234567890
users:
  description: What happened to the users.
  returned: always
  type: dict
  contains:
    created:
      description: User names created (or that would be, in check mode).
      type: list
      elements: str
    updated:
      description: Users updated in place.
      type: list
      elements: dict
      contains:
        user_name:
          description: The user.
          type: str
        changes:
          description: What changed, each C({attribute, before, after}).
          type: list
          elements: dict
          contains:
            attribute:
              description: The attribute that changes.
              type: str
            before:
              description: Its value before.
              type: raw
            after:
              description: Its value after.
              type: raw
    unchanged:
      description: How many users of the model needed no change.
      type: int
groups:
  description: What happened to the groups.
  returned: always
  type: dict
  contains:
    created:
      description: Group names created.
      type: list
      elements: str
    updated:
      description: Groups whose description changed.
      type: list
      elements: dict
      contains:
        name:
          description: The group.
          type: str
        changes:
          description: What changed, each C({attribute, before, after}).
          type: list
          elements: dict
          contains:
            attribute:
              description: The attribute that changes.
              type: str
            before:
              description: Its value before.
              type: raw
            after:
              description: Its value after.
              type: raw
    unchanged:
      description: How many groups needed no change (members included).
      type: int
    adopted:
      description: Groups that existed before this run without the collection's mark (taken over by name).
      type: list
      elements: str
memberships:
  description: Memberships added and removed.
  returned: always
  type: dict
  contains:
    added:
      description: The memberships added.
      type: list
      elements: dict
      contains:
        group:
          description: The group.
          type: str
        user:
          description: The user.
          type: str
    removed:
      description: The memberships removed (purge_members).
      type: list
      elements: dict
      contains:
        group:
          description: The group.
          type: str
        user:
          description: The user.
          type: str
adopted:
  description: Names of the groups adopted (the same list as C(groups.adopted)), for the end-state report.
  returned: always
  type: list
  elements: str
  sample: ["platform-admins"]
ownership:
  description: Per group name, C(created) (by this run), C(managed) (carries the collection's mark) or C(adopted).
  returned: always
  type: dict
  sample: {"platform-admins": "managed", "legacy-admins": "adopted"}
counts:
  description: Counts of the changes.
  returned: always
  type: dict
  contains:
    users_created:
      description: Users created.
      type: int
    users_updated:
      description: Users updated.
      type: int
    groups_created:
      description: Groups created.
      type: int
    groups_updated:
      description: Groups whose description changed.
      type: int
    groups_adopted:
      description: Groups adopted.
      type: int
    members_added:
      description: Memberships added.
      type: int
    members_removed:
      description: Memberships removed.
      type: int
api_calls:
  description: AWS API calls made, by operation, and C(total) (retries included).
  returned: always
  type: dict
  sample: {"ListUsers": 10, "ListGroups": 2, "ListGroupMemberships": 200, "ListInstances": 1, "total": 213}
  contains:
    total:
      description: All calls, retries included; the other keys are the API operation names, each with its count.
      type: int
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils import rate_limit
from ansible_collections.ssoshift.identity_center.plugins.module_utils.access_model import model_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.assignments import CallCounter
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.directory import USER_FIELDS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.directory import IdentityStore
from ansible_collections.ssoshift.identity_center.plugins.module_utils.directory import converge_directory
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import discover
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import DIRECTORY_OPTIONS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run


def converge(module):
    params = module.params
    problems = model_problems({"users": params["users"], "groups": params["groups"]}, params["manage_directory"])
    if params["max_requests_per_second"] < 1:
        problems.append(f"max_requests_per_second: must be 1 or more, got {params['max_requests_per_second']}")
    fail_if_problems(problems, "invalid directory; nothing was changed")
    users = [dict({f: u.get(f) for f in USER_FIELDS}, user_name=u["user_name"]) for u in params["users"]]
    groups = [{"name": g["name"], "description": g.get("description"), "members": g.get("members"),
               "purge_members": g.get("purge_members")} for g in params["groups"]]

    counter = CallCounter()
    limits = rate_limit.shared(identity_store_rate=params["max_requests_per_second"])
    identitystore = limits.attach(counter.attach(client(module, "identitystore")))
    store_id = params["identity_store_id"]
    if not store_id:
        sso_admin = limits.attach(counter.attach(client(module, "sso-admin")))
        store_id = discover(module, sso_admin)[0]["IdentityStoreId"]
    store = IdentityStore(identitystore, store_id, module.check_mode)
    result = converge_directory(store, users, groups, params["purge_members"], params["manage_directory"])
    result["api_calls"] = counter.summary()
    return result


def main():
    argument_spec = dict(
        users=dict(type="list", elements="dict", default=[]),
        groups=dict(type="list", elements="dict", default=[]),
        purge_members=dict(type="bool", default=False),
        manage_directory=dict(type="bool", default=True),
        max_requests_per_second=dict(type="int", default=20),
        **DIRECTORY_OPTIONS,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    result = run(module, lambda: converge(module), "Failed to converge the identity store")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
