#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cli_profiles
short_description: AWS CLI SSO profiles for every Identity Center user and the operator, in one run
version_added: 1.0.0
description:
  - Reads, once, each user's effective account assignments - those of the user and of every group the user is a member
    of - and writes one C(<user>.config) per user under I(output_dir) (to hand out), and the operator's own AWS CLI
    config at I(operator_config_path), each with one C([sso-session]) section and one C([profile]) per account and
    permission set, as C(aws configure sso) does by hand.
  - Only the sections the collection manages (below its marker line) are touched; everything else in a file is kept
    byte for byte (M(ssoshift.identity_center.cli_sso_config) writes one file the same way).
  - Users not in the identity store are listed in C(missing); outside check mode that fails the task before any file
    is written (in check mode on a fresh estate the directory phase has not created them yet).
  - Files are written atomically with mode C(0600). Check mode writes nothing; C(--diff) shows each file's change.
options:
  users:
    description: Identity Center user names that get a snippet.
    type: list
    elements: str
    default: []
  output_dir:
    description: Folder for the snippets, one C(<user>.config) each (characters other than letters, digits and
      C(@._+-) in a user name become C(-)).
    type: path
    required: true
  operator_config_path:
    description: The operator's AWS CLI config; empty skips it.
    type: path
  operator_user:
    description: Whose assignments go into the operator's config; empty - every account and permission set any of
      I(users) reaches.
    type: str
  sso_session:
    description: Name of the C([sso-session]) section.
    type: str
    default: ssoshift
  start_url:
    description: The access portal URL; default, the instance's (C(https://IDENTITY_STORE_ID.awsapps.com/start)).
    type: str
  sso_region:
    description: The Identity Center region; default, the module's region.
    type: str
  registration_scopes:
    description: OAuth scopes of the session.
    type: list
    elements: str
    default: [sso:account:access]
  profile_region:
    description: Default region of the profiles (default, I(sso_region)).
    type: str
  output:
    description: Default output format of the profiles.
    type: str
    choices: [json, yaml, yaml-stream, text, table]
    default: json
  profile_name_template:
    description: How profiles are named, with C({account_name}), C({account_id}), C({permission_set}),
      C({sso_session}); lower-cased.
    type: str
    default: "{account_name}-{permission_set}"
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
- name: A CLI config per user, and the operator's own
  ssoshift.identity_center.cli_profiles:
    users: [alice, bob]
    output_dir: "{{ playbook_dir }}/out/cli-profiles"
    operator_config_path: ~/.aws/config
  delegate_to: localhost
"""

RETURN = r"""
snippets:
  description: One per user found, with the file, its profiles and the command that signs in.
  returned: always
  type: list
  elements: dict
  contains:
    user_name:
      description: The Identity Center user.
      type: str
    path:
      description: The snippet file.
      type: str
    profiles:
      description: The profile names written.
      type: list
      elements: str
    groups:
      description: The groups whose assignments count for the user.
      type: list
      elements: str
    login_command:
      description: How the user signs in.
      type: str
    changed:
      description: Whether the file was (or would be) written.
      type: bool
    plan:
      description: The managed sections C(added), C(updated) and C(removed) (as M(ssoshift.identity_center.cli_sso_config)
        returns them).
      type: dict
      contains:
        added:
          description: Managed sections added.
          type: list
          elements: str
        updated:
          description: Managed sections updated.
          type: list
          elements: str
        removed:
          description: Managed sections removed.
          type: list
          elements: str
operator:
  description: The operator's config, when I(operator_config_path) is set.
  returned: when operator_config_path is set
  type: dict
  contains:
    path:
      description: The config file.
      type: str
    profiles:
      description: The profile names written.
      type: list
      elements: str
    changed:
      description: Whether the file was (or would be) written.
      type: bool
    plan:
      description: The managed sections C(added), C(updated) and C(removed).
      type: dict
      contains:
        added:
          description: Managed sections added.
          type: list
          elements: str
        updated:
          description: Managed sections updated.
          type: list
          elements: str
        removed:
          description: Managed sections removed.
          type: list
          elements: str
missing:
  description: Users not in the identity store (no snippet).
  returned: always
  type: list
  elements: str
"""

import os
import re

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils import assignments as engine
from ansible_collections.ssoshift.identity_center.plugins.module_utils import cli_config
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import paginate
from ansible_collections.ssoshift.identity_center.plugins.module_utils.directory import IdentityStore
from ansible_collections.ssoshift.identity_center.plugins.module_utils.identity_center import instance_to_result
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import discover
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import DIRECTORY_OPTIONS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import describe_organization
from ansible_collections.ssoshift.identity_center.plugins.module_utils.permission_sets import PermissionSets


def snippet_path(output_dir, user_name):
    return os.path.join(output_dir, re.sub(r"[^A-Za-z0-9@._+-]", "-", user_name) + ".config")


def entries_for(principals, by_principal):
    """The assignments (engine.describe views) of a set of principals, each (account, permission set) once."""
    seen, entries = set(), []
    for principal in sorted(principals):
        for entry in by_principal.get(principal, []):
            key = (entry["account_id"], entry["permission_set"])
            if key not in seen:
                seen.add(key)
                entries.append(entry)
    return sorted(entries, key=lambda e: (e["account_name"] or e["account_id"], e["permission_set"]))


def converge(module):
    params = module.params
    sso_admin = client(module, "sso-admin")
    instance = discover(module, sso_admin)[0]
    store = IdentityStore(client(module, "identitystore"), params["identity_store_id"] or instance["IdentityStoreId"])
    store.load(groups=False)
    wanted = list(dict.fromkeys(params["users"] + ([params["operator_user"]] if params["operator_user"] else [])))
    present = [user for user in wanted if store.user_id(user) is not None]
    missing = [user for user in wanted if user not in present]
    if missing and not module.check_mode:
        raise SsoShiftError("users: user(s) not in the identity store: " + ", ".join(f"'{u}'" for u in missing))

    # Each user's groups (ListGroupMembershipsForMember), then every assignment of those users and groups.
    groups_of, principals = {}, set()
    for user in present:
        user_id = store.user_id(user)
        memberships = paginate(store.client, "list_group_memberships_for_member", "GroupMemberships",
                               IdentityStoreId=store.store_id, MemberId={"UserId": user_id})
        group_ids = [m["GroupId"] for m in memberships]
        groups_of[user] = group_ids
        principals.add(("USER", user_id))
        principals.update(("GROUP", group_id) for group_id in group_ids)
    targets = engine.OrganizationTargets(describe_organization(client(module, "organizations")))
    by_name = PermissionSets(sso_admin, instance["InstanceArn"]).by_name()
    caller = client(module, "sts").get_caller_identity(aws_retry=True)["Account"]
    if principals and caller == instance.get("OwnerAccountId"):
        found = engine.read_by_principal(sso_admin, instance["InstanceArn"], sorted(principals))
    else:
        pairs = engine.provisioned_pairs(sso_admin, instance["InstanceArn"], set(by_name.values()))
        found = {a for a in engine.read_by_account(sso_admin, instance["InstanceArn"], pairs)
                 if (a.principal_type, a.principal_id) in principals}
    names = {"accounts": targets.names, "permission_sets": {arn: name for name, arn in by_name.items()},
             "principals": {}}
    by_principal = {}
    for assignment in found:
        by_principal.setdefault((assignment.principal_type, assignment.principal_id), []).append(
            engine.describe(assignment, names))

    start_url = params["start_url"] or instance_to_result(instance)["portal_url"]
    sso_region = params["sso_region"] or module.region
    diffs, changed_any = [], False

    def write_file(path, entries):
        nonlocal changed_any
        path = os.path.realpath(path)
        try:
            text, exists, mode = cli_config.read_text(path)
        except (OSError, UnicodeDecodeError) as error:
            raise SsoShiftError(f"{path}: cannot read the config file ({error}); nothing was changed")
        new_text, profiles, plan = cli_config.plan_config(
            text, path, params["sso_session"], start_url, sso_region, params["registration_scopes"], entries,
            params["profile_name_template"], params["profile_region"], params["output"])
        changed = new_text != text or (exists and mode != 0o600)
        if changed:
            changed_any = True
            diffs.append(dict(before=text, after=new_text, before_header=path, after_header=path))
            if not module.check_mode:
                try:
                    cli_config.write_atomically(path, new_text, 0o600)
                except OSError as error:
                    raise SsoShiftError(f"{path}: cannot write the config file: {error}")
        return path, profiles, changed, plan

    snippets = []
    for user in [u for u in params["users"] if u in present]:
        mine = {("USER", store.user_id(user))} | {("GROUP", g) for g in groups_of[user]}
        path, profiles, changed, plan = write_file(snippet_path(params["output_dir"], user),
                                                   entries_for(mine, by_principal))
        snippets.append({"user_name": user, "path": path, "profiles": profiles, "changed": changed, "plan": plan,
                         "groups": sorted(store.principal_label("GROUP", g).split(":", 1)[1] for g in groups_of[user]),
                         "login_command": (f"aws sso login --profile {profiles[0]}" if profiles
                                           else f"aws sso login --sso-session {params['sso_session']}")})
    result = dict(snippets=snippets, missing=missing)
    if params["operator_config_path"]:
        operators = [params["operator_user"]] if params["operator_user"] else params["users"]
        mine = set()
        for user in [u for u in operators if u in present]:
            mine |= {("USER", store.user_id(user))} | {("GROUP", g) for g in groups_of[user]}
        path, profiles, changed, plan = write_file(params["operator_config_path"], entries_for(mine, by_principal))
        result["operator"] = {"path": path, "profiles": profiles, "changed": changed, "plan": plan}
    result["changed"] = changed_any
    if module._diff:
        result["diff"] = diffs
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            users=dict(type="list", elements="str", default=[]),
            output_dir=dict(type="path", required=True),
            operator_config_path=dict(type="path"),
            operator_user=dict(type="str"),
            sso_session=dict(type="str", default="ssoshift"),
            start_url=dict(type="str"),
            sso_region=dict(type="str"),
            registration_scopes=dict(type="list", elements="str", default=["sso:account:access"]),
            profile_region=dict(type="str"),
            output=dict(type="str", default="json", choices=list(cli_config.OUTPUTS)),
            profile_name_template=dict(type="str", default=cli_config.DEFAULT_TEMPLATE),
            **DIRECTORY_OPTIONS,
        ),
        supports_check_mode=True,
    )
    module.exit_json(**run(module, lambda: converge(module), "Failed to read the assignments for the CLI profiles"))


if __name__ == "__main__":
    main()
