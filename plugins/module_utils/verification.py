# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The verification gate: is the new access path in place before any legacy IAM user is touched?

Pure decisions (the unit tests reach them): who of the administrators lacks the administrator permission set in
which account, directly or through a group; and the gate's list of problems. An empty list opens the gate.
"""


def admin_gaps(holders, administrators, account_ids):
    """(user, account) pairs not covered, as [{user, account_id}], in the order asked.

    holders: {(user name, account ID)} that hold the administrator permission set, directly or through a group.
    """
    return [{"user": user, "account_id": str(account_id)}
            for user in administrators for account_id in account_ids if (user, str(account_id)) not in holders]


def holders_of(assignments, group_members):
    """{(user name, account ID)} covered by assignments of one permission set.

    assignments: [(principal type, principal name, account ID)]; group_members: {group name: {user names}}.
    """
    covered = set()
    for principal_type, name, account_id in assignments:
        users = {name} if principal_type == "USER" else group_members.get(name, set())
        covered.update((user, str(account_id)) for user in users)
    return covered


def gate_problems(administrators, permission_set, permission_set_exists, unknown_administrators, account_problems,
                  missing, outdated, gaps, account_names):
    """Every reason the gate stays shut, in a fixed order; [] opens it.

    missing: [{principal, permission_set, account_name|account_id}] the model's assignments not in Identity Center;
    outdated: [permission set names] not provisioned with their latest version; gaps: admin_gaps().
    """
    problems = []
    if not administrators:
        problems.append("verification.administrators is empty: name the Identity Center users who replace the legacy "
                        "admins")
    if not permission_set_exists:
        problems.append(f"verification.permission_set: '{permission_set}' does not exist in Identity Center")
    problems.extend(f"verification.administrators: '{user}' is not in the identity store" for user in unknown_administrators)
    problems.extend(account_problems)
    problems.extend(f"assignment missing: {a['principal']} / {a['permission_set']} / {a.get('account_name') or a['account_id']}"
                    for a in missing)
    problems.extend(f"permission set not provisioned with its latest version: {name}" for name in outdated)
    if permission_set_exists:
        problems.extend(f"{gap['user']} in account {account_names.get(gap['account_id'], gap['account_id'])} does not "
                        f"hold {permission_set}" for gap in gaps if gap["user"] not in unknown_administrators)
    return problems


def summary_line(passed, administrators, permission_set, account_count):
    return (f"Verification {'PASSED' if passed else 'FAILED - legacy IAM users will not be retired'}: "
            f"{', '.join(administrators) or 'nobody'} hold(s) {permission_set} on {account_count} account(s) checked")
