#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: access_report
short_description: Write the end-state report of the migration as JSON, Markdown and one HTML page
version_added: 0.1.0
description:
  - Builds the report from the data it is given and writes C(report.json), C(report.md) and C(report.html) into
    I(dest), each atomically (a temporary file in I(dest), then a rename) with mode C(0600), since they list who
    has access to what.
  - The report holds an accounts by permission sets matrix with the principals of each cell (and the members of
    each group), which users reach which account through which group, the posture checks before and after per
    account with their Prowler and Security Hub IDs and the change of each (C(fixed), C(regressed),
    C(still_failing), C(failing) without a before status, C(unknown), C(passing)), the legacy IAM users retired or
    disabled with their backup files, the automation and break-glass roles, the access portal URL and the CLI
    profile snippets.
  - The HTML page is self-contained, with inline CSS, no script and no external asset; every value is escaped.
  - Same input, same bytes. The report's C(generated_at) is the time its content last changed; when the files in
    I(dest) already hold the same report apart from that timestamp, nothing is written and the module reports no
    change.
  - Reads and writes local files only (where the module runs; delegate it to C(localhost) for the controller).
    Every input is checked first, and every problem is listed, naming the field and the value.
options:
  dest:
    description: Folder for the three files; created (mode C(0700)) when missing.
    type: path
    required: true
  organization:
    description: The organization, as the result of M(ssoshift.identity_center.organization_info) (C(organization), C(accounts)).
    type: dict
    default: {}
  instance:
    description: The Identity Center instance, as the C(instance) of M(ssoshift.identity_center.instance_info) (C(portal_url)).
    type: dict
    default: {}
  assignments:
    description:
      - Account assignments, as returned by M(ssoshift.identity_center.account_assignments_info), each with
        C(account_id), C(permission_set), C(principal_type) and C(principal).
    type: list
    elements: dict
    default: []
  groups:
    description: Groups with their C(display_name) and C(members) (user names), as returned by M(ssoshift.identity_center.identitystore_info).
    type: list
    elements: dict
    default: []
  posture_before:
    description:
      - Results of M(ssoshift.identity_center.account_security_info) taken before the migration, each with
        C(account_id), optionally C(account_name), and C(checks).
      - Omit (or null) when there is no before snapshot; the report then says so. An empty list is a snapshot of
        no account.
    type: list
    elements: dict
  posture_before_source:
    description: Where the before snapshot came from (a file name), shown in the report.
    type: str
  posture_after:
    description: Results of M(ssoshift.identity_center.account_security_info) now, one per account, as for I(posture_before).
    type: list
    elements: dict
    default: []
  retired_users:
    description:
      - Legacy IAM users and their retirement, each with C(user_name), C(state) (C(audited), C(disabled), C(absent)
        or C(refused)) and optionally C(account_id), C(account_name), C(backup_file), C(disabled_at), C(message).
      - The report keeps the end state only - C(message) for a refusal (its reason), not for what a run did; when a
        user's state is the same as in the report already in I(dest) and no C(backup_file) is given (a run with
        nothing to do makes no backup), the earlier backup file stays named while it exists.
      - Of every input list only the documented fields are kept, so nothing else a phase adds reaches the files.
    type: list
    elements: dict
    default: []
  automation_roles:
    description: Automation (OIDC) roles, each with C(role_arn) and optionally C(account_id), C(account_name), C(role_name), C(provider_arn), C(subjects).
    type: list
    elements: dict
    default: []
  break_glass_roles:
    description:
      - Break-glass roles, each with C(role_arn) and optionally C(account_id), C(account_name), C(trusted_principals),
        C(max_session_duration), C(alert_rule).
    type: list
    elements: dict
    default: []
  cli_profiles:
    description:
      - CLI profile snippets, each with C(user_name) and optionally C(path), C(profiles) (profile names, or the
        config text itself), C(content) (the config text) and C(login_command).
    type: list
    elements: dict
    default: []
attributes:
  check_mode:
    support: full
    description: Reports what would change and writes nothing.
  diff_mode:
    support: full
    description: Shows the Markdown and JSON reports before and after.
author:
  - ssoshift contributors (@ssoshift)
"""

EXAMPLES = r"""
- name: Everything the report needs
  ssoshift.identity_center.account_assignments_info:
  register: assignments

- name: Write the report on the controller
  ssoshift.identity_center.access_report:
    dest: "{{ playbook_dir }}/out"
    organization: "{{ organization_details }}"
    instance: "{{ organization_instance }}"
    assignments: "{{ assignments.assignments }}"
    posture_after: "{{ posture_now }}"
  delegate_to: localhost
  register: report

- name: Where to look
  ansible.builtin.debug:
    msg: "Open {{ report.paths.html }}"
"""

RETURN = r"""
paths:
  description: The three files.
  returned: always
  type: dict
  contains:
    json:
      description: Path of C(report.json).
      type: str
    markdown:
      description: Path of C(report.md).
      type: str
    html:
      description: Path of C(report.html).
      type: str
  sample: {"json": "/srv/out/report.json", "markdown": "/srv/out/report.md", "html": "/srv/out/report.html"}
changed_files:
  description: The files written (or, in check mode, that would be), by kind (C(json), C(markdown), C(html)).
  returned: always
  type: list
  elements: str
generated_at:
  description: When the report's content last changed (ISO 8601, UTC).
  returned: always
  type: str
summary:
  description:
    - Counts, as in the report's C(summary) - C(accounts), C(permission_sets), C(assignments), C(users_with_access),
      C(before_snapshot) (whether there was one), C(posture) (checks by change), C(retired_users) (by state),
      C(automation_roles), C(break_glass_roles).
  returned: always
  type: dict
  sample: {"accounts": 4, "assignments": 7, "posture": {"fixed": 3, "regressed": 0, "still_failing": 2}}
  contains:
    accounts:
      description: Accounts in the report.
      type: int
    permission_sets:
      description: Permission sets assigned in at least one account.
      type: int
    assignments:
      description: Account assignments (principal, permission set, account).
      type: int
    users_with_access:
      description: Users who can sign in to at least one account, directly or through a group.
      type: int
    before_snapshot:
      description: Whether a before snapshot of the posture was there to compare with.
      type: bool
    posture:
      description: Checks by change from the before snapshot to now, over every account.
      type: dict
      contains:
        regressed:
          description: Passed before, fail now.
          type: int
        still_failing:
          description: Failed before and fail now.
          type: int
        failing:
          description: Fail now, with no before status.
          type: int
        unknown:
          description: Not readable now.
          type: int
        fixed:
          description: Failed before, pass now.
          type: int
        passing:
          description: Pass now.
          type: int
    retired_users:
      description: Legacy IAM users by state.
      type: dict
      contains:
        audited:
          description: Audited only.
          type: int
        disabled:
          description: Disabled.
          type: int
        absent:
          description: Deleted.
          type: int
        refused:
          description: Refused by an interlock.
          type: int
    automation_roles:
      description: CI/CD roles trusted through OIDC.
      type: int
    break_glass_roles:
      description: Break-glass roles.
      type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils import report as engine

DATA_OPTIONS = ("organization", "instance", "assignments", "groups", "posture_before", "posture_before_source",
                "posture_after", "retired_users", "automation_roles", "break_glass_roles", "cli_profiles")


def main():
    def listed():
        return dict(type="list", elements="dict", default=[])

    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            organization=dict(type="dict", default={}),
            instance=dict(type="dict", default={}),
            assignments=listed(),
            groups=listed(),
            posture_before=dict(type="list", elements="dict"),
            posture_before_source=dict(type="str"),
            posture_after=listed(),
            retired_users=listed(),
            automation_roles=listed(),
            break_glass_roles=listed(),
            cli_profiles=listed(),
        ),
        supports_check_mode=True,
    )
    data = {name: module.params[name] for name in DATA_OPTIONS}
    try:
        fail_if_problems(engine.validate(data), "the report's input is not valid")
    except SsoShiftError as error:
        module.fail_json(msg=str(error), problems=error.problems)
    dest = module.params["dest"]
    try:
        files, report = engine.plan(dest, data)
        if not module.check_mode:
            engine.write(dest, files)
    except OSError as error:
        module.fail_json(msg=f"dest: cannot write the report in '{dest}': {error}")
    changed_files = [kind for kind, entry in files.items() if entry["write"] or entry["chmod"]]
    result = dict(changed=bool(changed_files), changed_files=changed_files,
                  paths={kind: entry["path"] for kind, entry in files.items()},
                  generated_at=report["generated_at"], summary=report["summary"])
    if module._diff:
        result["diff"] = [dict(before=files[kind]["before"] or "", after=files[kind]["after"],
                               before_header=files[kind]["path"], after_header=files[kind]["path"])
                          for kind in ("markdown", "json") if files[kind]["write"]]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
