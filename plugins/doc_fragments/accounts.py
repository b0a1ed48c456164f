# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # Modules that act in many accounts of the organization in one run (module_utils/accounts.py).
    DOCUMENTATION = r"""
options:
  member_role_name:
    description:
      - The IAM role the module assumes (C(sts:AssumeRole)) in every account it acts in other than the caller's own.
      - The default is the role AWS Organizations creates in the accounts it creates, trusted by the management
        account. From a delegated administrator account, name a role whose trust you control.
      - Temporary credentials stay in the module's memory for the run and are renewed before they expire; they never
        appear in module arguments, results, diffs or logs.
    type: str
    default: OrganizationAccountAccessRole
  max_account_workers:
    description:
      - How many accounts are worked on at once. The work waits on AWS, so threads, not processes; throttling is
        retried with jittered backoff.
    type: int
    default: 10
notes:
  - Every account is attempted. When some accounts fail (no member role, C(AccessDenied), a closed account), the
    results of the others are still returned, and the task fails at the end naming each failed account with AWS's
    error code (C(failed_accounts)).
"""
