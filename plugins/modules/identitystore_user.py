#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: identitystore_user
short_description: Manage a user in the IAM Identity Center directory
version_added: 1.0.0
description:
  - Creates, updates or deletes a user of the Identity Center identity store, keyed by I(user_name).
  - An existing user is updated in place (UpdateUser attribute operations), never deleted and recreated,
    which would break its account assignments and MFA devices.
  - Attributes left unset are not managed. Creating a user needs I(given_name), I(family_name) and I(email);
    I(display_name) defaults to C(given_name family_name).
  - When the directory is fed by an external identity provider (SCIM), users are owned by that provider;
    use M(ssoshift.identity_center.identitystore_info) to look them up instead.
  - The password and MFA are set by the user through the invitation and the access portal; the module never handles them.
options:
  user_name:
    description: The user's sign-in name, unique in the identity store.
    type: str
    required: true
  display_name:
    description: Name shown in the access portal.
    type: str
  given_name:
    description: First name.
    type: str
  family_name:
    description: Last name.
    type: str
  email:
    description: Primary work email; AWS sends the invitation and one-time passcodes there.
    type: str
    aliases: [emails]
  title:
    description: Job title.
    type: str
  locale:
    description: Locale, for example C(en-GB).
    type: str
  timezone:
    description: Time zone, for example C(Europe/London).
    type: str
  preferred_language:
    description: Preferred language, for example C(en).
    type: str
  nickname:
    description: Nickname.
    type: str
  state:
    description: Whether the user exists.
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
- name: Ensure Alice exists
  ssoshift.identity_center.identitystore_user:
    user_name: alice
    given_name: Alice
    family_name: Doe
    email: alice@example.com
    title: Platform engineer

- name: Remove a leaver
  ssoshift.identity_center.identitystore_user:
    user_name: mallory
    state: absent
"""

RETURN = r"""
user_id:
  description: ID of the user; null when it does not exist (or would be created in check mode).
  returned: always
  type: str
  sample: 906722b2be-2d1b2d5b-5d4e-4b5c-9c1e-3b1f6f0d0e11
user:
  description: The user after the change (before, for C(state=absent)).
  returned: when the user exists or is created
  type: dict
  contains:
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
changes:
  description: The attribute changes made (or that would be made in check mode).
  returned: always
  type: list
  elements: dict
  sample: [{"attribute": "title", "before": "Engineer", "after": "Platform engineer"}]
  contains:
    attribute:
      description: The option changed, for example C(title) or C(email).
      type: str
    before:
      description: Its value before, or null.
      type: str
    after:
      description: Its value after.
      type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.directory import USER_FIELDS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.directory import IdentityStore
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import DIRECTORY_OPTIONS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import identity_store_id
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import validate_user


def ensure(module):
    desired = {field: module.params[field] for field in USER_FIELDS}
    desired["user_name"] = module.params["user_name"]
    fail_if_problems(validate_user(desired, "identitystore_user"), "invalid user")
    store = IdentityStore(client(module, "identitystore"), identity_store_id(module), module.check_mode)
    if module.params["state"] == "absent":
        deleted = store.delete_user(desired["user_name"])
        return dict(changed=deleted is not None, user_id=deleted and deleted["user_id"], user=deleted or {},
                    changes=[], diff=dict(before=deleted or {}, after={}))
    changed, before, after, changes = store.ensure_user(desired)
    return dict(changed=changed, user_id=after["user_id"], user=after, changes=changes,
                diff=dict(before=before or {}, after=after))


def main():
    argument_spec = dict(
        user_name=dict(type="str", required=True),
        display_name=dict(type="str"),
        given_name=dict(type="str"),
        family_name=dict(type="str"),
        email=dict(type="str", aliases=["emails"]),
        title=dict(type="str"),
        locale=dict(type="str"),
        timezone=dict(type="str"),
        preferred_language=dict(type="str"),
        nickname=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        **DIRECTORY_OPTIONS,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    result = run(module, lambda: ensure(module), f"Failed to manage identity store user '{module.params['user_name']}'")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
