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

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import OWNER_TAG_KEY
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import OWNER_TAG_VALUE
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import already_exists
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import endpoint_lacks
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import paginate
from ansible_collections.ssoshift.identity_center.plugins.module_utils.identity_center import MANAGEMENT_SET_REMEDY
from ansible_collections.ssoshift.identity_center.plugins.module_utils.identity_center import delegated_refusal
from ansible_collections.ssoshift.identity_center.plugins.module_utils.rate_limit import MAX_PROVISIONING_IN_FLIGHT
from ansible_collections.ssoshift.identity_center.plugins.module_utils.rate_limit import MAX_WRITES_IN_FLIGHT
from ansible_collections.ssoshift.identity_center.plugins.module_utils.rate_limit import in_parallel
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import compact
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import expand_managed_policy
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import parse_policy
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import session_minutes

try:
    from botocore.exceptions import ClientError
    from botocore.parsers import ResponseParserError
except ImportError:  # AnsibleAWSModule reports the missing botocore
    ClientError = ResponseParserError = RuntimeError

# The collection's ownership tag: on every permission set it creates or takes over. A set without it that the
# model names is adopted (reported, then tagged).

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
        self.workers = MAX_WRITES_IN_FLIGHT
        self._by_name = None
        self._described = {}

    # ------------------------------------------------------------------ reads
    def by_name(self):
        """{name: arn} of every permission set: ListPermissionSets, then one DescribePermissionSet per set (in
        parallel, under the process's rate limit), once per run; the descriptions are kept for read()."""
        if self._by_name is None:
            arns = paginate(self.client, "list_permission_sets", "PermissionSets", InstanceArn=self.instance_arn)
            found = {}
            for arn, described, error in in_parallel(self._describe, arns, self.workers):
                if error is not None:
                    if not _is_not_found(error):
                        raise error
                    continue  # deleted between the list and the describe
                found[described["Name"]] = arn
            self._by_name = found
        return self._by_name

    def _describe(self, arn, fresh=False):
        if fresh or arn not in self._described:
            self._described[arn] = self.client.describe_permission_set(
                InstanceArn=self.instance_arn, PermissionSetArn=arn, aws_retry=True)["PermissionSet"]
        return self._described[arn]

    def read(self, arn, with_boundary=True, with_tags=True, with_managed=True, with_customer=True,
             with_inline=True):
        """Current state of one permission set, in the form normalize_desired returns.

        Each part is read only when asked (the bulk engine reads only what the model manages); a part not
        read is absent. The description comes from by_name()'s DescribePermissionSet when it ran.
        """
        described = self._describe(arn)
        current = {
            "name": described["Name"],
            "arn": arn,
            "description": described.get("Description"),
            "session_duration": canonical_duration(described["SessionDuration"])
            if described.get("SessionDuration") else None,
            "relay_state": described.get("RelayState"),
        }
        if with_managed:
            current["managed_policies"] = sorted(p["Arn"] for p in paginate(
                self.client, "list_managed_policies_in_permission_set", "AttachedManagedPolicies",
                InstanceArn=self.instance_arn, PermissionSetArn=arn))
        if with_customer:
            current["customer_managed_policies"] = sorted(
                (_customer_ref({"name": r["Name"], "path": r.get("Path")}) for r in paginate(
                    self.client, "list_customer_managed_policy_references_in_permission_set",
                    "CustomerManagedPolicyReferences", InstanceArn=self.instance_arn, PermissionSetArn=arn)),
                key=lambda r: (r["path"], r["name"]))
        if with_inline:
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
        try:
            arn = self.client.create_permission_set(aws_retry=True, **request)["PermissionSet"]["PermissionSetArn"]
        except ClientError as error:
            # "PermissionSet with name X already exists.": a create repeated after a dropped connection (or a
            # concurrent run) was applied. Read it back and carry on as if this call had created it.
            if not already_exists(error):
                raise
            self._by_name = None
            arn = self.by_name().get(desired["name"])
            if arn is None:
                raise
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


def _is_not_found(error):
    return isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") == "ResourceNotFoundException"


def owner_tags():
    """The collection's ownership tag, as a tags dict."""
    return {OWNER_TAG_KEY: OWNER_TAG_VALUE}


def desired_with_owner(spec, purge_tags=True):
    """(desired, purge_tags) for one entry: normalize_desired plus the ownership tag.

    Tags left unset in the model are not managed, except the ownership tag, which is added (purge off);
    tags given are managed as given (purge_tags) with the ownership tag kept.
    """
    desired = normalize_desired(spec)
    if desired["tags"] is None:
        desired["tags"] = owner_tags()
        return desired, False
    desired["tags"] = dict({str(k): str(v) for k, v in desired["tags"].items()}, **owner_tags())
    return desired, purge_tags


def ownership_of(tags):
    """'managed' (carries the ownership tag), 'adopted' (does not) or 'unknown' (tags could not be read)."""
    if tags is None:
        return "unknown"
    return "managed" if tags.get(OWNER_TAG_KEY) == OWNER_TAG_VALUE else "adopted"


def management_refusals(engine, sets, protected_account, label="permission_sets ({name})"):
    """Problems for the permission sets among `sets` ((name, ARN) of each set a run would change, provision or delete)
    that are provisioned to the management account, when the caller is Identity Center's delegated administrator: AWS
    refuses it any change to such a set (AccessDeniedException; IAM Identity Center user guide, "Delegated
    administration"), so the run refuses it first, with why and what to do. Empty when nothing is refused.

    protected_account: a callable (modules.member_caller_of) that returns (caller, management account ID) for a
    delegated administrator and None for the management account; called once, and only when `sets` is not empty; then
    one ListAccountsForProvisionedPermissionSet per set. label: how a set is named in the message ({name}).
    """
    protected = protected_account() if sets and protected_account else None
    if not protected:
        return []
    caller, management = protected
    return [label.format(name=name) + ": " + delegated_refusal(
        caller, management, "changes to a permission set provisioned to the management account", MANAGEMENT_SET_REMEDY)
        for name, arn in sets if management in engine.provisioned_accounts(arn)]


def converge_permission_sets(engine, specs, purge_policies=True, purge_tags=True, provision=True, details=False,
                             protected_account=None, refusal_label="permission_sets ({name})"):
    """Converge a whole list of permission sets in one process; the `permission_sets` module's result (see its
    RETURN) without `api_calls`.

    specs: access-model entries (validated by the caller). Reads: by_name() (ListPermissionSets + one
    DescribePermissionSet per set), then for each set of the model that exists only what the model manages
    (managed policies, customer-managed references, inline policy, boundary), its tags (ownership) and, with
    provision, the accounts lacking its latest version. Writes: creations and updates of every set, in
    parallel, then one ProvisionPermissionSet per set that changed what it grants or that an earlier run left
    unprovisioned (at most three at a time, as AWS allows), each waited for. Raises SsoShiftError before the
    first write for what the endpoint cannot do, and after a phase for the writes that failed.
    With details, each entry of `permission_sets` also has `before` (the state read; {} when new) and `after`.
    protected_account: see management_refusals: a set to change or provision that is provisioned to the management
    account is refused before any write (check mode too) when the caller is a delegated administrator, as AWS refuses
    it; refusal_label names such a set in the message.
    """
    by_name = engine.by_name()
    planned = []
    for spec in specs:
        desired, purge = desired_with_owner(spec, purge_tags)
        planned.append({"name": spec["name"], "desired": desired, "purge_tags": purge, "arn": by_name.get(spec["name"]),
                        "given_tags": spec.get("tags") is not None})
    existing = [p for p in planned if p["arn"]]
    unsupported = []

    # Tags (ownership): the first read tells whether the endpoint has the API at all.
    tags_supported = True
    if existing:
        try:
            existing[0]["tags"] = engine.read_tags(existing[0]["arn"])
        except (ClientError, ResponseParserError) as error:
            if not endpoint_lacks(error):
                raise
            tags_supported = False
            unsupported.append("ListTagsForResource")
    if not tags_supported:
        problems = [f"permission_sets ({p['name']}).tags: the endpoint does not implement ListTagsForResource, so "
                    "the tags cannot be compared" for p in planned if p["given_tags"]]
        fail_if_problems(problems, "permission sets cannot be converged; nothing was changed")
        for item in planned:
            # The ownership tag cannot be checked: not managed, but still given to the sets this run creates.
            item["create_tags"], item["desired"]["tags"] = item["desired"]["tags"], None
    for item in planned:
        item["tags"] = item.get("tags") if tags_supported else None

    def read_one(item):
        desired = item["desired"]
        current = engine.read(item["arn"], with_boundary=desired["permissions_boundary"] is not None,
                              with_tags=False, with_managed=desired["managed_policies"] is not None,
                              with_customer=desired["customer_managed_policies"] is not None,
                              with_inline=desired["inline_policy"] is not None)
        if tags_supported and "tags" not in item:
            item["tags"] = engine.read_tags(item["arn"])
        if tags_supported:
            current["tags"] = item["tags"]
        outdated = sorted(engine.provisioned_accounts(item["arn"], only_outdated=True)) if provision else []
        return current, outdated

    for item, (current, outdated), error in in_parallel(read_one, existing, engine.workers):
        if error is not None:
            raise error
        item["current"], item["outdated"] = current, outdated

    # Plan.
    result = {"changed": False, "permission_sets": [], "created": [], "updated": [], "adopted": [],
              "provisioning": [], "unsupported_reads": unsupported}
    before, after = {}, {}
    for item in planned:
        current = item.get("current")
        item["changes"] = plan_changes(item["desired"], current, purge_policies, item["purge_tags"])
        if current is None:
            item["action"], item["ownership"] = "create", "created"
        else:
            item["action"] = "update" if item["changes"] else "none"
            item["ownership"] = ownership_of(item["tags"])
        if item["ownership"] == "adopted":
            result["adopted"].append(item["name"])
        if item["action"] == "create":
            result["created"].append(item["name"])
        elif item["action"] == "update":
            result["updated"].append(item["name"])
        if item["changes"]:
            before[item["name"]] = {c["attribute"]: c["before"] for c in item["changes"]} if current else {}
            after[item["name"]] = {c["attribute"]: c["after"] for c in item["changes"]}
        entry = {"name": item["name"], "arn": item["arn"], "action": item["action"],
                 "ownership": item["ownership"], "changes": item["changes"]}
        if details:
            entry["before"] = current or {}
            entry["after"] = dict(current or {"name": item["name"], "arn": None},
                                  **{c["attribute"]: c["after"] for c in item["changes"]})
        result["permission_sets"].append(entry)
    if result["adopted"]:
        after["adopted"] = [f"permission set {name} (existed before this run without the {OWNER_TAG_KEY} tag; "
                            "tagged now)" for name in result["adopted"]]
    result["changed"] = bool(result["created"] or result["updated"])
    # A delegated administrator may not change or provision a set provisioned to the management account: refused here.
    changing = [(item["name"], item["arn"]) for item in planned
                if item.get("arn") and (item["action"] == "update" or item.get("outdated"))]
    fail_if_problems(management_refusals(engine, changing, protected_account, refusal_label), "nothing was changed")

    # Write: every creation and update (a set's policies after the set exists), in parallel.
    def write(item):
        if item["action"] == "create":
            item["arn"] = engine.create(dict(item["desired"], tags=item.get("create_tags", item["desired"]["tags"])))
            engine.apply(item["arn"], [c for c in item["changes"] if c["attribute"] != "tags"], None)
        else:
            engine.apply(item["arn"], item["changes"], item["current"])
        return item["arn"]

    to_write = [item for item in planned if item["action"] != "none"]
    if not engine.check_mode:
        failed = [(item, error) for item, dummy, error in in_parallel(write, to_write, engine.workers) if error]
        if failed:
            messages = [f"permission set '{item['name']}': {error}" for item, error in failed]
            raise SsoShiftError(f"{len(failed)} permission set(s) could not be written; the others were (a new run "
                                "continues from here): " + "; ".join(messages), messages)
        for entry, item in zip(result["permission_sets"], planned):
            entry["arn"] = item["arn"]
            if details:
                entry["after"]["arn"] = item["arn"]

    # Provision: sets whose grants changed, and sets an earlier (interrupted) run left unprovisioned somewhere.
    to_provision = []
    for item in planned if provision else []:
        grants_changed = item["action"] == "update" and any(
            c["attribute"] in PROVISIONED_ATTRIBUTES for c in item["changes"])
        if grants_changed:
            accounts = sorted(engine.provisioned_accounts(item["arn"]))
        else:
            accounts = item.get("outdated") or []
        if accounts:
            to_provision.append((item, accounts))
    if engine.check_mode:
        result["provisioning"] = [{"name": item["name"], "status": "WOULD_PROVISION", "accounts": accounts}
                                  for item, accounts in to_provision]
    else:
        outcomes = in_parallel(lambda pair: engine.provision(pair[0]["arn"]), to_provision,
                               MAX_PROVISIONING_IN_FLIGHT)
        for (item, accounts), status, error in outcomes:
            if error is not None:
                status = {"request_id": None, "status": "FAILED", "account_id": None, "failure_reason": str(error)}
            result["provisioning"].append(dict(status, name=item["name"], accounts=accounts))
    result["changed"] = result["changed"] or bool(to_provision)
    result["counts"] = {"created": len(result["created"]), "updated": len(result["updated"]),
                        "unchanged": sum(1 for item in planned if item["action"] == "none"),
                        "adopted": len(result["adopted"]), "provisioned": len(to_provision)}
    result["diff"] = {"before": before, "after": after}
    return result
