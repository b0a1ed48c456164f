# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: admin_gaps
short_description: The accounts an administrator cannot reach with a given permission set
version_added: 0.1.0
description:
  - Takes the C(assignments) of M(ssoshift.identity_center.account_assignments_info) for one permission set and
    returns every (user, account) pair of I(administrators) x I(account_ids) that no assignment covers, directly or
    through a group the user is a member of.
  - The verification gate of the migration uses it before any legacy IAM user is disabled.
options:
  _input:
    description: Assignments, each with C(principal) (C(user:NAME) or C(group:NAME)) and C(account_id).
    type: list
    elements: dict
    required: true
  groups:
    description: The C(groups) of M(ssoshift.identity_center.identitystore_info), with C(display_name) and C(members).
    type: list
    elements: dict
    required: true
  administrators:
    description: User names that must reach every account.
    type: list
    elements: str
    required: true
  account_ids:
    description: Account IDs they must reach.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Accounts alice cannot reach as an administrator
  ansible.builtin.debug:
    msg: "{{ admin_assignments.assignments | ssoshift.identity_center.admin_gaps(directory.groups, ['alice'], account_ids) }}"
"""

RETURN = r"""
_value:
  description: The gaps, each C({user, account_id}); empty when every administrator reaches every account.
  type: list
  elements: dict
  contains:
    user:
      description: The administrator's user name.
      type: str
    account_id:
      description: The account the administrator cannot reach with the permission set.
      type: str
"""

from ansible_collections.ssoshift.identity_center.plugins.module_utils.verification import admin_gaps


class FilterModule:
    def filters(self):
        return {"admin_gaps": admin_gaps}
