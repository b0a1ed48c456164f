#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: account_assignments
short_description: Reconcile IAM Identity Center account assignments in bulk, at organisation scale
version_added: 1.0.0
description:
  - Declares which users and groups get which permission sets in which accounts, for a whole list of
    entries in one module process, and makes the current state match.
  - Plan first. Every name is resolved (users, groups, permission sets, accounts, OU paths) and every
    problem is reported in one error before any change. Check mode returns the plan; C(--diff) shows it per account.
    In check mode a user, group or permission set that does not exist yet is planned with a warning (an earlier
    task of the play may create it); unknown accounts and OUs are always errors.
  - The current state is read with the cheaper valid strategy, C(principal)
    (C(ListAccountAssignmentsForPrincipal) per principal, from the instance's management account) or
    C(account) (C(ListAccountAssignments) per account and permission set); the result says which.
  - Changes are applied within AWS's limits, at most I(max_concurrency) outstanding asynchronous operations and
    I(max_requests_per_second), and each is polled until C(SUCCEEDED) or C(FAILED). Throttling and
    C(ConflictException) are retried with jittered backoff. A C(FAILED) operation is reported with AWS's
    reason and fails the task after the rest has been applied.
  - New assignments are made before obsolete ones are removed, so nobody loses access in between. A removal
    whose replacement (same account and permission set) failed is held for a later run and reported C(HELD).
  - Safe to interrupt. Each run plans from a fresh read, so a run killed at any point and started again
    converges to exactly the desired state.
  - From IAM Identity Center's delegated administrator, what AWS refuses there is refused before any write (check mode
    too), naming the entry, why and what to do - an entry whose targets include the management account, and an entry
    that names a permission set provisioned to the management account (whose assignments, in any account, only the
    management account may create or delete). The latter costs one C(ListAccountsForProvisionedPermissionSet) per
    permission set named, made only when the caller is not the instance's owner.
options:
  assignments:
    description: The desired assignments.
    type: list
    elements: dict
    required: true
    suboptions:
      user:
        description: User name of the principal.
        type: str
      group:
        description: Display name of the principal group.
        type: str
      principal_id:
        description: ID of the principal, with I(principal_type), instead of I(user) or I(group).
        type: str
      principal_type:
        description: C(USER) or C(GROUP), with I(principal_id).
        type: str
        choices: [USER, GROUP]
      permission_sets:
        description: Permission set names or ARNs.
        type: list
        elements: str
        required: true
      targets:
        description:
          - Where. C(accounts) (IDs, Organizations names, or C(management)), C(ous) (paths such as
            C(Workloads/Prod) or OU IDs; recursive unless C(recursive=false)), C(organization=true) (every
            active account), C(exclude_accounts).
          - The management account is left out of C(ous) and C(organization) targets, as AWS advises against
            day-to-day access there, unless C(include_management_account=true); naming it in C(accounts)
            always assigns it.
        type: dict
        required: true
  state:
    description: C(present) makes the assignments; C(absent) removes them.
    type: str
    default: present
    choices: [present, absent]
  purge:
    description:
      - Remove existing assignments that are not desired, only for the permission sets this call names;
        assignments of any other permission set are never touched.
    type: bool
    default: false
  wait:
    description:
      - Wait for every operation to reach C(SUCCEEDED) or C(FAILED).
      - With C(false), operations are submitted and reported C(IN_PROGRESS); removals are not held back for
        their replacements then.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for one operation.
    type: int
    default: 600
  max_concurrency:
    description: Outstanding asynchronous operations at most (AWS allows 10).
    type: int
    default: 10
  max_requests_per_second:
    description:
      - Identity Center calls per second at most, reads and writes together, and identity store calls per second
        for each identity store operation. AWS's published rate is 20 for both.
      - The process's one rate limiter (shared by every engine of the collection) runs at this rate.
    type: int
    default: 20
author:
  - ssoshift contributors (@ssoshift)
extends_documentation_fragment:
  - ssoshift.identity_center.instance
  - ssoshift.identity_center.instance.identity_store
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Admins everywhere, developers in non-production, read-only in production
  ssoshift.identity_center.account_assignments:
    assignments:
      - group: platform-admins
        permission_sets: [AdministratorAccess]
        targets: {accounts: [management, dev, staging, prod]}
      - group: developers
        permission_sets: [DeveloperAccess]
        targets: {ous: [Workloads/NonProd]}
      - group: developers
        permission_sets: [ReadOnlyAccess]
        targets: {organization: true, exclude_accounts: [prod-payments]}

- name: Exactly these DeveloperAccess assignments, nothing else with that permission set
  ssoshift.identity_center.account_assignments:
    purge: true
    assignments:
      - group: developers
        permission_sets: [DeveloperAccess]
        targets: {ous: [Workloads/NonProd]}
"""

RETURN = r"""
counts:
  description: How many assignments were created, deleted, left unchanged and failed (or would be, in check mode).
  returned: always
  type: dict
  sample: {"created": 12, "deleted": 1, "unchanged": 3054, "failed": 0}
  contains:
    created:
      description: Assignments created.
      type: int
    deleted:
      description: Assignments deleted.
      type: int
    unchanged:
      description: Assignments already as wanted.
      type: int
    failed:
      description: Operations that did not succeed (the items of C(failures)).
      type: int
created:
  description: Assignments created, with names (C(account_name), C(permission_set), C(principal)) and C(status).
  returned: always
  type: list
  elements: dict
  contains:
    account_id:
      description: Account ID.
      type: str
    account_name:
      description: Account name.
      type: str
    permission_set:
      description: Permission set name.
      type: str
    permission_set_arn:
      description: Permission set ARN.
      type: str
    principal_type:
      description: C(USER) or C(GROUP).
      type: str
    principal_id:
      description: Principal ID.
      type: str
    principal:
      description: C(user:NAME) or C(group:NAME).
      type: str
    status:
      description:
        - AWS's status of the operation (C(SUCCEEDED), C(FAILED), C(IN_PROGRESS)); C(WOULD_CREATE) or C(WOULD_DELETE)
          in check mode; C(HELD) for a removal held back because its replacement did not succeed.
      type: str
    request_id:
      description: AWS's request ID of the operation; null when it was not submitted.
      returned: when the operation was submitted (not in check mode)
      type: str
    failure_reason:
      description: Why the operation failed or is not done; null when it succeeded.
      returned: when the operation was submitted or held
      type: str
deleted:
  description: Assignments deleted, in the same form.
  returned: always
  type: list
  elements: dict
  contains:
    account_id:
      description: Account ID.
      type: str
    account_name:
      description: Account name.
      type: str
    permission_set:
      description: Permission set name.
      type: str
    permission_set_arn:
      description: Permission set ARN.
      type: str
    principal_type:
      description: C(USER) or C(GROUP).
      type: str
    principal_id:
      description: Principal ID.
      type: str
    principal:
      description: C(user:NAME) or C(group:NAME).
      type: str
    status:
      description:
        - AWS's status of the operation (C(SUCCEEDED), C(FAILED), C(IN_PROGRESS)); C(WOULD_CREATE) or C(WOULD_DELETE)
          in check mode; C(HELD) for a removal held back because its replacement did not succeed.
      type: str
    request_id:
      description: AWS's request ID of the operation; null when it was not submitted.
      returned: when the operation was submitted (not in check mode)
      type: str
    failure_reason:
      description: Why the operation failed or is not done; null when it succeeded.
      returned: when the operation was submitted or held
      type: str
failures:
  description: Operations that failed, with AWS's C(failure_reason).
  returned: always
  type: list
  elements: dict
  contains:
    account_id:
      description: Account ID.
      type: str
    account_name:
      description: Account name.
      type: str
    permission_set:
      description: Permission set name.
      type: str
    permission_set_arn:
      description: Permission set ARN.
      type: str
    principal_type:
      description: C(USER) or C(GROUP).
      type: str
    principal_id:
      description: Principal ID.
      type: str
    principal:
      description: C(user:NAME) or C(group:NAME).
      type: str
    status:
      description:
        - AWS's status of the operation (C(SUCCEEDED), C(FAILED), C(IN_PROGRESS)); C(WOULD_CREATE) or C(WOULD_DELETE)
          in check mode; C(HELD) for a removal held back because its replacement did not succeed.
      type: str
    request_id:
      description: AWS's request ID of the operation; null when it was not submitted.
      returned: when the operation was submitted (not in check mode)
      type: str
    failure_reason:
      description: Why the operation failed or is not done; null when it succeeded.
      returned: when the operation was submitted or held
      type: str
strategy:
  description: How the current state was read, C(principal) or C(account).
  returned: always
  type: str
api_calls:
  description: AWS API calls made, by operation, and C(total).
  returned: always
  type: dict
  sample: {"ListAccountAssignmentsForPrincipal": 40, "CreateAccountAssignment": 12, "total": 131}
  contains:
    total:
      description: All calls, retries included; the other keys are the API operation names, each with its count.
      type: int
skipped_accounts:
  description: Closed accounts (C(SUSPENDED), C(PENDING_CLOSURE), C(CLOSED)) or accounts not activated yet that an OU or
    the organization target left out. Naming such an account in C(targets.accounts) is an error instead.
  returned: always
  type: list
  elements: dict
  contains:
    account_id:
      description: Account ID.
      type: str
    account_name:
      description: Account name.
      type: str
    status:
      description: The account's state.
      type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils import assignments as engine
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.directory import IdentityStore
from ansible_collections.ssoshift.identity_center.plugins.module_utils.identity_center import delegated_refusal
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import discover
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import DIRECTORY_OPTIONS
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import describe_organization
from ansible_collections.ssoshift.identity_center.plugins.module_utils.permission_sets import PermissionSets
from ansible_collections.ssoshift.identity_center.plugins.module_utils import rate_limit


def option_problems(params):
    problems = engine.entry_problems(params["assignments"])
    if not 1 <= params["max_concurrency"] <= 10:
        problems.append(f"max_concurrency: must be 1 to 10 (AWS's limit of outstanding operations), "
                        f"got {params['max_concurrency']}")
    if params["max_requests_per_second"] < 1:
        problems.append(f"max_requests_per_second: must be 1 or more, got {params['max_requests_per_second']}")
    return problems


def reconcile(module):
    params = module.params
    fail_if_problems(option_problems(params), "invalid options")
    counter = engine.CallCounter()
    # One rate limiter for every Identity Center and identity store call of the process (rate_limit.py).
    limits = rate_limit.shared(params["max_requests_per_second"], params["max_requests_per_second"])
    sso_admin = limits.attach(counter.attach(client(module, "sso-admin")))
    identitystore = limits.attach(counter.attach(client(module, "identitystore")))
    organizations = counter.attach(client(module, "organizations"))
    sts = counter.attach(client(module, "sts"))

    instance = discover(module, sso_admin)[0]
    instance_arn = instance["InstanceArn"]
    store = IdentityStore(identitystore, params["identity_store_id"] or instance["IdentityStoreId"])
    # Many principals: list the store (100 a page) instead of one GetUserId / GetGroupId each.
    store.prefetch([e["user"] for e in params["assignments"] if e.get("user")],
                   [e["group"] for e in params["assignments"] if e.get("group")])
    targets = engine.OrganizationTargets(describe_organization(organizations))
    sets_engine = PermissionSets(sso_admin, instance_arn)
    permission_sets = sets_engine.by_name()
    pending = [] if module.check_mode else None
    desired, names = engine.resolve(params["assignments"], store, permission_sets, targets, pending)
    if pending:
        module.warn("check mode: planned as if these existed, as an earlier task of the play would create them: "
                    + ", ".join(sorted(set(pending))))

    caller_account = sts.get_caller_identity(aws_retry=True)["Account"]
    management = targets.management_account_id
    owns_instance = caller_account == instance.get("OwnerAccountId")
    if caller_account != management:
        # The delegated administrator: AWS refuses it assignments in the management account, and every assignment of a
        # set provisioned there (one ListAccountsForProvisionedPermissionSet per set named, on this path only).
        refusals = []
        for position, entry in enumerate(params["assignments"]):
            if management in targets.expand(entry["targets"], f"assignments[{position}]", []):
                refusals.append(f"assignments[{position}] ({engine.principal_label(entry)}).targets: "
                                + delegated_refusal(caller_account, management,
                                                    "account assignments in the management account",
                                                    "leave the management account out of this entry (drop it from "
                                                    "targets.accounts, or include_management_account: false) or run "
                                                    "it from the management account"))
        if not owns_instance:
            refusals += engine.management_set_refusals(
                [(f"assignments[{position}] ({engine.principal_label(entry)})", entry["permission_sets"])
                 for position, entry in enumerate(params["assignments"])],
                permission_sets, sets_engine.provisioned_accounts, caller_account, management)
        fail_if_problems(refusals, "nothing was changed")
    managed = {a.permission_set_arn for a in desired} | {
        permission_sets[ref] for entry in params["assignments"] for ref in entry["permission_sets"] if ref in permission_sets}
    current, strategy = engine.read_current(sso_admin, instance_arn, desired, managed, params["purge"],
                                            owns_instance)
    to_create, to_delete, unchanged = engine.plan(desired, current, managed, params["state"], params["purge"])

    for assignment in to_delete:
        key = (assignment.principal_type, assignment.principal_id)
        if key not in names["principals"]:
            names["principals"][key] = store.principal_label(*key)

    results = {"create": [], "delete": []}
    if not module.check_mode:
        applier = engine.Applier(sso_admin, instance_arn, params["max_concurrency"],
                                 params["max_requests_per_second"], params["wait"], params["wait_timeout"],
                                 limiter=rate_limit.RateLimiter(None))  # the client is limited already
        # Additions first: nobody loses access between the removal of an old path and the new one.
        results["create"] = applier.run([("create", a) for a in to_create])
        held = engine.held_removals(results["create"], to_delete) if params["wait"] else []
        results["delete"] = applier.run([("delete", a) for a in to_delete if a not in held])
        created = [engine.describe(a, names, **r) for dummy, a, r in results["create"]]
        deleted = [engine.describe(a, names, **r) for dummy, a, r in results["delete"]] + [
            engine.describe(a, names, status="HELD", failure_reason="its replacement in this account and "
                            "permission set did not succeed; removed on a later run") for a in held]
    else:
        created = [engine.describe(a, names, status="WOULD_CREATE") for a in to_create]
        deleted = [engine.describe(a, names, status="WOULD_DELETE") for a in to_delete]

    failures = engine.failures(created + deleted, params["wait"])
    return dict(
        changed=bool(to_create or to_delete),
        counts={"created": len(to_create), "deleted": len(to_delete), "unchanged": len(unchanged),
                "failed": len(failures)},
        created=created, deleted=deleted, failures=failures, strategy=strategy, api_calls=counter.summary(),
        diff=engine.diff_by_account(to_create, to_delete, names), skipped_accounts=targets.skipped_accounts(),
    )


def main():
    argument_spec = dict(
        assignments=dict(type="list", elements="dict", required=True, options=dict(
            user=dict(type="str"),
            group=dict(type="str"),
            principal_id=dict(type="str"),
            principal_type=dict(type="str", choices=["USER", "GROUP"]),
            permission_sets=dict(type="list", elements="str", required=True),
            targets=dict(type="dict", required=True),
        )),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        purge=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
        max_concurrency=dict(type="int", default=10),
        max_requests_per_second=dict(type="int", default=20),
        **DIRECTORY_OPTIONS,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    result = run(module, lambda: reconcile(module), "Failed to reconcile account assignments")
    if result["failures"]:
        reasons = "; ".join(f"{f['principal']} {f['permission_set']} in {f['account_name'] or f['account_id']}: "
                            f"{f['failure_reason']}" for f in result["failures"][:20])
        module.fail_json(msg=f"{len(result['failures'])} assignment operation(s) failed after the rest were applied: "
                             f"{reasons}", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
