# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Identity Center directory (identity store) users, groups and memberships: read, plan, apply.

Two ways in, one engine:

- `IdentityStore` reads and writes single principals (the `identitystore_user` / `identitystore_group`
  modules, name look-ups for the assignment engine). Once `load()` has listed the store, every name look-up
  is answered from that listing with no further call.
- `converge_directory()` converges a whole list of users, groups and memberships in one process: ListUsers
  and ListGroups pages (100 a page) instead of one GetUserId per name, one ListGroupMemberships per managed
  group, a plan, then the writes in a safe order (users, then groups, then memberships added, then
  memberships removed), at most rate_limit.MAX_WRITES_IN_FLIGHT at a time.

Users are updated in place with UpdateUser attribute operations and never deleted and recreated: a new user
ID would lose its account assignments and its MFA devices.

Ownership of groups. Identity store groups cannot carry tags. The collection marks the groups it creates in
their description: `MARK` when the model gives no description, else the model's description followed by
`MARK_SUFFIX`. A group that existed before the run without the mark is reported as adopted (it is
taken over by name); it gets the mark the next time the collection writes its description. The mark is
stripped before any comparison and from every view, so the model never sees it.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import already_exists
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import paginate
from ansible_collections.ssoshift.identity_center.plugins.module_utils.rate_limit import MAX_WRITES_IN_FLIGHT
from ansible_collections.ssoshift.identity_center.plugins.module_utils.rate_limit import in_parallel

try:
    from botocore.exceptions import ClientError
except ImportError:  # AnsibleAWSModule reports the missing botocore
    ClientError = RuntimeError

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
REQUIRED_TO_CREATE = ("given_name", "family_name", "email")

# ListUsers / ListGroups page size: AWS's maximum (MaxResults 1-100).
PAGE_SIZE = 100
# Resolving more names than this lists the store (ListUsers / ListGroups pages) instead of GetUserId per name.
LIST_ABOVE = 10

# The collection's ownership mark in a group's description (groups cannot carry tags).
MARK = "Managed by ssoshift.identity_center"
MARK_SUFFIX = " (managed by ssoshift.identity_center)"
DESCRIPTION_MAX = 1024


def mark_description(description):
    """The description the collection writes: the model's, marked as the collection's."""
    if not description:
        return MARK
    if len(description) + len(MARK_SUFFIX) > DESCRIPTION_MAX:
        return description  # no room for the mark: the group will be reported as adopted on later runs
    return description + MARK_SUFFIX


def split_description(stored):
    """(description as the model sees it, whether the collection's mark is there) of a stored description."""
    if stored == MARK:
        return None, True
    if stored and stored.endswith(MARK_SUFFIX):
        return stored[:-len(MARK_SUFFIX)], True
    return stored, False


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
    """Our view of a DescribeUser answer or a ListUsers entry (AWS returns the complete User in both)."""
    user = {"user_name": described["UserName"], "user_id": described["UserId"],
            "email": primary_email(described.get("Emails"))}
    for option, keys in _DESCRIBE_KEYS.items():
        user[option] = _dig(described, keys)
    return user


def group_from_aws(group):
    """Our view of a DescribeGroup answer or a ListGroups entry; the ownership mark is stripped."""
    description, marked = split_description(group.get("Description"))
    return {"group_id": group["GroupId"], "display_name": group["DisplayName"], "description": description,
            "marked": marked}


def user_changes(desired, current):
    """[{attribute, before, after}] for every attribute `desired` sets that differs (None: not managed)."""
    return [{"attribute": f, "before": current.get(f), "after": desired[f]}
            for f in USER_FIELDS if desired.get(f) is not None and desired[f] != current.get(f)]


def new_user(desired):
    """The user `desired` creates; display_name defaults to 'given family'."""
    after = {f: desired.get(f) for f in USER_FIELDS}
    after["user_name"] = desired["user_name"]
    after["display_name"] = desired.get("display_name") or f"{desired['given_name']} {desired['family_name']}"
    after["user_id"] = None
    return after


def user_operation(attribute, value):
    """One UpdateUser attribute operation; emails are the whole multi-valued attribute."""
    if attribute == "email":
        return {"AttributePath": "emails", "AttributeValue": [{"Value": value, "Type": "work", "Primary": True}]}
    return {"AttributePath": USER_ATTRIBUTE_PATHS[attribute], "AttributeValue": value}


class IdentityStore:
    """Reads and writes in one identity store, with name -> ID look-ups cached for the run."""

    def __init__(self, identitystore, identity_store_id, check_mode=False):
        self.client = identitystore
        self.store_id = identity_store_id
        self.check_mode = check_mode
        self._ids = {}
        self._names = {}
        self.users = None   # {user_name: user view} once load() listed them
        self.groups = None  # {display_name: group view} once load() listed them

    # ------------------------------------------------------------------ listing
    def load(self, users=True, groups=True):
        """List the whole store once (ListUsers / ListGroups, 100 a page); later look-ups make no call."""
        if users and self.users is None:
            self.users = {}
            for entry in paginate(self.client, "list_users", "Users", IdentityStoreId=self.store_id,
                                  MaxResults=PAGE_SIZE):
                user = user_from_aws(entry)
                self.users[user["user_name"]] = user
                self._ids[("USER", user["user_name"])] = user["user_id"]
                self._names[("USER", user["user_id"])] = user["user_name"]
        if groups and self.groups is None:
            self.groups = {}
            for entry in paginate(self.client, "list_groups", "Groups", IdentityStoreId=self.store_id,
                                  MaxResults=PAGE_SIZE):
                group = group_from_aws(entry)
                self.groups[group["display_name"]] = group
                self._ids[("GROUP", group["display_name"])] = group["group_id"]
                self._names[("GROUP", group["group_id"])] = group["display_name"]
        return self

    def list_users(self):
        return sorted(self.load(groups=False).users.values(), key=lambda u: u["user_name"])

    def list_groups(self):
        """ListGroups entries, as AWS names their keys (DisplayName, GroupId, Description without the mark)."""
        return [{"GroupId": g["group_id"], "DisplayName": g["display_name"], "Description": g["description"]}
                for g in sorted(self.load(users=False).groups.values(), key=lambda g: g["display_name"])]

    # ------------------------------------------------------------------ look-ups
    def _get_id(self, principal_type, name):
        key = (principal_type, name)
        listed = self.users if principal_type == "USER" else self.groups
        if key not in self._ids and listed is not None:
            return None  # the whole store was listed: it does not exist
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

    def principals(self):
        """[(USER | GROUP, ID)] of every user and group of the store (listed once, load())."""
        self.load()
        return [("USER", u["user_id"]) for u in self.users.values()] + [
            ("GROUP", g["group_id"]) for g in self.groups.values()]

    def user_id(self, user_name):
        return self._get_id("USER", user_name)

    def group_id(self, display_name):
        return self._get_id("GROUP", display_name)

    def prefetch(self, users=(), groups=()):
        """List the store when more names are to be resolved than LIST_ABOVE (cheaper than one call each)."""
        self.load(users=len(set(users)) > LIST_ABOVE, groups=len(set(groups)) > LIST_ABOVE)

    def resolve(self, users=(), groups=()):
        """IDs for every name given; one SsoShiftError listing all the names that do not exist."""
        self.prefetch(users, groups)
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
        self._names[(principal_type, principal_id)] = name

    def _name(self, principal_type, principal_id):
        """User name or group display name of an ID, cached; None when it no longer exists."""
        key = (principal_type, principal_id)
        listed = self.users if principal_type == "USER" else self.groups
        if key not in self._names and listed is not None:
            return None
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

    # ------------------------------------------------------------------ writes shared by both ways in
    def create_user(self, user):
        """CreateUser; returns the new ID. A user of that name that already exists (a create repeated after a
        dropped connection, or a concurrent run) is read back instead: AWS answers ConflictException
        (UNIQUENESS_CONSTRAINT_VIOLATION), which means the write is there."""
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
        try:
            user_id = self.client.create_user(aws_retry=True, **request)["UserId"]
        except ClientError as error:
            if not already_exists(error):
                raise
            user_id = self._lookup_after_conflict("USER", user["user_name"], error)
        self.remember("USER", user["user_name"], user_id)
        return user_id

    def create_group(self, display_name, description):
        """CreateGroup with the collection's mark in the description; returns the new ID (an existing group
        of that name, answered with ConflictException, is read back instead)."""
        request = {"IdentityStoreId": self.store_id, "DisplayName": display_name,
                   "Description": mark_description(description)}
        try:
            group_id = self.client.create_group(aws_retry=True, **request)["GroupId"]
        except ClientError as error:
            if not already_exists(error):
                raise
            group_id = self._lookup_after_conflict("GROUP", display_name, error)
        self.remember("GROUP", display_name, group_id)
        return group_id

    def _lookup_after_conflict(self, principal_type, name, error):
        """The ID of a principal AWS says exists (GetUserId / GetGroupId); the error again when it does not."""
        path = "userName" if principal_type == "USER" else "displayName"
        identifier = {"UniqueAttribute": {"AttributePath": path, "AttributeValue": name}}
        try:
            if principal_type == "USER":
                return self.client.get_user_id(IdentityStoreId=self.store_id, AlternateIdentifier=identifier,
                                               aws_retry=True)["UserId"]
            return self.client.get_group_id(IdentityStoreId=self.store_id, AlternateIdentifier=identifier,
                                            aws_retry=True)["GroupId"]
        except is_boto3_error_code("ResourceNotFoundException"):
            raise error from None

    def update_group_description(self, group_id, description):
        """UpdateGroup: the model's description, with the mark (the collection owns the group from now on)."""
        self.client.update_group(IdentityStoreId=self.store_id, GroupId=group_id, aws_retry=True,
                                 Operations=[{"AttributePath": "description",
                                              "AttributeValue": mark_description(description)}])

    def add_member(self, group_id, user_id):
        """CreateGroupMembership; a membership that already exists (ConflictException) counts as added."""
        try:
            self.client.create_group_membership(IdentityStoreId=self.store_id, GroupId=group_id,
                                                MemberId={"UserId": user_id}, aws_retry=True)
        except ClientError as error:
            if not already_exists(error):
                raise

    def remove_member(self, membership_id):
        """DeleteGroupMembership; one already gone (ResourceNotFoundException) counts as removed."""
        try:
            self.client.delete_group_membership(IdentityStoreId=self.store_id, MembershipId=membership_id,
                                                aws_retry=True)
        except is_boto3_error_code("ResourceNotFoundException"):
            pass

    def memberships(self, group_id):
        """{user ID: membership ID} of a group (ListGroupMemberships pages)."""
        members = {}
        for membership in paginate(self.client, "list_group_memberships", "GroupMemberships",
                                   IdentityStoreId=self.store_id, GroupId=group_id, MaxResults=PAGE_SIZE):
            user_id = (membership.get("MemberId") or {}).get("UserId")
            if user_id:
                members[user_id] = membership["MembershipId"]
        return members

    # ------------------------------------------------------------------ users, one at a time
    def read_user(self, user_name):
        if self.users is not None:
            return self.users.get(user_name)
        user_id = self.user_id(user_name)
        if user_id is None:
            return None
        described = self.client.describe_user(IdentityStoreId=self.store_id, UserId=user_id, aws_retry=True)
        return user_from_aws(described)

    def ensure_user(self, desired):
        """Create or update one user; returns (changed, user_before, user_after, changes)."""
        current = self.read_user(desired["user_name"])
        if current is None:
            missing = [f for f in REQUIRED_TO_CREATE if not desired.get(f)]
            if missing:
                raise SsoShiftError(
                    f"user '{desired['user_name']}' does not exist; creating it needs {', '.join(missing)}")
            after = new_user(desired)
            if not self.check_mode:
                after["user_id"] = self.create_user(after)
            return True, None, after, [{"attribute": f, "before": None, "after": after[f]}
                                       for f in USER_FIELDS if after.get(f) is not None]
        changes = user_changes(desired, current)
        if not changes:
            return False, current, current, []
        after = dict(current, **{c["attribute"]: c["after"] for c in changes})
        if not self.check_mode:
            self.client.update_user(IdentityStoreId=self.store_id, UserId=current["user_id"],
                                    Operations=[user_operation(c["attribute"], c["after"]) for c in changes],
                                    aws_retry=True)
        return True, current, after, changes

    def delete_user(self, user_name):
        """Returns the user that was (or would be) deleted, or None when there was none."""
        current = self.read_user(user_name)
        if current and not self.check_mode:
            self.client.delete_user(IdentityStoreId=self.store_id, UserId=current["user_id"], aws_retry=True)
        return current

    # ------------------------------------------------------------------ groups, one at a time
    def read_group(self, display_name):
        """The group with `member_ids` ({user ID: membership ID}); None when it does not exist."""
        if self.groups is not None:
            group = self.groups.get(display_name)
            if group is None:
                return None
            return dict(group, member_ids=self.memberships(group["group_id"]))
        group_id = self.group_id(display_name)
        if group_id is None:
            return None
        described = group_from_aws(self.client.describe_group(IdentityStoreId=self.store_id, GroupId=group_id,
                                                              aws_retry=True))
        return dict(described, member_ids=self.memberships(group_id))

    def ensure_group(self, display_name, description=None, members=None, purge_members=False):
        """Create or update one group and its members (the bulk engine with one group); returns a result dict."""
        group = {"name": display_name, "description": description, "members": members,
                 "purge_members": purge_members}
        problems = []
        for name in members or []:
            if self.user_id(name) is None:
                problems.append(f"members: user '{name}' does not exist in identity store {self.store_id}")
        if problems and not self.check_mode:
            raise SsoShiftError(f"group '{display_name}': " + "; ".join(problems), problems)
        current = self.read_group(display_name)
        plan = plan_group(group, current, purge_members)
        wanted = {}
        for name in members or []:
            wanted[self.user_id(name) or f"(user to be created: {name})"] = name
        to_add = [user_id for user_id in wanted if current is None or user_id not in current["member_ids"]]
        purge = purge_members and members is not None
        to_remove = [] if current is None or not purge else [
            user_id for user_id in current["member_ids"] if user_id not in wanted]
        group_id = current and current["group_id"]
        if not self.check_mode:
            if plan["action"] == "create":
                group_id = self.create_group(display_name, description)
            elif plan["action"] == "update":
                self.update_group_description(group_id, description)
            for user_id in to_add:
                self.add_member(group_id, user_id)
            for user_id in to_remove:
                self.remove_member(current["member_ids"][user_id])
        names = {user_id: wanted.get(user_id) or self.user_name(user_id) or user_id
                 for user_id in list((current or {}).get("member_ids", {})) + to_add}
        before = None if current is None else {
            "display_name": current["display_name"], "description": current["description"],
            "members": sorted(names[i] for i in current["member_ids"])}
        kept_description = description if description is not None else (current or {}).get("description")
        after = {"display_name": display_name, "description": kept_description,
                 "members": sorted(names[i] for i in names if i not in to_remove)}
        return {
            "changed": plan["action"] != "none" or bool(to_add or to_remove),
            "group_id": group_id,
            "members_added": sorted(wanted[user_id] for user_id in to_add),
            "members_removed": sorted(names[user_id] for user_id in to_remove),
            "ownership": plan["ownership"],
            "before": before,
            "after": after,
        }

    def delete_group(self, display_name):
        current = self.read_group(display_name)
        if current and not self.check_mode:
            self.client.delete_group(IdentityStoreId=self.store_id, GroupId=current["group_id"], aws_retry=True)
        return current


# --------------------------------------------------------------------------- planning (pure)

def plan_group(group, current, purge_default=False):
    """{action: create|update|none, ownership: created|managed|adopted, changes} for one group entry.

    `group` is an access-model entry ({name, description, members, purge_members}); `current` a group view
    (None when it does not exist). A description left unset is not managed.
    """
    if current is None:
        return {"action": "create", "ownership": "created",
                "changes": [{"attribute": "description", "before": None, "after": group.get("description")}]}
    changes = []
    if group.get("description") is not None and group["description"] != current["description"]:
        changes.append({"attribute": "description", "before": current["description"], "after": group["description"]})
    ownership = "managed" if current.get("marked") else "adopted"
    return {"action": "update" if changes else "none", "ownership": ownership, "changes": changes}


def directory_problems(users, groups, store, manage_directory=True):
    """Every reason the directory cannot be converged, found before any write (names the entry and value).

    With manage_directory, each user that does not exist must have what creating it needs, and each member
    must be a user of the model or of the store. Without (SCIM), every user, group and member must exist.
    """
    problems = []
    model_users = {u["user_name"] for u in users}
    for index, user in enumerate(users):
        where = f"users[{index}] ({user['user_name']})"
        exists = user["user_name"] in store.users
        if not manage_directory and not exists:
            problems.append(f"{where}: user '{user['user_name']}' is not in the identity store {store.store_id} "
                            "(manage_directory is false: users are only looked up)")
        elif not exists:
            missing = [f for f in REQUIRED_TO_CREATE if not user.get(f)]
            if missing:
                problems.append(f"{where}: user '{user['user_name']}' does not exist; creating it needs "
                                + ", ".join(missing))
    for index, group in enumerate(groups):
        where = f"groups[{index}] ({group['name']})"
        if not manage_directory and group["name"] not in store.groups:
            problems.append(f"{where}: group '{group['name']}' is not in the identity store {store.store_id} "
                            "(manage_directory is false: groups are only looked up)")
        for member in group.get("members") or []:
            known = member in store.users or (manage_directory and member in model_users)
            if not known:
                problems.append(f"{where}.members: user '{member}' is not in the identity store {store.store_id}"
                                + ("" if manage_directory else " (manage_directory is false: users are only looked "
                                   "up)") + (" nor in users" if manage_directory else ""))
    return problems


# --------------------------------------------------------------------------- the bulk engine

def converge_directory(store, users, groups, purge_members=False, manage_directory=True,
                       workers=MAX_WRITES_IN_FLIGHT):
    """Converge users, groups and memberships in one pass; returns the result of the `identitystore_directory`
    module (see its RETURN) without `api_calls`.

    users: [{user_name, given_name, ...}] (None values: not managed); groups: [{name, description, members,
    purge_members}] (members None: not managed; purge_members None: `purge_members`).
    Reads: ListUsers and ListGroups pages, one ListGroupMemberships per existing group whose members are
    managed (none in SCIM mode). Raises SsoShiftError listing every problem before the first write; a write
    that fails stops the run after its phase, naming every failure.
    """
    store.load()
    problems = directory_problems(users, groups, store, manage_directory)
    fail_if_problems(problems, "the directory cannot be converged; nothing was changed")

    result = {"changed": False, "identity_store_id": store.store_id,
              "users": {"created": [], "updated": [], "unchanged": 0},
              "groups": {"created": [], "updated": [], "unchanged": 0, "adopted": []},
              "memberships": {"added": [], "removed": []}, "adopted": [],
              "ownership": {}}
    before, after = {"users": {}, "groups": {}}, {"users": {}, "groups": {}}

    # Users: plan.
    to_create, to_update = [], []
    for user in users if manage_directory else []:
        current = store.users.get(user["user_name"])
        if current is None:
            to_create.append(new_user(user))
            continue
        changes = user_changes(user, current)
        if changes:
            to_update.append((current, changes))
        else:
            result["users"]["unchanged"] += 1
    if not manage_directory:
        result["users"]["unchanged"] = len(users)

    # Groups: plan, and their current members.
    group_plans = []
    for group in groups:
        current = store.groups.get(group["name"])
        plan = plan_group(group, current) if manage_directory else {
            "action": "none", "ownership": "managed" if current["marked"] else "adopted", "changes": []}
        group_plans.append((group, current, plan))
    member_reads = [current for group, current, plan in group_plans
                    if manage_directory and current is not None and group.get("members") is not None]
    members = {current["group_id"]: found for current, found, error in
               _checked(in_parallel(lambda current: store.memberships(current["group_id"]), member_reads, workers))}

    # Memberships: plan by user name (users this run creates have no ID yet).
    additions, removals, touched = [], [], set()
    for group, current, plan in group_plans if manage_directory else []:
        if group.get("members") is None:
            continue
        have = members.get(current["group_id"], {}) if current else {}
        have_names = {store.user_name(user_id) or user_id: user_id for user_id in have}
        wanted = set(group["members"])
        adds = [(group["name"], name) for name in sorted(wanted - set(have_names))]
        purge = group.get("purge_members")
        removes = [(group["name"], name, have[have_names[name]]) for name in sorted(set(have_names) - wanted)] if (
            purge if purge is not None else purge_members) else []
        additions.extend(adds)
        removals.extend(removes)
        if adds or removes:
            touched.add(group["name"])
            before["groups"].setdefault(group["name"], {})["members"] = sorted(have_names)
            after["groups"].setdefault(group["name"], {})["members"] = sorted(
                (set(have_names) | wanted) - {r[1] for r in removes})

    # Results and diff of the plan.
    for user in to_create:
        result["users"]["created"].append(user["user_name"])
        after["users"][user["user_name"]] = {f: user[f] for f in USER_FIELDS if user.get(f) is not None}
    for current, changes in to_update:
        result["users"]["updated"].append({"user_name": current["user_name"], "changes": changes})
        before["users"][current["user_name"]] = {c["attribute"]: c["before"] for c in changes}
        after["users"][current["user_name"]] = {c["attribute"]: c["after"] for c in changes}
    for group, current, plan in group_plans:
        name = group["name"]
        result["ownership"][name] = plan["ownership"]
        if plan["ownership"] == "adopted":
            result["groups"]["adopted"].append(name)
        if plan["action"] == "create":
            result["groups"]["created"].append(name)
            after["groups"].setdefault(name, {})["description"] = group.get("description")
        elif plan["action"] == "update":
            result["groups"]["updated"].append({"name": name, "changes": plan["changes"]})
            before["groups"].setdefault(name, {})["description"] = current["description"]
            after["groups"].setdefault(name, {})["description"] = group["description"]
        elif name not in touched:
            result["groups"]["unchanged"] += 1
    result["adopted"] = list(result["groups"]["adopted"])
    if result["adopted"]:
        after["adopted"] = [f"group:{name} (existed before this run; not created by ssoshift.identity_center)"
                            for name in result["adopted"]]
    result["memberships"]["added"] = [{"group": g, "user": u} for g, u in additions]
    result["memberships"]["removed"] = [{"group": g, "user": u} for g, u, dummy in removals]
    result["changed"] = bool(to_create or to_update or additions or removals
                             or any(plan["action"] != "none" for dummy, dummy2, plan in group_plans))
    result["diff"] = {"before": before, "after": after}
    result["counts"] = {
        "users_created": len(to_create), "users_updated": len(to_update),
        "groups_created": len(result["groups"]["created"]), "groups_updated": len(result["groups"]["updated"]),
        "groups_adopted": len(result["adopted"]), "members_added": len(additions), "members_removed": len(removals)}
    if store.check_mode or not result["changed"]:
        return result

    # Writes, in a safe order: users, then groups, then members added, then members removed.
    _checked(in_parallel(store.create_user, to_create, workers), "create user", lambda u: u["user_name"])
    _checked(in_parallel(
        lambda item: store.client.update_user(
            IdentityStoreId=store.store_id, UserId=item[0]["user_id"], aws_retry=True,
            Operations=[user_operation(c["attribute"], c["after"]) for c in item[1]]),
        to_update, workers), "update user", lambda item: item[0]["user_name"])
    creates = [(group, plan) for group, current, plan in group_plans if plan["action"] == "create"]
    _checked(in_parallel(lambda item: store.create_group(item[0]["name"], item[0].get("description")), creates,
                         workers), "create group", lambda item: item[0]["name"])
    updates = [(current, group) for group, current, plan in group_plans if plan["action"] == "update"]
    _checked(in_parallel(lambda item: store.update_group_description(item[0]["group_id"], item[1]["description"]),
                         updates, workers), "update group", lambda item: item[1]["name"])
    _checked(in_parallel(lambda item: store.add_member(store.group_id(item[0]), store.user_id(item[1])),
                         additions, workers), "add member", lambda item: f"{item[1]} to {item[0]}")
    _checked(in_parallel(lambda item: store.remove_member(item[2]), removals, workers), "remove member",
             lambda item: f"{item[1]} from {item[0]}")
    return result


def _checked(outcomes, action=None, label=None):
    """The outcomes of in_parallel, or one SsoShiftError naming each failure (after the whole phase ran)."""
    failed = [(item, error) for item, dummy, error in outcomes if error is not None]
    if failed:
        if action is None:
            raise failed[0][1]
        messages = [f"{action} {label(item)}: {error}" for item, error in failed]
        raise SsoShiftError(f"{len(failed)} write(s) failed; the writes before them were made, the later phases "
                            "were not (a new run continues from here): " + "; ".join(messages[:20]), messages)
    return outcomes
