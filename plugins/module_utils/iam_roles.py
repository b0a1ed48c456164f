# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""IAM roles the collection owns in member accounts (CI/CD and break-glass roles): ownership, read, plan, apply.

Ownership comes first. The collection tags what it creates `managed-by: ssoshift.identity_center`. An
existing role without that tag is taken over only when the access model says so (`adopt: true`), and
never when its name belongs to AWS or to the estate's access path - the member role this run itself
uses to reach the account, OrganizationAccountAccessRole, AWSControlTowerExecution, the roles Identity
Center provisions (AWSReservedSSO_*), service-linked roles (/aws-service-role/ path): rewriting one
of those can lock the operator out of every member account.

`plan_role` is pure (unit tests reach it); `read_role` and `apply_role` make the IAM calls, each with the
collection's retry policy (`aws_retry=True`). Policies are compared with amazon.aws's `compare_policies`,
tags with `compare_aws_tags` (which never removes AWS-reserved `aws:` tags).
"""

import json
import urllib.parse

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import OWNER_TAG_KEY
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import OWNER_TAG_VALUE
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import owned
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import paginate

OWNER_TAGS = {OWNER_TAG_KEY: OWNER_TAG_VALUE}

# Role names that belong to AWS or to the way the management account reaches member accounts.
RESERVED_ROLE_NAMES = ("OrganizationAccountAccessRole", "AWSControlTowerExecution")
RESERVED_ROLE_PREFIXES = ("AWSReservedSSO_", "AWSServiceRoleFor")
RESERVED_PATH_PREFIXES = ("/aws-service-role/", "/aws-reserved/")


def reserved_name_reason(name, member_role_name=None):
    """Why a role name may never be managed by the collection (None when it may), whatever `adopt` says."""
    if not isinstance(name, str):
        return None
    if member_role_name and name == member_role_name:
        return (f"'{name}' is the member role this run assumes to reach every member account "
                "(member_role_name); rewriting it would cut the run, and the operator, off those accounts")
    if name in RESERVED_ROLE_NAMES:
        return (f"'{name}' is the role the management account (or AWS Control Tower) uses to reach member accounts; "
                "rewriting it can lock the operator out of every member account")
    for prefix in RESERVED_ROLE_PREFIXES:
        if name.startswith(prefix):
            return f"'{name}' is a role AWS creates and manages ({prefix}*); it is not yours to change"
    return None


def reserved_path_reason(path):
    for prefix in RESERVED_PATH_PREFIXES:
        if (path or "/").startswith(prefix):
            return f"its path {path} is reserved for roles AWS creates (service-linked or Identity Center roles)"
    return None


def _document(value):
    """A policy document as a dict (IAM answers URL-encoded JSON on some paths; boto3 decodes most)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        return json.loads(urllib.parse.unquote(value))
    return value


def read_role(iam, name, policies=True):
    """The role as the plan compares it, or None when it does not exist.

    {name, arn, path, trust_policy, description, max_session_duration, permissions_boundary ('' if none),
    managed_policies [arn], inline_policies {name: document}, tags {key: value}}; IAM GetRole,
    ListAttachedRolePolicies, ListRolePolicies + GetRolePolicy each. The tags come with GetRole (IAM returns all of a
    role's tags there, at most 50), so no ListRoleTags. With policies=False (a reader that needs no policy, such as
    the report), GetRole alone: managed_policies and inline_policies are None (not read, not empty).
    """
    try:
        role = iam.get_role(RoleName=name, aws_retry=True)["Role"]
    except is_boto3_error_code("NoSuchEntity"):
        return None
    managed, inline = None, None
    if policies:
        inline = {}
        for policy_name in paginate(iam, "list_role_policies", "PolicyNames", RoleName=name):
            inline[policy_name] = _document(iam.get_role_policy(RoleName=name, PolicyName=policy_name,
                                                                aws_retry=True)["PolicyDocument"])
        managed = sorted(p["PolicyArn"] for p in paginate(
            iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name))
    return {
        "name": role["RoleName"],
        "arn": role["Arn"],
        "path": role.get("Path", "/"),
        "trust_policy": _document(role.get("AssumeRolePolicyDocument")),
        "description": role.get("Description") or "",
        "max_session_duration": role.get("MaxSessionDuration", 3600),
        "permissions_boundary": (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn") or "",
        "managed_policies": managed,
        "inline_policies": inline,
        "tags": boto3_tag_list_to_ansible_dict(role.get("Tags") or []),
    }


def ownership(current, adopt, where):
    """('create' | 'owned' | 'adopt', None) or (None, refusal) for a role that exists as `current` (or not)."""
    if current is None:
        return "create", None
    path_reason = reserved_path_reason(current.get("path"))
    if path_reason:
        return None, f"{where}: role '{current['name']}' cannot be managed: {path_reason}"
    if owned(current["tags"]):
        return "owned", None
    if adopt:
        return "adopt", None
    return None, (f"{where}: role '{current['name']}' already exists in the account and was not created by this "
                  f"collection (no tag {OWNER_TAG_KEY}={OWNER_TAG_VALUE}); set adopt: true on the entry to take it "
                  "over (its trust policy, policies and tags are then replaced by the model's), or choose another name")


def plan_role(desired, current, purge_tags=True):
    """[{attribute, before, after}] that take `current` (None: to be created) to `desired`. Pure.

    desired: {name, trust_policy, description, max_session_duration, permissions_boundary ('' for none),
    managed_policies [arn], inline_policies {name: document}, tags {key: value}}. The ownership tag is
    always part of the desired tags. Inline and managed policies the model does not list are removed.
    """
    tags = dict(desired.get("tags") or {}, **OWNER_TAGS)
    if current is None:
        after = dict(desired, tags=tags)
        return [{"attribute": key, "before": None, "after": after[key]}
                for key in ("trust_policy", "description", "max_session_duration", "permissions_boundary",
                            "managed_policies", "inline_policies", "tags") if after.get(key) not in (None, "", [], {})]
    changes = []
    if compare_policies(current["trust_policy"], desired["trust_policy"]):
        changes.append({"attribute": "trust_policy", "before": current["trust_policy"], "after": desired["trust_policy"]})
    for key in ("description", "max_session_duration", "permissions_boundary"):
        if desired.get(key) is not None and desired[key] != current[key]:
            changes.append({"attribute": key, "before": current[key], "after": desired[key]})
    if sorted(desired["managed_policies"]) != current["managed_policies"]:
        changes.append({"attribute": "managed_policies", "before": current["managed_policies"],
                        "after": sorted(desired["managed_policies"])})
    inline_before, inline_after = current["inline_policies"], desired["inline_policies"]
    if set(inline_before) != set(inline_after) or any(
            compare_policies(inline_before[name], inline_after[name]) for name in inline_after):
        changes.append({"attribute": "inline_policies", "before": inline_before, "after": inline_after})
    to_set, to_unset = compare_aws_tags(current["tags"], tags, purge_tags=purge_tags)
    if to_set or to_unset:
        after = {k: v for k, v in current["tags"].items() if k not in to_unset}
        after.update({k: str(v) for k, v in to_set.items()})
        changes.append({"attribute": "tags", "before": current["tags"], "after": after})
    return changes


def apply_role(iam, desired, current, changes):
    """Make `changes` (plan_role's) in IAM. Returns the role ARN.

    Order: create (or the trust policy first, so no later step can leave the old principals trusted), then
    the settings, then policies (attach before detach, so the role never passes through "no permission"
    when a policy is swapped for another; detach first only when IAM refuses one more attached policy),
    inline policies, and tags last.
    """
    by_attribute = {change["attribute"]: change for change in changes}
    name = desired["name"]
    if current is None:
        request = {"RoleName": name, "AssumeRolePolicyDocument": json.dumps(desired["trust_policy"]),
                   "Description": desired.get("description") or "",
                   "MaxSessionDuration": desired.get("max_session_duration") or 3600,
                   "Tags": ansible_dict_to_boto3_tag_list(by_attribute.get("tags", {}).get("after") or OWNER_TAGS)}
        if desired.get("permissions_boundary"):
            request["PermissionsBoundary"] = desired["permissions_boundary"]
        try:
            arn = iam.create_role(aws_retry=True, **request)["Role"]["Arn"]
        except is_boto3_error_code("EntityAlreadyExists"):
            # The create was repeated after its answer was lost (a dropped connection: the retry policy sends it
            # again), or another run created the role meanwhile. CreateRole sets the tags with the role, so a role
            # with the collection's mark is this create's: converge it from what is there. Any other is refused.
            existing = read_role(iam, name)
            if ownership(existing, False, name)[0] != "owned":
                raise
            return apply_role(iam, desired, existing, plan_role(desired, existing))
        before_managed, before_inline = [], {}
    else:
        arn = current["arn"]
        before_managed, before_inline = current["managed_policies"], current["inline_policies"]
        if "trust_policy" in by_attribute:
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(desired["trust_policy"]),
                                          aws_retry=True)
        if "description" in by_attribute or "max_session_duration" in by_attribute:
            iam.update_role(RoleName=name, Description=desired.get("description") or "",
                            MaxSessionDuration=desired.get("max_session_duration") or 3600, aws_retry=True)
        if "permissions_boundary" in by_attribute:
            if desired.get("permissions_boundary"):
                iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=desired["permissions_boundary"],
                                                  aws_retry=True)
            else:
                iam.delete_role_permissions_boundary(RoleName=name, aws_retry=True)
    if "managed_policies" in by_attribute:
        to_attach = sorted(set(desired["managed_policies"]) - set(before_managed))
        to_detach = sorted(set(before_managed) - set(desired["managed_policies"]))
        try:
            _attach(iam, name, to_attach)
        except is_boto3_error_code("LimitExceeded"):
            _detach(iam, name, to_detach)  # at the quota of attached policies: make room first
            to_detach = []
            _attach(iam, name, to_attach)
        _detach(iam, name, to_detach)
    if "inline_policies" in by_attribute:
        for policy_name, document in sorted(desired["inline_policies"].items()):
            if policy_name not in before_inline or compare_policies(before_inline[policy_name], document):
                iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document),
                                    aws_retry=True)
        for policy_name in sorted(set(before_inline) - set(desired["inline_policies"])):
            try:
                iam.delete_role_policy(RoleName=name, PolicyName=policy_name, aws_retry=True)
            except is_boto3_error_code("NoSuchEntity"):
                pass
    if "tags" in by_attribute and current is not None:
        before, after = by_attribute["tags"]["before"], by_attribute["tags"]["after"]
        removed = [key for key in before if key not in after]
        added = {key: value for key, value in after.items() if before.get(key) != value}
        if removed:
            iam.untag_role(RoleName=name, TagKeys=removed, aws_retry=True)
        if added:
            iam.tag_role(RoleName=name, Tags=ansible_dict_to_boto3_tag_list(added), aws_retry=True)
    return arn


def _attach(iam, name, policies):
    for policy in policies:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy, aws_retry=True)


def _detach(iam, name, policies):
    for policy in policies:
        try:
            iam.detach_role_policy(RoleName=name, PolicyArn=policy, aws_retry=True)
        except is_boto3_error_code("NoSuchEntity"):
            pass  # already detached (a repeat after a dropped connection)
