# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The verification gate's pure checks: do the people who replace the legacy admins reach
every account they need with an administrator permission set, directly or through a group?"""


def admin_gaps(assignments, groups, administrators, account_ids):
    """(user, account) pairs not covered, as [{user, account_id}], in the order asked.

    `assignments` are account_assignments_info entries (principal "user:NAME" or "group:NAME"),
    `groups` identitystore_info groups with their member user names.
    """
    members = {group["display_name"]: set(group.get("members") or []) for group in groups}
    covered = set()
    for assignment in assignments:
        kind, dummy, name = assignment["principal"].partition(":")
        for user in ({name} if kind == "user" else members.get(name, set())):
            covered.add((user, str(assignment["account_id"])))
    return [{"user": user, "account_id": str(account_id)}
            for user in administrators for account_id in account_ids if (user, str(account_id)) not in covered]
