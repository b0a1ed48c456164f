# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Account assignments at organisation scale: resolve -> read -> plan -> apply.

An assignment is the triple (account, permission set, principal). The whole desired set is
resolved and validated first (one error listing every unknown name), the current state is
read with the cheapest valid strategy, and the difference is applied within AWS's limits:
at most `max_concurrency` outstanding asynchronous operations and `max_rps` requests per
second, each operation polled until SUCCEEDED or FAILED. A run killed at any point and
started again converges, because every run plans from a fresh read.
"""

import collections
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import paginate
from ansible_collections.ssoshift.identity_center.plugins.module_utils.identity_center import MANAGEMENT_SET_REMEDY
from ansible_collections.ssoshift.identity_center.plugins.module_utils.identity_center import delegated_refusal
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import AccountIndex
from ansible_collections.ssoshift.identity_center.plugins.module_utils.rate_limit import RateLimiter
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import _quote
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import list_problem
from ansible_collections.ssoshift.identity_center.plugins.module_utils.validation import string_problem

Assignment = collections.namedtuple("Assignment", "account_id permission_set_arn principal_type principal_id")

TARGET_KEYS = {"accounts", "ous", "organization", "exclude_accounts", "include_management_account", "recursive"}
ENTRY_KEYS = {"user", "group", "principal_id", "principal_type", "permission_sets", "targets"}


# --------------------------------------------------------------------------- validation (pure)

def is_arn(reference):
    """A permission set given by ARN rather than by name (names cannot contain ':')."""
    return str(reference).startswith("arn:")


def entry_problems(entries):
    """Shape problems of the `assignments` entries, before any name is resolved."""
    problems = []
    for index, entry in enumerate(entries):
        where = f"assignments[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a mapping, got '{entry}'")
            continue
        unknown = sorted(set(k for k, v in entry.items() if v is not None) - ENTRY_KEYS)
        if unknown:
            problems.append(f"{where}: unknown option(s) {', '.join(unknown)}")
        given = [key for key in ("user", "group", "principal_id") if entry.get(key)]
        if len(given) != 1:
            problems.append(f"{where}: give exactly one of user, group or principal_id (got {given or 'none'})")
        for key, what in (("user", "a user name"), ("group", "a group display name"), ("principal_id", "an ID")):
            if entry.get(key) is not None:
                problem = string_problem(entry[key], f"{where}.{key}", what)
                problems.extend([problem] if problem else [])
        if entry.get("principal_id") and entry.get("principal_type") not in ("USER", "GROUP"):
            problems.append(f"{where}.principal_type: must be USER or GROUP with principal_id, "
                            f"got '{entry.get('principal_type')}'")
        sets = entry.get("permission_sets")
        problem = list_problem(sets, f"{where}.permission_sets", "permission set names or ARNs")
        if problem:
            problems.append(problem)
        elif not sets:
            problems.append(f"{where}.permission_sets: at least one permission set name or ARN is needed")
        else:
            problems.extend(f"{where}.permission_sets: each is a permission set name or ARN, got {_quote(s)}"
                            for s in sets if not isinstance(s, str) or not s)
        targets = entry.get("targets")
        if not isinstance(targets, dict) or not any(targets.get(k) for k in ("accounts", "ous", "organization")):
            problems.append(f"{where}.targets: give accounts, ous or organization: true, got '{targets}'")
        else:
            unknown = sorted(set(k for k, v in targets.items() if v is not None) - TARGET_KEYS)
            if unknown:
                problems.append(f"{where}.targets: unknown option(s) {', '.join(unknown)}")
            for key, what in (("accounts", "account names, IDs or 'management'"), ("ous", "OU paths or IDs"),
                              ("exclude_accounts", "account names, IDs or 'management'")):
                problem = list_problem(targets.get(key), f"{where}.targets.{key}", what)
                problems.extend([problem] if problem else [])
    return problems


def principal_label(entry):
    if entry.get("user"):
        return f"user:{entry['user']}"
    if entry.get("group"):
        return f"group:{entry['group']}"
    return f"{(entry.get('principal_type') or '').lower()}:{entry.get('principal_id')}"


# --------------------------------------------------------------------------- organisation targets

class OrganizationTargets:
    """Accounts by name/ID (organizations.AccountIndex) and OUs by path/ID, from describe_organization's view.

    Closed accounts (SUSPENDED, PENDING_CLOSURE, CLOSED, or not activated yet) are never targeted: naming one
    in `accounts` is a problem; OUs and the whole organization skip them, and `skipped` lists them.
    """

    def __init__(self, organization):
        self.index = AccountIndex.from_organization(organization)
        self.management_account_id = self.index.management_account_id
        self.accounts = self.index.accounts
        self.names = {a["id"]: a["name"] for a in self.accounts}
        self.by_id = self.index.by_id
        self.ous = {ou["path"]: ou for ou in organization["organizational_units"]}
        self.ou_ids = {ou["id"]: ou for ou in organization["organizational_units"]}
        self.parents = {ou["id"]: ou["parent_id"] for ou in organization["organizational_units"]}
        self.skipped = {}

    def account_id(self, reference):
        account, problem = self.index.lookup(reference, "account")
        return None if problem else account["id"]

    def under_ou(self, reference, recursive=True):
        """Accounts under an OU (path or ID); None when the OU does not exist."""
        ou = self.ous.get(reference) or self.ou_ids.get(reference)
        if ou is None:
            return None
        found = []
        for account in self.accounts:
            parent = account["parent_id"]
            if parent == ou["id"] or (recursive and self._descends(parent, ou["id"])):
                found.append(account["id"])
        return found

    def _descends(self, node, ancestor):
        while node in self.parents:
            node = self.parents[node]
            if node == ancestor:
                return True
        return False

    def expand(self, targets, where, problems):
        """Account IDs of one entry's targets; problems for unknown or closed accounts and empty results."""
        chosen = []
        for reference in targets.get("accounts") or []:
            account, problem = self.index.lookup(reference, f"{where}.targets.accounts")
            if problem:
                problems.append(problem)
            else:
                chosen.append(account["id"])
        broad = []
        for reference in targets.get("ous") or []:
            found = self.under_ou(reference, targets.get("recursive", True) is not False)
            if found is None:
                problems.append(f"{where}.targets.ous: no organizational unit with path or ID '{reference}'")
            else:
                broad.extend(found)
        if targets.get("organization"):
            broad.extend(a["id"] for a in self.accounts)
        # AWS advises against day-to-day assignments in the management account: broad targets leave it
        # out unless asked; naming it in `accounts` is an explicit choice and is kept.
        if not targets.get("include_management_account"):
            broad = [a for a in broad if a != self.management_account_id]
        for account_id in broad:
            if self.index.is_closed(self.by_id[account_id]):
                self.skipped[account_id] = self.by_id[account_id]
            else:
                chosen.append(account_id)
        excluded = set()
        for reference in targets.get("exclude_accounts") or []:
            account_id = self.index.references.get(str(reference))
            if account_id is None:
                problems.append(f"{where}.targets.exclude_accounts: no account with ID or name '{reference}'")
            else:
                excluded.add(account_id)
        result = sorted(set(chosen) - excluded)
        if not result and not any(p.startswith(where + ".targets") for p in problems):
            problems.append(f"{where}.targets: selects no account")
        return result

    def skipped_accounts(self):
        """[{account_id, account_name, status}] of the closed accounts that OUs or the organization left out."""
        return [{"account_id": a["id"], "account_name": a["name"], "status": a["status"]}
                for a in sorted(self.skipped.values(), key=lambda a: a["name"])]


# --------------------------------------------------------------------------- resolution

def resolve(entries, store, permission_sets, targets, pending=None):
    """(desired set of Assignment, names) for every entry; one SsoShiftError listing every problem.

    store: directory.IdentityStore; permission_sets: {name: arn}; targets: OrganizationTargets.
    With `pending` (a list, in check mode), principals and permission sets that do not exist yet are
    planned under a placeholder ID and listed there instead of failing: the same play may create them
    earlier. Unknown accounts and OUs are always problems.
    """
    problems = entry_problems(entries)
    fail_if_problems(problems, "invalid assignments")
    desired = set()
    names = {"principals": {}, "permission_sets": {arn: name for name, arn in permission_sets.items()},
             "accounts": dict(targets.names)}
    arns = set(permission_sets.values())
    for index, entry in enumerate(entries):
        where = f"assignments[{index}]"
        if entry.get("user") or entry.get("group"):
            kind, name = ("user", entry["user"]) if entry.get("user") else ("group", entry["group"])
            principal_id = store.user_id(name) if kind == "user" else store.group_id(name)
            if principal_id is None and pending is not None:
                principal_id = f"(to be created) {kind}:{name}"
                pending.append(f"{kind} '{name}'")
            elif principal_id is None:
                problems.append(f"{where}.{kind}: '{name}' is not in identity store {store.store_id}")
            principal = (kind.upper(), principal_id)
        else:
            principal = (entry["principal_type"], entry["principal_id"])
        names["principals"][principal] = principal_label(entry)
        sets = []
        for reference in entry["permission_sets"]:
            arn = reference if is_arn(reference) else permission_sets.get(reference)
            if arn is None and pending is not None and not is_arn(reference):
                arn = f"(to be created) {reference}"
                names["permission_sets"][arn] = reference
                pending.append(f"permission set '{reference}'")
            if arn is None or (is_arn(reference) and reference not in arns):
                problems.append(f"{where}.permission_sets: no permission set named '{reference}'")
            else:
                sets.append(arn)
        accounts = targets.expand(entry["targets"], where, problems)
        if principal[1] is None:
            continue
        for account_id in accounts:
            for arn in sets:
                desired.add(Assignment(account_id, arn, principal[0], principal[1]))
    fail_if_problems(problems, "the assignments name things that do not exist")
    return desired, names


# --------------------------------------------------------------------------- the delegated administrator

def management_set_refusals(named, permission_sets, provisioned_accounts, caller, management):
    """Problems for the entries that name a permission set provisioned to the management account, for a caller that is
    Identity Center's delegated administrator: AWS refuses it every assignment of such a set, created or deleted, in
    any account (AccessDeniedException; IAM Identity Center user guide, "Delegated administration").

    named: [(where, permission set references as written)], one per entry; permission_sets: {name: ARN} of the sets
    that exist (references to others are left to resolve()); provisioned_accounts(arn): the accounts a set is
    provisioned to (ListAccountsForProvisionedPermissionSet), asked once per permission set named, not per entry.
    """
    known, provisioned, problems = set(permission_sets.values()), {}, []
    for where, references in named:
        for reference in references if isinstance(references, list) else []:
            if not isinstance(reference, str):
                continue
            arn = reference if is_arn(reference) else permission_sets.get(reference)
            if arn not in known:
                continue
            if arn not in provisioned:
                provisioned[arn] = management in provisioned_accounts(arn)
            if provisioned[arn]:
                problems.append(f"{where}.permission_sets ({reference}): " + delegated_refusal(
                    caller, management, "account assignments (created or deleted, in any account) of a permission set "
                    "provisioned to the management account", MANAGEMENT_SET_REMEDY))
    return problems


# --------------------------------------------------------------------------- planning (pure)

def plan(desired, current, managed_permission_sets, state="present", purge=False):
    """(to_create, to_delete, unchanged), each sorted.

    Only assignments of `managed_permission_sets` are ever deleted: purge never touches a
    permission set this call does not name.
    """
    current = {a for a in current if a.permission_set_arn in managed_permission_sets}
    if state == "absent":
        return [], sorted(desired & current), []
    to_delete = sorted(current - desired) if purge else []
    return sorted(desired - current), to_delete, sorted(desired & current)


# --------------------------------------------------------------------------- reading

def choose_strategy(principals, pairs, purge, principal_api_allowed):
    """'principal' (ListAccountAssignmentsForPrincipal per principal) or 'account'
    (ListAccountAssignments per account and permission set), whichever costs fewer calls.

    purge must see other principals' assignments too, so it reads by account.
    """
    if purge or not principal_api_allowed:
        return "account"
    return "principal" if len(principals) <= len(pairs) else "account"


def _exists(principal_or_arn):
    return not str(principal_or_arn).startswith("(to be created)")


def _listed(sso_admin, operation, **params):
    return {Assignment(item["AccountId"], item["PermissionSetArn"], item["PrincipalType"], item["PrincipalId"])
            for item in paginate(sso_admin, operation, "AccountAssignments", **params)}


def read_by_principal(sso_admin, instance_arn, principals):
    found = set()
    for principal_type, principal_id in principals:
        if _exists(principal_id):
            found |= _listed(sso_admin, "list_account_assignments_for_principal", InstanceArn=instance_arn,
                             PrincipalId=principal_id, PrincipalType=principal_type)
    return found


def read_by_account(sso_admin, instance_arn, pairs):
    found = set()
    for account_id, arn in sorted(pairs):
        if _exists(arn):
            found |= _listed(sso_admin, "list_account_assignments", InstanceArn=instance_arn, AccountId=account_id,
                             PermissionSetArn=arn)
    return found


def read_every(sso_admin, instance_arn, list_principals, pairs, owns_instance):
    """Every assignment of the (account, permission set) `pairs`, whoever holds it: by principal
    (ListAccountAssignmentsForPrincipal for each of list_principals()'s [(USER | GROUP, ID)], every user and group of
    the identity store, then kept to the pairs) where the caller owns the instance and there are fewer principals
    than pairs, else by pair (ListAccountAssignments each). list_principals is called only where the caller owns the
    instance (elsewhere the store is not listed for nothing). AWS answers the principal listing only to the management
    account; a refusal (AccessDeniedException, ValidationException) falls back to the pairs. The principal listing
    cannot show an assignment left behind by a principal deleted from the store (which no one can use)."""
    pairs = set(pairs)
    principals = list_principals() if owns_instance else []
    if choose_strategy(principals, pairs, False, owns_instance) == "principal":
        try:
            return {a for a in read_by_principal(sso_admin, instance_arn, principals)
                    if (a.account_id, a.permission_set_arn) in pairs}
        except is_boto3_error_code(["AccessDeniedException", "ValidationException"]):
            pass
    return read_by_account(sso_admin, instance_arn, pairs)


def provisioned_pairs(sso_admin, instance_arn, permission_set_arns):
    """(account, permission set) for every account each permission set is provisioned to."""
    pairs = set()
    for arn in filter(_exists, permission_set_arns):
        for account_id in paginate(sso_admin, "list_accounts_for_provisioned_permission_set", "AccountIds",
                                   InstanceArn=instance_arn, PermissionSetArn=arn):
            pairs.add((account_id, arn))
    return pairs


def read_current(sso_admin, instance_arn, desired, managed, purge, principal_api_allowed, extra_principals=()):
    """(current assignments relevant to the plan, strategy used)."""
    principals = sorted({(a.principal_type, a.principal_id) for a in desired} | set(extra_principals))
    pairs = {(a.account_id, a.permission_set_arn) for a in desired}
    if purge:
        pairs |= provisioned_pairs(sso_admin, instance_arn, managed)
    strategy = choose_strategy(principals, pairs, purge, principal_api_allowed)
    if strategy == "principal":
        try:
            return read_by_principal(sso_admin, instance_arn, principals), strategy
        except is_boto3_error_code(["AccessDeniedException", "ValidationException"]):
            strategy = "account"  # not the management account after all: read by account
    return read_by_account(sso_admin, instance_arn, pairs), strategy


# --------------------------------------------------------------------------- applying

class Applier:
    """Submits create/delete operations, at most `max_concurrency` outstanding, and polls each."""

    FIRST_POLL = 0.3
    RETRY_POLL = 0.05
    MAX_POLL_INTERVAL = 2.0
    PROBE_EVERY = 8

    def __init__(self, sso_admin, instance_arn, max_concurrency=10, max_rps=20, wait=True, wait_timeout=600,
                 sleep=time.sleep, limiter=None):
        self.client = sso_admin
        self.instance_arn = instance_arn
        self.max_concurrency = max_concurrency
        # A client already attached to the process's rate_limit.ServiceLimits needs no limiter of its own:
        # the module passes RateLimiter(None) then, so no call takes two tokens.
        self.limiter = limiter or RateLimiter(max_rps)
        self.wait = wait
        self.wait_timeout = wait_timeout
        self.sleep = sleep
        self.fastest = None  # shortest completion seen: when to poll a new operation first
        self.started = 0
        self.lock = threading.Lock()

    def _call(self, method, **params):
        """One API call under the rate limit (rate_limit.py); the collection's retry policy (aws_retry) covers throttling,
        conflicts, 5xx and dropped connections (assignment operations are idempotent: AWS keeps one
        assignment per triple, and deleting one that is gone is planned away by the next read)."""
        self.limiter.acquire()
        return getattr(self.client, method)(InstanceArn=self.instance_arn, aws_retry=True, **params)

    def _first_poll(self):
        """When to poll a new operation first.

        Never earlier than the fastest completion seen, which only spends the rate limit; but one
        operation in PROBE_EVERY polls earlier, so the estimate can come down to the real delay.
        """
        if self.fastest is None:
            return self.FIRST_POLL
        with self.lock:
            self.started += 1
            probe = self.started % self.PROBE_EVERY == 0
        return max(self.RETRY_POLL, self.fastest * (0.75 if probe else 1.0))

    def _one(self, action, assignment):
        params = dict(TargetId=assignment.account_id, TargetType="AWS_ACCOUNT",
                      PermissionSetArn=assignment.permission_set_arn, PrincipalType=assignment.principal_type,
                      PrincipalId=assignment.principal_id)
        if action == "create":
            status = self._call("create_account_assignment", **params)["AccountAssignmentCreationStatus"]
            describe, key, request = ("describe_account_assignment_creation_status",
                                      "AccountAssignmentCreationStatus", "AccountAssignmentCreationRequestId")
        else:
            status = self._call("delete_account_assignment", **params)["AccountAssignmentDeletionStatus"]
            describe, key, request = ("describe_account_assignment_deletion_status",
                                      "AccountAssignmentDeletionStatus", "AccountAssignmentDeletionRequestId")
        submitted = time.monotonic()
        delay = self._first_poll()
        polls = 0
        while self.wait and status.get("Status") == "IN_PROGRESS":
            if time.monotonic() - submitted > self.wait_timeout:
                return {"status": "IN_PROGRESS", "request_id": status.get("RequestId"),
                        "failure_reason": f"still IN_PROGRESS after {self.wait_timeout}s"}
            self.sleep(delay)
            polled = time.monotonic() - submitted
            status = self._call(describe, **{request: status["RequestId"]})[key]
            if status.get("Status") == "SUCCEEDED":
                with self.lock:
                    self.fastest = polled if self.fastest is None else min(self.fastest, polled)
            # Not done yet: probably close, so poll again soon, then back off up to MAX_POLL_INTERVAL.
            polls += 1
            delay = min(self.MAX_POLL_INTERVAL, self.RETRY_POLL * 2 ** (polls - 1))
        return {"status": status.get("Status"), "request_id": status.get("RequestId"),
                "failure_reason": status.get("FailureReason")}

    def run(self, operations):
        """operations: [(action, Assignment)] -> [(action, Assignment, result)] in the same order."""
        if not operations:
            return []
        with ThreadPoolExecutor(max_workers=self.max_concurrency) as pool:
            futures = [pool.submit(self._safe, action, assignment) for action, assignment in operations]
            return [(action, assignment, future.result()) for (action, assignment), future in
                    zip(operations, futures)]

    def _safe(self, action, assignment):
        try:
            return self._one(action, assignment)
        except Exception as error:  # pylint: disable=broad-except
            # One operation's failure must not stop the rest: it is reported with the others.
            return {"status": "FAILED", "request_id": None, "failure_reason": str(error)}


def held_removals(create_results, to_delete):
    """Removals to hold back because a creation in the same account and permission set did not succeed:
    removing the old path now could leave someone without access. They are retried on a later run."""
    unsettled = {(a.account_id, a.permission_set_arn) for dummy, a, r in create_results if r["status"] != "SUCCEEDED"}
    return [a for a in to_delete if (a.account_id, a.permission_set_arn) in unsettled]


def failures(items, wait=True):
    """Result items that did not settle. Without wait, IN_PROGRESS was submitted as asked; HELD is deliberate."""
    settled = {"SUCCEEDED", "WOULD_CREATE", "WOULD_DELETE", "HELD"} | (set() if wait else {"IN_PROGRESS"})
    return [item for item in items if item["status"] not in settled]


# --------------------------------------------------------------------------- accounting

class CallCounter:
    """Counts API calls by operation on botocore clients (retries included)."""

    def __init__(self):
        self.counts = collections.Counter()
        self.lock = threading.Lock()

    def attach(self, aws_client):
        raw = getattr(aws_client, "client", aws_client)  # RetryingBotoClientWrapper keeps the client here
        raw.meta.events.register_first("before-call", self._count)
        return aws_client

    def _count(self, model, **kwargs):
        with self.lock:
            self.counts[model.name] += 1

    def summary(self):
        return dict(sorted(self.counts.items()), total=sum(self.counts.values()))


def describe(assignment, names, **extra):
    """An assignment with its names, for results and diffs."""
    principal = (assignment.principal_type, assignment.principal_id)
    view = {
        "account_id": assignment.account_id,
        "account_name": names["accounts"].get(assignment.account_id),
        "permission_set": names["permission_sets"].get(assignment.permission_set_arn,
                                                       assignment.permission_set_arn),
        "permission_set_arn": assignment.permission_set_arn,
        "principal_type": assignment.principal_type,
        "principal_id": assignment.principal_id,
        "principal": names["principals"].get(principal, f"{assignment.principal_type.lower()}:{assignment.principal_id}"),
    }
    view.update(extra)
    return view


def diff_by_account(to_create, to_delete, names):
    """--diff view: per account, the assignments added and removed."""
    before, after = {}, {}
    for assignment in to_delete:
        label = names["accounts"].get(assignment.account_id) or assignment.account_id
        before.setdefault(label, []).append(_short(assignment, names))
    for assignment in to_create:
        label = names["accounts"].get(assignment.account_id) or assignment.account_id
        after.setdefault(label, []).append(_short(assignment, names))
    return {"before": {k: sorted(v) for k, v in sorted(before.items())},
            "after": {k: sorted(v) for k, v in sorted(after.items())}}


def _short(assignment, names):
    principal = names["principals"].get((assignment.principal_type, assignment.principal_id),
                                        assignment.principal_id)
    return f"{principal} -> {names['permission_sets'].get(assignment.permission_set_arn, assignment.permission_set_arn)}"
