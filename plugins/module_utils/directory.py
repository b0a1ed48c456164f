# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Identity Center directory (identity store) users, groups and memberships: read, plan, apply.

Users are updated in place with UpdateUser attribute operations and never deleted and
recreated: a new user ID would lose its account assignments and its MFA devices.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import paginate

# option name -> identity store attribute path (UpdateUser) and its place in DescribeUser
USER_ATTRIBUTE_PATHS = {
    "display_name": "displayName",
    "given_name": "name.givenName",
    "family_name": "name.familyName",
    "title": "title",
    "locale": "locale",
    "timezone": "timezone",
    "preferred_language": "preferredLanguage",
    "nickname": "nickName",
}
_DESCRIBE_KEYS = {
    "display_name": ("DisplayName",),
    "given_name": ("Name", "GivenName"),
    "family_name": ("Name", "FamilyName"),
    "title": ("Title",),
    "locale": ("Locale",),
    "timezone": ("Timezone",),
    "preferred_language": ("PreferredLanguage",),
    "nickname": ("NickName",),
}
USER_FIELDS = tuple(USER_ATTRIBUTE_PATHS) + ("email",)


def _dig(data, keys):
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def primary_email(emails):
    emails = emails or []
    chosen = next((e for e in emails if e.get("Primary")), emails[0] if emails else None)
    return chosen.get("Value") if chosen else None


def user_from_aws(described):
    """Our view of a DescribeUser answer."""
    user = {"user_name": described["UserName"], "user_id": described["UserId"],
            "email": primary_email(described.get("Emails"))}
    for option, keys in _DESCRIBE_KEYS.items():
        user[option] = _dig(described, keys)
    return user


class IdentityStore:
    """Reads and writes in one identity store, with name -> ID look-ups cached for the run."""

    def __init__(self, identitystore, identity_store_id, check_mode=False):
        self.client = identitystore
        self.store_id = identity_store_id
        self.check_mode = check_mode
        self._ids = {}
        self._names = {}

    # ------------------------------------------------------------------ look-ups
    def _get_id(self, principal_type, name):
        key = (principal_type, name)
        if key not in self._ids:
            path = "userName" if principal_type == "USER" else "displayName"
            identifier = {"UniqueAttribute": {"AttributePath": path, "AttributeValue": name}}
            try:
                if principal_type == "USER":
                    found = self.client.get_user_id(IdentityStoreId=self.store_id, AlternateIdentifier=identifier,
                                                    aws_retry=True)["UserId"]
                else:
                    found = self.client.get_group_id(IdentityStoreId=self.store_id, AlternateIdentifier=identifier,
                                                     aws_retry=True)["GroupId"]
            except is_boto3_error_code("ResourceNotFoundException"):
                found = None
            self._ids[key] = found
        return self._ids[key]

    def user_id(self, user_name):
        return self._get_id("USER", user_name)

    def group_id(self, display_name):
        return self._get_id("GROUP", display_name)

    def resolve(self, users=(), groups=()):
        """IDs for every name given; one SsoShiftError listing all the names that do not exist."""
        resolved = {"users": {}, "groups": {}}
        problems = []
        for kind, names, lookup in (("user", users, self.user_id), ("group", groups, self.group_id)):
            for name in names:
                resolved[kind + "s"][name] = lookup(name)
                if resolved[kind + "s"][name] is None:
                    problems.append(f"{kind} '{name}' does not exist in identity store {self.store_id}")
        fail_if_problems(problems, "unknown principals")
        return resolved

    def remember(self, principal_type, name, principal_id):
        """Record an ID the caller already knows, so later look-ups in this run need no call."""
        self._ids[(principal_type, name)] = principal_id

    def _name(self, principal_type, principal_id):
        """User name or group display name of an ID, cached; None when it no longer exists."""
        key = (principal_type, principal_id)
        if key not in self._names:
            try:
                if principal_type == "USER":
                    self._names[key] = self.client.describe_user(
                        IdentityStoreId=self.store_id, UserId=principal_id, aws_retry=True)["UserName"]
                else:
                    self._names[key] = self.client.describe_group(
                        IdentityStoreId=self.store_id, GroupId=principal_id, aws_retry=True)["DisplayName"]
            except is_boto3_error_code("ResourceNotFoundException"):
                self._names[key] = None
        return self._names[key]

    def user_name(self, user_id):
        return self._name("USER", user_id)

    def principal_label(self, principal_type, principal_id):
        """'user:alice' / 'group:admins' for reports; marks a principal that was deleted."""
        name = self._name(principal_type, principal_id)
        kind = principal_type.lower()
        return f"{kind}:{name}" if name is not None else f"{kind}:{principal_id} (deleted)"

    # ------------------------------------------------------------------ users
    def read_user(self, user_name):
        user_id = self.user_id(user_name)
        if user_id is None:
            return None
        described = self.client.describe_user(IdentityStoreId=self.store_id, UserId=user_id, aws_retry=True)
        return user_from_aws(described)

    def ensure_user(self, desired):
        """Create or update one user; returns (changed, user_before, user_after, changes)."""
        current = self.read_user(desired["user_name"])
        if current is None:
            missing = [f for f in ("given_name", "family_name", "email") if not desired.get(f)]
            if missing:
                raise SsoShiftError(
                    f"user '{desired['user_name']}' does not exist; creating it needs {', '.join(missing)}")
            after = {f: desired.get(f) for f in USER_FIELDS}
            after["user_name"] = desired["user_name"]
            after["display_name"] = desired.get("display_name") or f"{desired['given_name']} {desired['family_name']}"
            after["user_id"] = None
            if not self.check_mode:
                after["user_id"] = self._create_user(after)
                self.remember("USER", after["user_name"], after["user_id"])
            return True, None, after, [{"attribute": f, "before": None, "after": after[f]}
                                       for f in USER_FIELDS if after.get(f) is not None]
        changes = [{"attribute": f, "before": current.get(f), "after": desired[f]}
                   for f in USER_FIELDS if desired.get(f) is not None and desired[f] != current.get(f)]
        if not changes:
            return False, current, current, []
        after = dict(current, **{c["attribute"]: c["after"] for c in changes})
        if not self.check_mode:
            self.client.update_user(IdentityStoreId=self.store_id, UserId=current["user_id"],
                                    Operations=[self._user_operation(c["attribute"], c["after"]) for c in changes],
                                    aws_retry=True)
        return True, current, after, changes

    @staticmethod
    def _user_operation(attribute, value):
        if attribute == "email":
            return {"AttributePath": "emails", "AttributeValue": [{"Value": value, "Type": "work", "Primary": True}]}
        return {"AttributePath": USER_ATTRIBUTE_PATHS[attribute], "AttributeValue": value}

    def _create_user(self, user):
        request = {
            "IdentityStoreId": self.store_id,
            "UserName": user["user_name"],
            "DisplayName": user["display_name"],
            "Name": {"GivenName": user["given_name"], "FamilyName": user["family_name"]},
            "Emails": [{"Value": user["email"], "Type": "work", "Primary": True}],
        }
        for option, key in (("title", "Title"), ("locale", "Locale"), ("timezone", "Timezone"),
                            ("preferred_language", "PreferredLanguage"), ("nickname", "NickName")):
            if user.get(option):
                request[key] = user[option]
        return self.client.create_user(aws_retry=True, **request)["UserId"]

    def delete_user(self, user_name):
        """Returns the user that was (or would be) deleted, or None when there was none."""
        current = self.read_user(user_name)
        if current and not self.check_mode:
            self.client.delete_user(IdentityStoreId=self.store_id, UserId=current["user_id"], aws_retry=True)
        return current

    # ------------------------------------------------------------------ groups
    def read_group(self, display_name):
        group_id = self.group_id(display_name)
        if group_id is None:
            return None
        described = self.client.describe_group(IdentityStoreId=self.store_id, GroupId=group_id, aws_retry=True)
        memberships = paginate(self.client, "list_group_memberships", "GroupMemberships",
                               IdentityStoreId=self.store_id, GroupId=group_id)
        members = {}
        for membership in memberships:
            user_id = (membership.get("MemberId") or {}).get("UserId")
            if user_id:
                members[user_id] = membership["MembershipId"]
        return {"group_id": group_id, "display_name": described["DisplayName"],
                "description": described.get("Description"), "member_ids": members}

    def ensure_group(self, display_name, description=None, members=None, purge_members=False):
        """Create or update one group and its members; returns a result dict."""
        problems = []
        wanted = {}
        for name in members or []:
            user_id = self.user_id(name)
            if user_id is None:
                problems.append(f"members: user '{name}' does not exist in identity store {self.store_id}")
                # In check mode the user may be one this run would create first: plan it as an addition.
                user_id = f"(user to be created: {name})"
            wanted[user_id] = name
        if problems and not self.check_mode:
            raise SsoShiftError(f"group '{display_name}': " + "; ".join(problems), problems)

        current = self.read_group(display_name)
        changed = False
        before = None
        if current is None:
            changed = True
            current = {"group_id": None, "display_name": display_name, "description": description, "member_ids": {}}
            if not self.check_mode:
                request = {"IdentityStoreId": self.store_id, "DisplayName": display_name}
                if description:
                    request["Description"] = description
                current["group_id"] = self.client.create_group(aws_retry=True, **request)["GroupId"]
                self.remember("GROUP", display_name, current["group_id"])
        else:
            before = {"display_name": current["display_name"], "description": current["description"],
                      "members": sorted(wanted.get(i) or self.user_name(i) or i for i in current["member_ids"])}
            if description is not None and description != current["description"]:
                changed = True
                if not self.check_mode:
                    self.client.update_group(
                        IdentityStoreId=self.store_id, GroupId=current["group_id"], aws_retry=True,
                        Operations=[{"AttributePath": "description", "AttributeValue": description}])
                current["description"] = description

        to_add = [user_id for user_id in wanted if user_id not in current["member_ids"]]
        # Members left unset are not managed: purge_members only prunes against a given list.
        purge = purge_members and members is not None
        to_remove = [user_id for user_id in current["member_ids"] if user_id not in wanted] if purge else []
        added = sorted(wanted[user_id] for user_id in to_add)
        removed = sorted(self.user_name(user_id) or user_id for user_id in to_remove)
        if not self.check_mode:
            for user_id in to_add:
                self.client.create_group_membership(IdentityStoreId=self.store_id, GroupId=current["group_id"],
                                                    MemberId={"UserId": user_id}, aws_retry=True)
            for user_id in to_remove:
                self.client.delete_group_membership(IdentityStoreId=self.store_id,
                                                    MembershipId=current["member_ids"][user_id], aws_retry=True)
        names = {user_id: wanted.get(user_id) or self.user_name(user_id) or user_id
                 for user_id in list(current["member_ids"]) + to_add}
        after = {"display_name": display_name, "description": current["description"],
                 "members": sorted(names[i] for i in names if i not in to_remove)}
        return {
            "changed": changed or bool(to_add or to_remove),
            "group_id": current["group_id"],
            "members_added": added,
            "members_removed": removed,
            "before": before,
            "after": after,
        }

    def delete_group(self, display_name):
        current = self.read_group(display_name)
        if current and not self.check_mode:
            self.client.delete_group(IdentityStoreId=self.store_id, GroupId=current["group_id"], aws_retry=True)
        return current

    # ------------------------------------------------------------------ listing
    def list_users(self):
        return [user_from_aws(u) for u in paginate(self.client, "list_users", "Users", IdentityStoreId=self.store_id)]

    def list_groups(self):
        return paginate(self.client, "list_groups", "Groups", IdentityStoreId=self.store_id)
