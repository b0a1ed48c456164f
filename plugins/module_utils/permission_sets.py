# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Permission sets: desired vs current -> plan of changes -> apply, provision, wait.

`plan_changes` is pure (no AWS) so the unit tests reach it directly. An option left as None
is not managed; an empty value ({} / [] / "") means "none wanted".
"""

import json
import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import paginate
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import compact
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import expand_managed_policy
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import parse_policy
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import session_minutes

# Changes that alter what the permission set grants, and so need re-provisioning; tags do not.
PROVISIONED_ATTRIBUTES = ("description", "session_duration", "relay_state", "managed_policies",
                          "customer_managed_policies", "inline_policy", "permissions_boundary")


def canonical_duration(duration):
    """PT8H for PT8H, PT480M or 28800 (seconds, as some emulators answer); other input is returned as is."""
    if isinstance(duration, int):
        duration = f"PT{duration // 60}M"
    minutes = session_minutes(duration)
    if minutes is None:
        return duration
    hours, rest = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{rest}M" if rest else "")


def _customer_ref(reference):
    return {"name": reference["name"], "path": reference.get("path") or "/"}


def normalize_desired(spec):
    """The desired state in the form `read` returns, from module options / an access-model entry."""
    desired = {"name": spec["name"]}
    for key in ("description", "relay_state"):
        desired[key] = spec.get(key)
    desired["session_duration"] = canonical_duration(spec["session_duration"]) if spec.get("session_duration") else None
    managed = spec.get("managed_policies")
    desired["managed_policies"] = None if managed is None else sorted({expand_managed_policy(p) for p in managed})
    customer = spec.get("customer_managed_policies")
    desired["customer_managed_policies"] = None if customer is None else sorted(
        (_customer_ref(r) for r in customer), key=lambda r: (r["path"], r["name"]))
    inline = spec.get("inline_policy")
    desired["inline_policy"] = None if inline is None else (parse_policy(inline, "inline_policy")[0] if inline else {})
    boundary = compact(spec.get("permissions_boundary"))
    if boundary is None:
        desired["permissions_boundary"] = None
    elif not boundary:
        desired["permissions_boundary"] = {}
    elif boundary.get("managed_policy_arn"):
        desired["permissions_boundary"] = {"managed_policy_arn": expand_managed_policy(boundary["managed_policy_arn"])}
    else:
        desired["permissions_boundary"] = {
            "customer_managed_policy_reference": _customer_ref(boundary["customer_managed_policy_reference"])}
    desired["tags"] = spec.get("tags")
    return desired


def plan_changes(desired, current, purge_policies=True, purge_tags=True):
    """List of {attribute, before, after} for every managed attribute that differs.

    `current` is None for a permission set that does not exist yet.
    """
    current = current or {}
    changes = []
    for key in ("description", "session_duration", "relay_state"):
        if desired.get(key) is not None and desired[key] != current.get(key):
            changes.append({"attribute": key, "before": current.get(key), "after": desired[key]})

    for key, identity in (("managed_policies", lambda p: p),
                          ("customer_managed_policies", lambda r: (r["path"], r["name"]))):
        if desired.get(key) is None:
            continue
        have = {identity(p): p for p in current.get(key) or []}
        want = {identity(p): p for p in desired[key]}
        after = [want[k] for k in sorted(want)] + ([] if purge_policies else
                                                   [have[k] for k in sorted(have) if k not in want])
        after = sorted(after, key=identity)
        before = sorted(have.values(), key=identity)
        if after != before:
            changes.append({"attribute": key, "before": before, "after": after})

    if desired.get("inline_policy") is not None:
        before = current.get("inline_policy") or {}
        after = desired["inline_policy"]
        if bool(before) != bool(after) or (before and compare_policies(before, after)):
            changes.append({"attribute": "inline_policy", "before": before, "after": after})

    if desired.get("permissions_boundary") is not None:
        before = current.get("permissions_boundary") or {}
        if before != desired["permissions_boundary"]:
            changes.append({"attribute": "permissions_boundary", "before": before,
                            "after": desired["permissions_boundary"]})

    if desired.get("tags") is not None:
        before = current.get("tags") or {}
        after = dict(desired["tags"]) if purge_tags else dict(before, **desired["tags"])
        after = {str(k): str(v) for k, v in after.items()}
        if after != before:
            changes.append({"attribute": "tags", "before": before, "after": after})
    return changes


def wait_for(fetch, what, timeout=300, delay=2, sleep=time.sleep):
    """Poll fetch() -> status dict until its Status is not IN_PROGRESS; raise on timeout."""
    deadline = time.monotonic() + timeout
    status = fetch()
    while status.get("Status") == "IN_PROGRESS":
        if time.monotonic() >= deadline:
            raise SsoShiftError(f"{what} still IN_PROGRESS after {timeout}s")
        sleep(delay)
        status = fetch()
    return status


class PermissionSets:
    """The permission sets of one Identity Center instance."""

    def __init__(self, sso_admin, instance_arn, check_mode=False, wait_timeout=300, sleep=time.sleep):
        self.client = sso_admin
        self.instance_arn = instance_arn
        self.check_mode = check_mode
        self.wait_timeout = wait_timeout
        self.sleep = sleep
        self._by_name = None

    # ------------------------------------------------------------------ reads
    def by_name(self):
        """{name: arn} of every permission set (ListPermissionSets + DescribePermissionSet each, once per run)."""
        if self._by_name is None:
            self._by_name = {}
            for arn in paginate(self.client, "list_permission_sets", "PermissionSets", InstanceArn=self.instance_arn):
                described = self._describe(arn)
                self._by_name[described["Name"]] = arn
        return self._by_name

    def _describe(self, arn):
        return self.client.describe_permission_set(InstanceArn=self.instance_arn, PermissionSetArn=arn,
                                                   aws_retry=True)["PermissionSet"]

    def read(self, arn, with_boundary=True, with_tags=True):
        """Current state of one permission set, in the form normalize_desired returns.

        Boundary and tags are read only when asked, so a caller that does not manage them does
        not depend on those APIs (some endpoints lack them).
        """
        described = self._describe(arn)
        current = {
            "name": described["Name"],
            "arn": arn,
            "description": described.get("Description"),
            "session_duration": canonical_duration(described["SessionDuration"])
            if described.get("SessionDuration") else None,
            "relay_state": described.get("RelayState"),
            "managed_policies": sorted(p["Arn"] for p in paginate(
                self.client, "list_managed_policies_in_permission_set", "AttachedManagedPolicies",
                InstanceArn=self.instance_arn, PermissionSetArn=arn)),
            "customer_managed_policies": sorted(
                (_customer_ref({"name": r["Name"], "path": r.get("Path")}) for r in paginate(
                    self.client, "list_customer_managed_policy_references_in_permission_set",
                    "CustomerManagedPolicyReferences", InstanceArn=self.instance_arn, PermissionSetArn=arn)),
                key=lambda r: (r["path"], r["name"])),
        }
        inline = self.client.get_inline_policy_for_permission_set(
            InstanceArn=self.instance_arn, PermissionSetArn=arn, aws_retry=True).get("InlinePolicy")
        current["inline_policy"] = json.loads(inline) if inline else {}
        if with_boundary:
            current["permissions_boundary"] = self.read_boundary(arn)
        if with_tags:
            current["tags"] = self.read_tags(arn)
        return current

    def read_tags(self, arn):
        tags = paginate(self.client, "list_tags_for_resource", "Tags", InstanceArn=self.instance_arn, ResourceArn=arn)
        return {t["Key"]: t["Value"] for t in tags}

    def read_boundary(self, arn):
        try:
            boundary = self.client.get_permissions_boundary_for_permission_set(
                InstanceArn=self.instance_arn, PermissionSetArn=arn, aws_retry=True)["PermissionsBoundary"]
        except is_boto3_error_code("ResourceNotFoundException"):
            return {}
        if boundary.get("ManagedPolicyArn"):
            return {"managed_policy_arn": boundary["ManagedPolicyArn"]}
        reference = boundary["CustomerManagedPolicyReference"]
        return {"customer_managed_policy_reference": _customer_ref(
            {"name": reference["Name"], "path": reference.get("Path")})}

    def provisioned_accounts(self, arn, only_outdated=False):
        """Accounts the permission set is provisioned to; with only_outdated, those lacking its latest version."""
        status = {"ProvisioningStatus": "LATEST_PERMISSION_SET_NOT_PROVISIONED"} if only_outdated else {}
        return paginate(self.client, "list_accounts_for_provisioned_permission_set", "AccountIds",
                        InstanceArn=self.instance_arn, PermissionSetArn=arn, **status)

    def assignments(self, arn):
        """Every account assignment that uses the permission set."""
        found = []
        for account_id in self.provisioned_accounts(arn):
            found.extend(paginate(self.client, "list_account_assignments", "AccountAssignments",
                                  InstanceArn=self.instance_arn, AccountId=account_id, PermissionSetArn=arn))
        return found

    # ------------------------------------------------------------------ writes
    def create(self, desired):
        request = {"InstanceArn": self.instance_arn, "Name": desired["name"]}
        for key, field in (("description", "Description"), ("session_duration", "SessionDuration"),
                           ("relay_state", "RelayState")):
            if desired.get(key):
                request[field] = desired[key]
        if desired.get("tags"):
            request["Tags"] = [{"Key": str(k), "Value": str(v)} for k, v in desired["tags"].items()]
        arn = self.client.create_permission_set(aws_retry=True, **request)["PermissionSet"]["PermissionSetArn"]
        self.by_name()[desired["name"]] = arn
        return arn

    def apply(self, arn, changes, current=None):
        """Make `changes` (from plan_changes) on the permission set `arn`; `current` is None when just created."""
        by_attribute = {c["attribute"]: c for c in changes}
        common = {"InstanceArn": self.instance_arn, "PermissionSetArn": arn, "aws_retry": True}
        updated = [key for key in ("description", "session_duration", "relay_state") if key in by_attribute]
        if updated and current is not None:
            # Send the unchanged attributes too: an omitted one must stay as it is, whatever the endpoint.
            after = dict(current, **{key: by_attribute[key]["after"] for key in updated})
            update = {field: after[key] for key, field in (("description", "Description"),
                                                           ("session_duration", "SessionDuration"),
                                                           ("relay_state", "RelayState")) if after.get(key)}
            self.client.update_permission_set(**common, **update)
        # Detach before attaching: a swap at the policy quota must not need quota + 1. Nothing reaches the
        # accounts before the permission set is provisioned again.
        if "managed_policies" in by_attribute:
            change = by_attribute["managed_policies"]
            for policy in sorted(set(change["before"]) - set(change["after"])):
                self.client.detach_managed_policy_from_permission_set(ManagedPolicyArn=policy, **common)
            for policy in sorted(set(change["after"]) - set(change["before"])):
                self.client.attach_managed_policy_to_permission_set(ManagedPolicyArn=policy, **common)
        if "customer_managed_policies" in by_attribute:
            change = by_attribute["customer_managed_policies"]
            for reference in [r for r in change["before"] if r not in change["after"]]:
                self.client.detach_customer_managed_policy_reference_from_permission_set(
                    CustomerManagedPolicyReference={"Name": reference["name"], "Path": reference["path"]}, **common)
            for reference in [r for r in change["after"] if r not in change["before"]]:
                self.client.attach_customer_managed_policy_reference_to_permission_set(
                    CustomerManagedPolicyReference={"Name": reference["name"], "Path": reference["path"]}, **common)
        if "inline_policy" in by_attribute:
            policy = by_attribute["inline_policy"]["after"]
            if policy:
                self.client.put_inline_policy_to_permission_set(InlinePolicy=json.dumps(policy), **common)
            else:
                self.client.delete_inline_policy_from_permission_set(**common)
        if "permissions_boundary" in by_attribute:
            boundary = by_attribute["permissions_boundary"]["after"]
            if not boundary:
                self.client.delete_permissions_boundary_from_permission_set(**common)
            elif boundary.get("managed_policy_arn"):
                self.client.put_permissions_boundary_to_permission_set(
                    PermissionsBoundary={"ManagedPolicyArn": boundary["managed_policy_arn"]}, **common)
            else:
                reference = boundary["customer_managed_policy_reference"]
                self.client.put_permissions_boundary_to_permission_set(PermissionsBoundary={
                    "CustomerManagedPolicyReference": {"Name": reference["name"], "Path": reference["path"]}},
                    **common)
        if "tags" in by_attribute and current is not None:
            before, after = by_attribute["tags"]["before"], by_attribute["tags"]["after"]
            removed = [k for k in before if k not in after]
            added = {k: v for k, v in after.items() if before.get(k) != v}
            tag_call = {"InstanceArn": self.instance_arn, "ResourceArn": arn, "aws_retry": True}
            if removed:
                self.client.untag_resource(TagKeys=removed, **tag_call)
            if added:
                self.client.tag_resource(Tags=[{"Key": k, "Value": v} for k, v in added.items()], **tag_call)

    def provision(self, arn):
        """Re-provision to every account it is provisioned to and wait; returns the final statuses."""
        status = self.client.provision_permission_set(
            InstanceArn=self.instance_arn, PermissionSetArn=arn, TargetType="ALL_PROVISIONED_ACCOUNTS",
            aws_retry=True)["PermissionSetProvisioningStatus"]
        request_id = status.get("RequestId")

        def fetch():
            if status.get("Status") != "IN_PROGRESS":
                return status
            return self.client.describe_permission_set_provisioning_status(
                InstanceArn=self.instance_arn, ProvisionPermissionSetRequestId=request_id,
                aws_retry=True)["PermissionSetProvisioningStatus"]

        final = wait_for(fetch, f"provisioning of {arn} (request {request_id})", self.wait_timeout, sleep=self.sleep)
        return {"request_id": request_id, "status": final.get("Status"), "account_id": final.get("AccountId"),
                "failure_reason": final.get("FailureReason")}

    def delete_assignments(self, arn, assignments):
        """Delete the given assignments and wait for each deletion; returns failures."""
        failures = []
        for assignment in assignments:
            status = self.client.delete_account_assignment(
                InstanceArn=self.instance_arn, TargetId=assignment["AccountId"], TargetType="AWS_ACCOUNT",
                PermissionSetArn=arn, PrincipalType=assignment["PrincipalType"],
                PrincipalId=assignment["PrincipalId"], aws_retry=True)["AccountAssignmentDeletionStatus"]

            def fetch(status=status):
                if status.get("Status") != "IN_PROGRESS":
                    return status
                return self.client.describe_account_assignment_deletion_status(
                    InstanceArn=self.instance_arn, AccountAssignmentDeletionRequestId=status["RequestId"],
                    aws_retry=True)["AccountAssignmentDeletionStatus"]

            final = wait_for(fetch, f"deletion of an assignment in {assignment['AccountId']}", self.wait_timeout,
                             sleep=self.sleep)
            if final.get("Status") == "FAILED":
                failures.append(dict(assignment, FailureReason=final.get("FailureReason")))
        return failures

    def delete(self, arn):
        self.client.delete_permission_set(InstanceArn=self.instance_arn, PermissionSetArn=arn, aws_retry=True)
        self.by_name().pop(next(name for name, a in self.by_name().items() if a == arn), None)
