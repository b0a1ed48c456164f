#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cli_sso_config
short_description: Write IAM Identity Center SSO profiles into an AWS CLI config file
version_added: 1.0.0
description:
  - Writes one C([sso-session NAME]) section (access portal URL, SSO region, registration scopes) and one
    C([profile NAME]) section per account and permission set into an AWS CLI config file, which is what
    C(aws configure sso) does by hand for each role.
  - "Each section it writes sits directly below the marker line
    '# managed by ssoshift.identity_center (sso-session NAME)'. Only those sections are touched; everything
    else in the file (other profiles, comments, spacing) is kept byte for byte. Managed profiles of the same
    sso-session that are no longer wanted are removed."
  - A hand-written section with the name of a profile to be written is left alone and the module fails,
    naming it, before any write.
  - The file is written atomically (a temporary file renamed over it) with mode C(0600); a missing parent
    folder is created with mode C(0700). A symbolic link is followed and its target written.
  - A local file module, it makes no AWS call. I(profiles) takes the C(assignments) of
    M(ssoshift.identity_center.account_assignments_info) as they are.
options:
  path:
    description:
      - The config file. It is created when missing.
      - The AWS CLI reads C(~/.aws/config) unless C(AWS_CONFIG_FILE) names another file.
    type: path
    default: ~/.aws/config
  sso_session:
    description: Name of the C([sso-session]) section the profiles refer to.
    type: str
    default: ssoshift
  start_url:
    description:
      - The AWS access portal URL (M(ssoshift.identity_center.instance_info) returns it as C(instance.portal_url)).
      - Required with I(state=present).
    type: str
  sso_region:
    description:
      - The region of the IAM Identity Center instance.
      - Required with I(state=present).
    type: str
  registration_scopes:
    description: OAuth scopes of the session; C(sso:account:access) lets the CLI list and use account roles.
    type: list
    elements: str
    default: [sso:account:access]
  profiles:
    description:
      - One profile per entry. Entries have the keys below; the other keys of
        M(ssoshift.identity_center.account_assignments_info)'s C(assignments) (C(permission_set_arn),
        C(principal), C(principal_id), C(principal_type)) are accepted and ignored, and entries that give the
        same profile twice (an assignment to the user and one to a group) are written once.
      - C(account_id) (required), the 12-digit account ID.
      - C(permission_set) (required), the permission set name, which is the role name the CLI asks for.
      - C(account_name), the account name for I(profile_name_template) (default, the account ID).
      - C(name), the profile name, instead of I(profile_name_template).
      - C(region) and C(output), for this profile instead of I(region) and I(output).
    type: list
    elements: dict
    default: []
  profile_name_template:
    description:
      - How profiles are named, with the fields C({account_name}), C({account_id}), C({permission_set}) and
        C({sso_session}).
      - The result is lower-cased; every run of characters other than letters, digits, C(.), C(_) and C(-) becomes
        one C(-), and leading or trailing C(-) and C(.) are dropped. C(default) is refused.
    type: str
    default: "{account_name}-{permission_set}"
  region:
    description: Default region of the profiles (default, I(sso_region)).
    type: str
  output:
    description: Default output format of the profiles.
    type: str
    choices: [json, yaml, yaml-stream, text, table]
    default: json
  state:
    description:
      - C(present) writes the session and the profiles and removes the managed profiles of the session not listed.
      - C(absent) removes every section this module manages for I(sso_session) and nothing else.
    type: str
    choices: [present, absent]
    default: present
  backup:
    description: Keep a timestamped copy of the previous file when it changes.
    type: bool
    default: false
author:
  - ssoshift contributors (@ssoshift)
seealso:
  - module: ssoshift.identity_center.account_assignments_info
  - module: ssoshift.identity_center.instance_info
notes:
  - Sign in with C(aws sso login --profile NAME) (or C(aws sso login --sso-session NAME)); every profile of
    the session then works until the session expires.
"""

EXAMPLES = r"""
- name: Find the access portal
  ssoshift.identity_center.instance_info:
  register: sso

- name: Everything alice can reach through her own assignments
  ssoshift.identity_center.account_assignments_info:
    users: [alice]
  register: alice_access

- name: A CLI profile per account and permission set, for alice
  ssoshift.identity_center.cli_sso_config:
    path: "out/cli-profiles/alice.config"
    start_url: "{{ sso.instance.portal_url }}"
    sso_region: eu-west-1
    profiles: "{{ alice_access.assignments }}"

- name: Profiles named after the account only, with a hand-picked name for one of them
  ssoshift.identity_center.cli_sso_config:
    sso_session: acme
    start_url: https://acme.awsapps.com/start
    sso_region: eu-west-1
    region: eu-central-1
    profile_name_template: "acme-{account_name}"
    profiles:
      - {account_id: "111111111111", account_name: prod, permission_set: ReadOnlyAccess}
      - {account_id: "222222222222", account_name: dev, permission_set: AdministratorAccess, name: dev, output: table}
    backup: true

- name: Remove the sections of the acme session
  ssoshift.identity_center.cli_sso_config:
    sso_session: acme
    state: absent
"""

RETURN = r"""
path:
  description: The config file (a symbolic link resolved).
  returned: always
  type: str
  sample: /home/alice/.aws/config
profiles:
  description: Names of the managed profiles of the session after the run (empty with I(state=absent)), sorted.
  returned: always
  type: list
  elements: str
  sample: [dev-administratoraccess, prod-readonlyaccess]
plan:
  description: Sections added, rewritten and removed (or that would be, in check mode).
  returned: always
  type: dict
  contains:
    added:
      description: Sections added, as C(profile 'NAME') or C(sso-session 'NAME').
      type: list
      elements: str
    updated:
      description: Managed sections whose content changed.
      type: list
      elements: str
    removed:
      description: Managed sections removed.
      type: list
      elements: str
  sample: {added: ["profile 'prod-readonlyaccess'"], updated: [], removed: ["profile 'staging-developeraccess'"]}
backup_file:
  description: The copy of the previous file, when I(backup=true) and the file changed.
  returned: changed and backup
  type: str
  sample: /home/alice/.aws/config.12345.2025-10-26@10:12:03~
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils import cli_config
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import PartialFailure
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run

FILE_MODE = 0o600


def plan_file(params, path, text):
    """(new_text, profiles, plan) for the module's parameters and the file's current text."""
    return cli_config.plan_config(text, path, params["sso_session"], params["start_url"], params["sso_region"],
                                  params["registration_scopes"], params["profiles"], params["profile_name_template"],
                                  params["region"], params["output"], params["state"])


def converge(module):
    path = os.path.realpath(module.params["path"])
    try:
        text, exists, mode = cli_config.read_text(path)
    except UnicodeDecodeError as error:
        raise SsoShiftError(f"path: '{path}' is not UTF-8 text ({error}); nothing was changed") from error
    except OSError as error:
        raise SsoShiftError(f"path: cannot read '{path}': {error}") from error
    new_text, profiles, plan = plan_file(module.params, path, text)

    # With state=present the file holds our sessions, so it is kept private (0600) even when its text is right.
    fix_mode = module.params["state"] == "present" and exists and mode != FILE_MODE
    changed = new_text != text or fix_mode
    result = dict(changed=changed, path=path, profiles=profiles, plan=plan)
    if module._diff:
        result["diff"] = dict(before=text, after=new_text, before_header=path, after_header=path)
        if fix_mode:
            result["diff"]["before_header"] = f"{path} (mode {mode:04o})"
            result["diff"]["after_header"] = f"{path} (mode {FILE_MODE:04o})"
    if changed and not module.check_mode:
        if module.params["backup"] and exists:
            result["backup_file"] = module.backup_local(path)
            os.chmod(result["backup_file"], FILE_MODE)
        try:
            cli_config.write_atomically(path, new_text, FILE_MODE)
        except OSError as error:
            raise PartialFailure(f"path: cannot write '{path}': {error}; the file was not changed", result) from error
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="~/.aws/config"),
            sso_session=dict(type="str", default="ssoshift"),
            start_url=dict(type="str"),
            sso_region=dict(type="str"),
            registration_scopes=dict(type="list", elements="str", default=["sso:account:access"]),
            profiles=dict(type="list", elements="dict", default=[]),
            profile_name_template=dict(type="str", default=cli_config.DEFAULT_TEMPLATE),
            region=dict(type="str"),
            output=dict(type="str", default="json", choices=list(cli_config.OUTPUTS)),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            backup=dict(type="bool", default=False),
        ),
        required_if=[("state", "present", ("start_url", "sso_region"))],
        supports_check_mode=True,
    )
    module.exit_json(**run(module, lambda: converge(module), "Failed to write the AWS CLI configuration"))


if __name__ == "__main__":
    main()
