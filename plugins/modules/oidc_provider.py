#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: oidc_provider
short_description: Manage an IAM OpenID Connect identity provider (GitHub Actions, GitLab, any OIDC issuer)
version_added: 1.0.0
description:
  - Creates, updates or deletes the IAM OIDC identity provider of one issuer URL in the account of the credentials,
    so CI/CD pipelines can assume IAM roles with short-lived tokens instead of IAM user access keys.
  - The provider is found by its issuer URL; the audiences (client IDs), thumbprints and tags are brought to the
    values given.
  - Presets fill in the issuer and audience of GitHub Actions (C(https://token.actions.githubusercontent.com),
    audience C(sts.amazonaws.com)) and GitLab (C(https://gitlab.com) or a self-managed URL, audience the URL).
  - AWS no longer uses thumbprints for issuers it trusts through its own certificate store (GitHub and GitLab among
    them), so I(thumbprints) is optional.
  - Values are checked before any call; nothing is changed when one is invalid.
options:
  preset:
    description:
      - Fills in I(url) and I(client_ids) for a known CI/CD issuer; values given explicitly win.
      - C(github) - C(https://token.actions.githubusercontent.com), audience C(sts.amazonaws.com).
      - C(gitlab) - C(https://gitlab.com) unless I(url) names a self-managed instance; audience the URL.
    type: str
    choices: [github, gitlab]
  url:
    description:
      - Issuer URL, C(https://) and at most 255 characters. Required without I(preset).
    type: str
  client_ids:
    description:
      - Audiences (C(aud) claims) the provider accepts. Required with I(state=present) unless I(preset) is set.
    type: list
    elements: str
    aliases: [audiences]
  purge_client_ids:
    description: Remove audiences that are not in I(client_ids).
    type: bool
    default: true
  thumbprints:
    description:
      - SHA-1 fingerprints (40 hexadecimal characters) of the issuer's certificate, at most 5.
      - Left as they are when not given.
    type: list
    elements: str
  tags:
    description: Tags of the provider. Left as they are when not given.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags that are not in I(tags) (only when I(tags) is given).
    type: bool
    default: true
  state:
    description: Whether the provider exists.
    type: str
    default: present
    choices: [present, absent]
author:
  - ssoshift contributors (@ssoshift)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: GitHub Actions may request role credentials in this account
  ssoshift.identity_center.oidc_provider:
    preset: github
    tags:
      managed-by: ssoshift

- name: A self-managed GitLab instance
  ssoshift.identity_center.oidc_provider:
    preset: gitlab
    url: https://gitlab.example.com

- name: Any OIDC issuer
  ssoshift.identity_center.oidc_provider:
    url: https://oidc.example.com/issuer
    client_ids: [my-audience]
    thumbprints: [9e99a48a9960b14926bb7f3b02e22da2b0ab7280]

- name: Remove the GitHub provider
  ssoshift.identity_center.oidc_provider:
    preset: github
    state: absent
"""

RETURN = r"""
arn:
  description: ARN of the provider; empty when absent (or, in check mode, not created yet).
  returned: always
  type: str
  sample: arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com
provider:
  description: The provider after the change; empty when absent.
  returned: always
  type: dict
  contains:
    url:
      description: Issuer URL.
      type: str
      sample: https://token.actions.githubusercontent.com
    client_ids:
      description: Audiences.
      type: list
      elements: str
      sample: [sts.amazonaws.com]
    thumbprints:
      description: Certificate thumbprints.
      type: list
      elements: str
    tags:
      description: Tags.
      type: dict
changes:
  description: What was (or, in check mode, would be) changed on an existing provider.
  returned: always
  type: dict
  sample: {"add_client_ids": ["sts.amazonaws.com"], "untag": ["team"]}
  contains:
    add_client_ids:
      description: Audiences added.
      returned: when audiences are added
      type: list
      elements: str
    remove_client_ids:
      description: Audiences removed (with I(purge_client_ids)).
      returned: when audiences are removed
      type: list
      elements: str
    thumbprints:
      description: The new thumbprint list.
      returned: when the thumbprints change
      type: list
      elements: str
    tag:
      description: Tags added or changed, key to new value.
      returned: when tags are added or changed
      type: dict
    untag:
      description: Tag keys removed (with I(purge_tags)).
      returned: when tags are removed
      type: list
      elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils.automation import OIDC_PRESETS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.automation import audience_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.automation import thumbprint_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.automation import url_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.oidc_provider import OidcProviders
from ansible_collections.ssoshift.identity_center.plugins.module_utils.oidc_provider import apply_changes
from ansible_collections.ssoshift.identity_center.plugins.module_utils.oidc_provider import plan_changes
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import validate_tags


def desired_of(params):
    """(desired provider, problems) from the module options and the preset."""
    preset = OIDC_PRESETS.get(params["preset"] or "", {"url": None, "audiences": None})
    url = params["url"] or preset["url"]
    problems = []
    if not url:
        problems.append("url: required without preset, got nothing")
        return None, problems
    problems.extend(url_problems(url, "url"))
    url = url.rstrip("/")
    client_ids = params["client_ids"]
    if client_ids is None:
        client_ids = preset["audiences"] or ([url] if params["preset"] == "gitlab" else None)
    if params["state"] == "present":
        if client_ids is None:
            problems.append("client_ids: required with state=present without preset, got nothing")
        else:
            problems.extend(audience_problems(client_ids, "client_ids"))
        problems.extend(thumbprint_problems(params["thumbprints"], "thumbprints"))
        problems.extend(validate_tags(params["tags"], "tags"))
    return {"url": url, "client_ids": list(client_ids or []), "thumbprints": params["thumbprints"],
            "tags": params["tags"]}, problems


def ensure(module):
    params = module.params
    desired, problems = desired_of(params)
    fail_if_problems(problems, "invalid OIDC provider")
    providers = OidcProviders(client(module, "iam"))
    arn = providers.find(desired["url"])
    before = providers.read(arn) if arn else {}

    if params["state"] == "absent":
        if arn and not module.check_mode:
            providers.delete(arn)
        return dict(changed=bool(arn), arn="", provider={}, changes={}, diff=dict(before=before, after={}))

    if not arn:
        after = {"url": desired["url"], "client_ids": desired["client_ids"],
                 "thumbprints": list(desired["thumbprints"] or []), "tags": dict(desired["tags"] or {})}
        if not module.check_mode:
            arn = providers.create(desired, params["purge_client_ids"], params["purge_tags"])
        return dict(changed=True, arn=arn or "", provider=after, changes={}, diff=dict(before={}, after=after))

    changes = plan_changes(before, desired, params["purge_client_ids"], params["purge_tags"])
    after = apply_changes(before, changes)
    if changes and not module.check_mode:
        providers.update(arn, changes)
    return dict(changed=bool(changes), arn=arn, provider=after, changes=changes, diff=dict(before=before, after=after))


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            preset=dict(type="str", choices=["github", "gitlab"]),
            url=dict(type="str"),
            client_ids=dict(type="list", elements="str", aliases=["audiences"]),
            purge_client_ids=dict(type="bool", default=True),
            thumbprints=dict(type="list", elements="str"),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        ),
        supports_check_mode=True,
    )
    module.exit_json(**run(module, lambda: ensure(module), "Failed to manage the OIDC provider"))


if __name__ == "__main__":
    main()
