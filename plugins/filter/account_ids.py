# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: account_ids
short_description: Map account names and IDs to account IDs
version_added: 1.0.0
description:
  - Takes the C(accounts) list of M(ssoshift.identity_center.organization_info) and returns a dict from every
    account name and every account ID to the account ID, so the access model can name accounts either way.
  - C(management) also maps to the management account, unless an account is actually named C(management).
  - A name shared by two accounts is left out, so it cannot be resolved silently to the wrong one.
options:
  _input:
    description: The C(accounts) list of M(ssoshift.identity_center.organization_info).
    type: list
    elements: dict
    required: true
  management_account_id:
    description: ID of the management account, for the C(management) alias.
    type: str
"""

EXAMPLES = r"""
- name: Resolve the account of each legacy user
  ansible.builtin.debug:
    msg: "{{ (org.accounts | ssoshift.identity_center.account_ids(org.organization.management_account_id))['prod'] }}"
"""

RETURN = r"""
_value:
  description: Account ID by account name and by account ID.
  type: dict
"""

from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import account_reference_map


class FilterModule:
    def filters(self):
        return {"account_ids": account_reference_map}
