# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: break_glass_plan
short_description: Plan the break-glass role of the access model, per account
version_added: 0.1.0
description:
  - Takes the access model's C(break_glass) section and returns one item per target account with the emergency role,
    its trust policy (the named principals only, MFA required) and the optional alert rule.
  - Fails, naming the field and the value, on a section that does not validate (an account principal such as
    C(arn:aws:iam::123456789012:root), a wildcard, a missing principal) or an unknown account.
options:
  _input:
    description: The access model's C(break_glass) section.
    type: dict
    required: true
  accounts:
    description: The C(accounts) list of M(ssoshift.identity_center.organization_info).
    type: list
    elements: dict
    required: true
  management_account_id:
    description: ID of the management account, for the C(management) alias.
    type: str
  partition:
    description: AWS partition of the ARNs.
    type: str
    default: aws
  default_tags:
    description: Tags the role gets; the section's own tags win.
    type: dict
"""

EXAMPLES = r"""
- name: Plan the break-glass roles
  ansible.builtin.set_fact:
    plan: "{{ break_glass | ssoshift.identity_center.break_glass_plan(org.accounts, org.organization.management_account_id) }}"
"""

RETURN = r"""
_value:
  description: One item per account, C({account_id, account_name, role_name, role_arn, trust_policy, alert, ...}).
  type: list
  elements: dict
  contains:
    account_id:
      description: Account ID.
      type: str
    account_name:
      description: Account name.
      type: str
    role_name:
      description: Name of the break-glass role.
      type: str
    role_arn:
      description: ARN of the break-glass role in the account.
      type: str
    trust_policy:
      description: The role's trust policy document (the trusted principals, with MFA).
      type: dict
    trusted_principals:
      description: ARNs of the principals allowed to assume the role.
      type: list
      elements: str
    max_session_duration:
      description: Maximum session duration, in seconds.
      type: int
    managed_policies:
      description: Managed policy ARNs to attach.
      type: list
      elements: str
    description:
      description: Role description.
      type: str
    tags:
      description: Role tags (the default tags, then the section's own).
      type: dict
    alert:
      description: The EventBridge rule that alerts on every use of the role; null without an alert topic.
      type: dict
      contains:
        name:
          description: Rule name.
          type: str
        topic_arn:
          description: SNS topic the rule notifies.
          type: str
        event_pattern:
          description: The rule's event pattern (CloudTrail C(AssumeRole) of the role).
          type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.ssoshift.identity_center.plugins.module_utils.automation import break_glass_plan


def plan(section, accounts, management_account_id=None, partition="aws", default_tags=None):
    try:
        return break_glass_plan(section, accounts, management_account_id, partition, default_tags)
    except ValueError as error:
        raise AnsibleFilterError(str(error))


class FilterModule:
    def filters(self):
        return {"break_glass_plan": plan}
