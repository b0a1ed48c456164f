# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: automation_plan
short_description: Plan the OIDC providers and CI/CD roles of the access model, per account
version_added: 0.1.0
description:
  - Takes the access model's C(automation_roles) and returns one item per target account with the OIDC providers
    to create (audiences merged over the roles that use the same issuer) and the roles with their trust policies.
  - Trust policies require the audience (C(StringEquals) on C(<issuer>:aud)) and restrict the subject
    (C(StringEquals) on C(<issuer>:sub); C(StringLike) in a separate statement only for subjects with a wildcard,
    which need C(allow_wildcard_subjects)).
  - Fails, naming the field and the value, on an entry that does not validate or an unknown account.
options:
  _input:
    description: The access model's C(automation_roles).
    type: list
    elements: dict
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
    description: Tags every role gets; an entry's own tags win.
    type: dict
"""

EXAMPLES = r"""
- name: Plan the CI/CD roles
  ansible.builtin.set_fact:
    plan: "{{ automation_roles | ssoshift.identity_center.automation_plan(org.accounts, org.organization.management_account_id) }}"
"""

RETURN = r"""
_value:
  description: C(accounts), one item per account C({account_id, account_name, providers, roles}), and
    C(retirement_candidates), the IAM users the roles replace C({name, account_id, account_name, replaced_by}).
  type: dict
  contains:
    accounts:
      description: One item per target account, sorted by account name.
      type: list
      elements: dict
      contains:
        account_id:
          description: Account ID.
          type: str
        account_name:
          description: Account name (the reference given when the organization does not know it).
          type: str
        providers:
          description: The OIDC providers the account needs, one per issuer, audiences merged over the entries.
          type: list
          elements: dict
          contains:
            url:
              description: Issuer URL.
              type: str
            arn:
              description: ARN of the provider in this account.
              type: str
            client_ids:
              description: Audiences (client IDs).
              type: list
              elements: str
            thumbprints:
              description: Certificate thumbprints, when given.
              type: list
              elements: str
        roles:
          description: The CI/CD roles to create in the account.
          type: list
          elements: dict
          contains:
            name:
              description: Role name.
              type: str
            role_arn:
              description: Role ARN.
              type: str
            provider_url:
              description: Issuer URL of the provider the role trusts.
              type: str
            provider_arn:
              description: ARN of the provider the role trusts.
              type: str
            subjects:
              description: The token subjects the trust policy allows.
              type: list
              elements: str
            trust_policy:
              description: The role's trust policy document (audience required, subject pinned).
              type: dict
            managed_policies:
              description: Managed policy ARNs to attach.
              type: list
              elements: str
            inline_policies:
              description: Inline policies to put.
              type: list
              elements: dict
              contains:
                name:
                  description: Policy name.
                  type: str
                document:
                  description: Policy document.
                  type: dict
            permissions_boundary:
              description: Permissions boundary ARN; empty when none.
              type: str
            max_session_duration:
              description: Maximum session duration, in seconds.
              type: int
            description:
              description: Role description.
              type: str
            tags:
              description: Role tags (the default tags, then the entry's own).
              type: dict
    retirement_candidates:
      description: The IAM users the roles replace, sorted by account ID and name.
      type: list
      elements: dict
      contains:
        name:
          description: IAM user name.
          type: str
        account:
          description: The account as the access model names it.
          type: str
        account_id:
          description: Account ID.
          type: str
        account_name:
          description: Account name.
          type: str
        replaced_by:
          description: ARNs of the roles that replace the user.
          type: list
          elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.ssoshift.identity_center.plugins.module_utils.automation import automation_plan


def plan(entries, accounts, management_account_id=None, partition="aws", default_tags=None):
    try:
        return automation_plan(entries, accounts, management_account_id, partition, default_tags)
    except ValueError as error:
        raise AnsibleFilterError(str(error))


class FilterModule:
    def filters(self):
        return {"automation_plan": plan}
