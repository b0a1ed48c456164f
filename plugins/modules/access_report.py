#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: access_report
short_description: Read the end state from AWS and write the migration's report as JSON, Markdown and one HTML page
version_added: 1.0.0
description:
  - Reads the estate as it is, whatever phases ran before - every account assignment and the directory of IAM Identity
    Center, and in every ACTIVE account (in its own credentials, several at a time) the security posture, the access
    model's CI/CD and break-glass roles, the OIDC providers, the IAM users and where each legacy IAM user stands - and
    the controller's files - the posture before the migration, the legacy users' backups, the CLI profiles written.
  - Compares it with the access model and lists the drift - access the model does not describe (assignments of the
    model's permission sets to principals or accounts it does not list, any assignment of a permission set outside the
    model, group members the model does not list, IAM users that are neither legacy users being retired nor known
    automation, roles that trust principals outside the organization), each with what C(purge) or which model change
    would remove it - and what the collection adopted (permission sets, groups, roles it did not create).
  - Writes C(report.json), C(report.md) and C(report.html) into I(dest), each atomically with mode C(0600), since they
    list who has access to what. The HTML page is self-contained, every value escaped.
  - Same estate, same bytes. C(generated_at) is the time the content last changed; when the files already hold the
    same report apart from that timestamp, nothing is written and the module reports no change.
  - Makes no write call to AWS, so it runs in check mode too (C(playbooks/audit.yml) writes the same report before a
    migration). In check mode the files are not written unless I(write_in_check_mode).
  - Closed accounts are listed as closed and not reached. An account that cannot be reached fails the task after the
    report of the others was written, naming it with AWS's error code.
options:
  dest:
    description: Folder for the three files; created (mode C(0700)) when missing.
    type: path
    required: true
  identity_center:
    description: The C(identity_center) part of the access model (drift and adoption are judged against it).
    type: dict
    default: {}
  automation_roles:
    description: The access model's C(automation_roles) (the CI/CD roles to find).
    type: list
    elements: dict
    default: []
  break_glass:
    description: The access model's C(break_glass) section (the emergency roles to find).
    type: dict
    default: {}
  legacy_iam_users:
    description: The access model's C(legacy_iam_users) (C(name), C(account)), whose state the report gives.
    type: list
    elements: dict
    default: []
  posture_before_file:
    description: The posture before the migration (the root phase's C(posture-before.json)); missing means the report
      has no before column.
    type: path
  backup_dir:
    description: Where the retirement phase keeps the legacy users' backups; the report names each user's pre-change
      backup.
    type: path
  cli_profiles_dir:
    description: Where the cli phase wrote one C(<user>.config) per user.
    type: path
  unused_days:
    description: A credential unused for longer than this many days counts as unused (Security Hub IAM.22).
    type: int
    default: 45
  quarantine_days:
    description: Days between disabling a legacy user and deleting it, to say when each quarantine ends.
    type: int
    default: 7
  write_in_check_mode:
    description: Write the files in check mode too (they are local files on the controller, not the estate).
    type: bool
    default: false
author:
  - ssoshift contributors (@ssoshift)
extends_documentation_fragment:
  - ssoshift.identity_center.accounts
  - ssoshift.identity_center.instance
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: End-state report, read from the estate
  ssoshift.identity_center.access_report:
    dest: "{{ playbook_dir }}/out"
    identity_center: "{{ identity_center }}"
    automation_roles: "{{ automation_roles }}"
    break_glass: "{{ break_glass }}"
    legacy_iam_users: "{{ legacy_iam_users }}"
    posture_before_file: "{{ playbook_dir }}/out/posture-before.json"
    backup_dir: "{{ playbook_dir }}/out/backups"
    cli_profiles_dir: "{{ playbook_dir }}/out/cli-profiles"
  delegate_to: localhost
"""

RETURN = r"""
paths:
  description: Where the three files are.
  returned: always
  type: dict
  contains:
    json:
      description: Path of report.json.
      type: str
    markdown:
      description: Path of report.md.
      type: str
    html:
      description: Path of report.html.
      type: str
changed_files:
  description: Which of the three files were (or would be) written.
  returned: always
  type: list
  elements: str
generated_at:
  description: When the report's content last changed (ISO 8601, UTC).
  returned: always
  type: str
summary:
  description: The report's counts (accounts, assignments, posture by change, retired users by state, roles, drift).
  returned: always
  type: dict
  contains:
    accounts:
      description: Accounts in the report.
      type: int
    closed_accounts:
      description: Closed accounts, listed and not reached.
      type: int
    permission_sets:
      description: Permission sets that are assigned.
      type: int
    assignments:
      description: Account assignments.
      type: int
    users_with_access:
      description: Identity Center users who reach at least one account.
      type: int
    before_snapshot:
      description: Whether there was a posture before the migration.
      type: bool
    posture:
      description: Checks by change from before to now.
      type: dict
      contains:
        regressed:
          description: Checks whose change is regressed.
          type: int
        still_failing:
          description: Checks whose change is still_failing.
          type: int
        failing:
          description: Checks whose change is failing.
          type: int
        unknown:
          description: Checks whose change is unknown.
          type: int
        fixed:
          description: Checks whose change is fixed.
          type: int
        not_applicable:
          description: Checks whose change is not_applicable.
          type: int
        passing:
          description: Checks whose change is passing.
          type: int
    still_failing:
      description: What still fails now.
      type: dict
      contains:
        checks:
          description: Checks failing in at least one account.
          type: int
        findings:
          description: Failing (account, check) pairs.
          type: int
        accounts:
          description: Accounts with a failing check.
          type: int
    drift:
      description: Drift lines by kind.
      type: dict
      contains:
        assignment_outside_model:
          description: Lines of kind assignment_outside_model.
          type: int
        unmanaged_permission_set_assignment:
          description: Lines of kind unmanaged_permission_set_assignment.
          type: int
        group_member_outside_model:
          description: Lines of kind group_member_outside_model.
          type: int
        iam_user_outside_model:
          description: Lines of kind iam_user_outside_model.
          type: int
        role_trusts_external_principal:
          description: Lines of kind role_trusts_external_principal.
          type: int
    retired_users:
      description: Legacy IAM users by state.
      type: dict
      contains:
        audited:
          description: Users whose state is audited.
          type: int
        disabled:
          description: Users whose state is disabled.
          type: int
        absent:
          description: Users whose state is absent.
          type: int
        refused:
          description: Users whose state is refused.
          type: int
        deleted:
          description: Users whose state is deleted.
          type: int
    automation_roles:
      description: CI/CD roles found.
      type: int
    break_glass_roles:
      description: Break-glass roles found.
      type: int
    oidc_providers:
      description: OIDC providers found.
      type: int
    ownership:
      description: Roles and providers by ownership.
      type: dict
      contains:
        managed:
          description: Roles and providers whose ownership is managed.
          type: int
        adopted:
          description: Roles and providers whose ownership is adopted.
          type: int
        unmanaged:
          description: Roles and providers whose ownership is unmanaged.
          type: int
    adopted:
      description: Permission sets, groups and roles adopted by name.
      type: int
    root_credentials:
      description: Member accounts by the state of their root credentials.
      type: dict
      contains:
        audited:
          description: Member accounts whose root credentials are audited.
          type: int
        deleted:
          description: Member accounts whose root credentials are deleted.
          type: int
        none:
          description: Member accounts whose root credentials are none.
          type: int
        unknown:
          description: Member accounts whose root credentials are unknown.
          type: int
    password_policy:
      description: Accounts by password policy compliance.
      type: dict
      contains:
        compliant:
          description: Accounts whose policy passes IAM.15.
          type: int
        not_compliant:
          description: Accounts whose policy does not.
          type: int
drift:
  description: Access the model does not describe, each with C(kind), C(account_name), C(subject), C(detail), C(remedy).
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: What kind of drift.
      type: str
    account_id:
      description: The account, when the drift is in one.
      type: str
    account_name:
      description: Its name.
      type: str
    subject:
      description: What drifted.
      type: str
    detail:
      description: One sentence on it.
      type: str
    remedy:
      description: What removes it.
      type: str
failed_accounts:
  description: Accounts that could not be read, each with AWS's error code; the task fails when there is one.
  returned: when an account failed
  type: list
  elements: dict
  contains:
    account_id:
      description: Account ID.
      type: str
    account_name:
      description: Account name.
      type: str
    error_code:
      description: AWS's error code.
      type: str
    operation:
      description: The API operation that failed, when known.
      type: str
    message:
      description: What went wrong.
      type: str
"""

import datetime
import os

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils import estate
from ansible_collections.ssoshift.identity_center.plugins.module_utils import report as engine
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import ACCOUNT_OPTIONS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import AccountSessions
from ansible_collections.ssoshift.identity_center.plugins.module_utils.accounts import failure_message
from ansible_collections.ssoshift.identity_center.plugins.module_utils.assignments import OrganizationTargets
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import PartialFailure
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.directory import IdentityStore
from ansible_collections.ssoshift.identity_center.plugins.module_utils.drift import sort_lines
from ansible_collections.ssoshift.identity_center.plugins.module_utils.identity_center import instance_to_result
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import discover
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import INSTANCE_OPTIONS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import describe_organization
from ansible_collections.ssoshift.identity_center.plugins.module_utils.posture import gather_organization


def gather(module):
    """The report's data (report.build's input), read from AWS and the controller's files; and the read failures."""
    params = module.params
    sso_admin = client(module, "sso-admin")
    instance = discover(module, sso_admin)[0]
    organization = describe_organization(client(module, "organizations"))
    targets = OrganizationTargets(organization)
    index = targets.index
    sessions = AccountSessions(module, params["member_role_name"])
    caller = sessions.caller()
    store = IdentityStore(client(module, "identitystore"), instance["IdentityStoreId"])
    identity_center = estate.read_identity_center(sso_admin, store, instance["InstanceArn"], targets,
                                                  params["identity_center"],
                                                  owns_instance=caller["account_id"] == instance.get("OwnerAccountId"))
    active, closed = index.active()
    plans = estate.model_plans(index, sessions.partition, params["automation_roles"], params["break_glass"],
                               params["member_role_name"])
    legacy_by_account, problems = {}, []
    for position, user in enumerate(params["legacy_iam_users"]):
        account, problem = index.lookup(user.get("account"), f"legacy_iam_users[{position}].account")
        if problem:
            problems.append(problem)
        else:
            legacy_by_account.setdefault(account["id"], []).append(user.get("name"))
    fail_if_problems(problems, "legacy_iam_users")
    organization_facts = gather_organization(client(module, "iam"), sso_admin)
    now = datetime.datetime.now(datetime.timezone.utc)
    results, failures = estate.read_accounts(
        sessions, active, organization_facts, plans, legacy_by_account, set(index.by_id), params["unused_days"],
        params["quarantine_days"], params["backup_dir"], now, params["max_account_workers"],
        index.management_account_id)
    automation, break_glass, providers, adopted_roles = estate.role_views(results, active)
    reached = [results[a["id"]] for a in active if a["id"] in results]
    posture_after = [r["posture"] for r in reached]
    data = {
        "organization": organization,
        "instance": instance_to_result(instance),
        "assignments": identity_center["assignments"],
        "groups": identity_center["groups"],
        "posture_before": estate.read_posture_before(params["posture_before_file"]),
        "posture_before_source": params["posture_before_file"],
        "posture_after": posture_after,
        "retired_users": [user for r in reached for user in r["legacy"]],
        "automation_roles": automation,
        "break_glass_roles": break_glass,
        "oidc_providers": providers,
        "cli_profiles": estate.read_cli_profiles(params["cli_profiles_dir"]),
        "adopted": dict(identity_center["adopted"], roles=adopted_roles),
        "drift": sort_lines(identity_center["drift"] + [line for r in reached for line in r["drift"]]),
        "closed_accounts": [{"account_id": a["id"], "account_name": a["name"], "status": a["status"]}
                            for a in closed],
        "password_policy": [r["password_policy"] for r in reached],
        "root_credentials": [r["root"] for r in reached if r["root"] is not None],
    }
    return data, failures, index


def write(module):
    data, failures, index = gather(module)
    fail_if_problems(engine.validate(data), "the report's input is not valid")
    dest = module.params["dest"]
    try:
        files, report = engine.plan(dest, data)
        if not module.check_mode or module.params["write_in_check_mode"]:
            engine.write(dest, files)
    except OSError as error:
        raise SsoShiftError(f"dest: cannot write the report in '{dest}': {error}")
    changed_files = [kind for kind, entry in files.items() if entry["write"] or entry["chmod"]]
    result = dict(changed=bool(changed_files), changed_files=changed_files,
                  paths={kind: entry["path"] for kind, entry in files.items()},
                  generated_at=report["generated_at"], summary=report["summary"], drift=data["drift"])
    if module._diff:
        result["diff"] = [dict(before=files[kind]["before"] or "", after=files[kind]["after"],
                               before_header=files[kind]["path"], after_header=files[kind]["path"])
                          for kind in ("markdown", "json") if files[kind]["write"]]
    if failures:
        raise PartialFailure(failure_message(failures, index, "the report of the other accounts"),
                             dict(result, failed_accounts=[f.to_result(index) for f in failures]))
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            identity_center=dict(type="dict", default={}),
            automation_roles=dict(type="list", elements="dict", default=[]),
            break_glass=dict(type="dict", default={}),
            legacy_iam_users=dict(type="list", elements="dict", default=[]),
            posture_before_file=dict(type="path"),
            backup_dir=dict(type="path"),
            cli_profiles_dir=dict(type="path"),
            unused_days=dict(type="int", default=45),
            quarantine_days=dict(type="int", default=7),
            write_in_check_mode=dict(type="bool", default=False),
            **INSTANCE_OPTIONS, **ACCOUNT_OPTIONS,
        ),
        supports_check_mode=True,
    )
    if module.params["backup_dir"] and not os.path.isdir(module.params["backup_dir"]):
        module.params["backup_dir"] = None  # no retirement yet: no backup to name
    module.exit_json(**run(module, lambda: write(module), "Failed to read the estate for the report"))


if __name__ == "__main__":
    main()
