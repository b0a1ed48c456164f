"""The assignment engine's pure parts, and the asynchronous AWS behaviour encoded with Stubber."""

from ansible_collections.ssoshift.identity_center.plugins.module_utils import assignments as engine

from .stubbed import stubbed_client

INSTANCE = "arn:aws:sso:::instance/ssoins-1111111111111111"
PS_A = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-aaaaaaaaaaaaaaaa"
PS_B = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-bbbbbbbbbbbbbbbb"
ORG = {
    "organization": {"management_account_id": "000000000000"},
    "organizational_units": [
        {"id": "ou-w", "path": "Workloads", "parent_id": "r-root", "name": "Workloads"},
        {"id": "ou-np", "path": "Workloads/NonProd", "parent_id": "ou-w", "name": "NonProd"},
        {"id": "ou-p", "path": "Workloads/Prod", "parent_id": "ou-w", "name": "Prod"},
    ],
    "accounts": [
        {"id": "000000000000", "name": "management", "parent_id": "r-root", "status": "ACTIVE"},
        {"id": "111111111111", "name": "dev", "parent_id": "ou-np", "status": "ACTIVE"},
        {"id": "222222222222", "name": "staging", "parent_id": "ou-np", "status": "ACTIVE"},
        {"id": "333333333333", "name": "prod", "parent_id": "ou-p", "status": "ACTIVE"},
        {"id": "444444444444", "name": "old", "parent_id": "ou-p", "status": "SUSPENDED"},
        {"id": "555555555555", "name": "shared", "parent_id": "ou-w", "status": "ACTIVE"},
    ],
}


def _expand(targets):
    problems = []
    return engine.OrganizationTargets(ORG).expand(targets, "assignments[0]", problems), problems


def test_ou_targets_are_recursive_unless_told_and_skip_suspended_accounts():
    assert _expand({"ous": ["Workloads"]})[0] == ["111111111111", "222222222222", "333333333333", "555555555555"]
    assert _expand({"ous": ["Workloads"], "recursive": False})[0] == ["555555555555"]
    assert _expand({"ous": ["ou-p"]})[0] == ["333333333333"]  # by ID; the suspended account is left out


def test_management_account_only_when_named_or_asked():
    assert "000000000000" not in _expand({"organization": True})[0]
    assert "000000000000" in _expand({"organization": True, "include_management_account": True})[0]
    assert _expand({"accounts": ["management"]})[0] == ["000000000000"]


def test_exclusions_and_every_unknown_name_are_reported():
    accounts, problems = _expand({"ous": ["Workloads/NonProd", "Nope"], "accounts": ["atlantis"],
                                  "exclude_accounts": ["dev", "ghost"]})
    assert accounts == ["222222222222"]
    assert problems == [
        "assignments[0].targets.accounts: no account with ID or name 'atlantis' in the organization",
        "assignments[0].targets.ous: no organizational unit with path or ID 'Nope'",
        "assignments[0].targets.exclude_accounts: no account with ID or name 'ghost'",
    ]
    assert _expand({"accounts": ["dev"], "exclude_accounts": ["dev"]})[1] == ["assignments[0].targets: selects no account"]


def test_entry_shape_problems():
    problems = engine.entry_problems([
        {"user": "a", "group": "b", "permission_sets": ["X"], "targets": {"accounts": ["dev"]}},
        {"principal_id": "p-1", "permission_sets": ["X"], "targets": {"accounts": ["dev"]}},
        {"group": "g", "permission_sets": [], "targets": {"account": ["dev"]}},
    ])
    assert problems == [
        "assignments[0]: give exactly one of user, group or principal_id (got ['user', 'group'])",
        "assignments[1].principal_type: must be USER or GROUP with principal_id, got 'None'",
        "assignments[2].permission_sets: at least one permission set name or ARN is needed",
        "assignments[2].targets: give accounts, ous or organization: true, got '{'account': ['dev']}'",
    ]


def _a(account, arn=PS_A, principal="g-1"):
    return engine.Assignment(account, arn, "GROUP", principal)


def test_plan_creates_missing_and_purges_only_managed_permission_sets():
    desired = {_a("111111111111"), _a("222222222222")}
    current = {_a("111111111111"), _a("333333333333"), _a("333333333333", PS_B)}
    create, delete, unchanged = engine.plan(desired, current, {PS_A}, purge=False)
    assert (create, delete, unchanged) == ([_a("222222222222")], [], [_a("111111111111")])
    create, delete, unchanged = engine.plan(desired, current, {PS_A}, purge=True)
    assert delete == [_a("333333333333")]  # the PS_B assignment is not this call's to remove
    assert engine.plan(desired, current, {PS_A}, state="absent") == ([], [_a("111111111111")], [])


def test_strategy_is_the_cheaper_valid_read():
    principals = [("GROUP", f"g-{i}") for i in range(40)]
    pairs = {(str(a), p) for a in range(100) for p in range(6)}
    assert engine.choose_strategy(principals, pairs, purge=False, principal_api_allowed=True) == "principal"
    assert engine.choose_strategy(principals, {("1", "x")}, purge=False, principal_api_allowed=True) == "account"
    assert engine.choose_strategy(principals, pairs, purge=False, principal_api_allowed=False) == "account"
    assert engine.choose_strategy(principals, pairs, purge=True, principal_api_allowed=True) == "account"


def test_rate_limiter_spaces_calls():
    now = [0.0]
    waits = []

    def sleep(seconds):
        waits.append(round(seconds, 3))

    limiter = engine.RateLimiter(20, clock=lambda: now[0], sleep=sleep)
    for dummy in range(4):
        limiter.acquire()
    assert waits == [0.05, 0.1, 0.15]


def test_applier_polls_until_done_and_reports_aws_failure_reason():
    # AWS: CreateAccountAssignment answers IN_PROGRESS; the status call later answers FAILED with a reason.
    sso_admin, stubber = stubbed_client("sso-admin")
    request_id = "11111111-2222-3333-4444-555555555555"
    stubber.add_response("create_account_assignment", {"AccountAssignmentCreationStatus": {
        "Status": "IN_PROGRESS", "RequestId": request_id}})
    stubber.add_response("describe_account_assignment_creation_status", {"AccountAssignmentCreationStatus": {
        "Status": "IN_PROGRESS", "RequestId": request_id}},
        {"InstanceArn": INSTANCE, "AccountAssignmentCreationRequestId": request_id})
    stubber.add_response("describe_account_assignment_creation_status", {"AccountAssignmentCreationStatus": {
        "Status": "FAILED", "RequestId": request_id,
        "FailureReason": "Received a 404 status error: Not supported policy arn:aws:iam::aws:policy/Nope."}})
    applier = engine.Applier(sso_admin, INSTANCE, max_concurrency=1, max_rps=1000, sleep=lambda seconds: None)
    [(action, assignment, result)] = applier.run([("create", _a("111111111111"))])
    assert (action, result["status"]) == ("create", "FAILED")
    assert result["failure_reason"].startswith("Received a 404 status error")
    stubber.assert_no_pending_responses()


def test_one_failing_operation_does_not_stop_the_others():
    sso_admin, stubber = stubbed_client("sso-admin")
    stubber.add_client_error("delete_account_assignment", service_error_code="AccessDeniedException",
                             http_status_code=403, service_message="not allowed")
    stubber.add_response("delete_account_assignment", {"AccountAssignmentDeletionStatus": {
        "Status": "SUCCEEDED", "RequestId": "11111111-2222-3333-4444-555555555555"}})
    applier = engine.Applier(sso_admin, INSTANCE, max_concurrency=1, max_rps=1000, sleep=lambda seconds: None)
    results = applier.run([("delete", _a("111111111111")), ("delete", _a("222222222222"))])
    assert [r["status"] for dummy, dummy2, r in results] == ["FAILED", "SUCCEEDED"]
    assert "not allowed" in results[0][2]["failure_reason"]


def test_removals_wait_for_their_replacement_in_the_same_account_and_permission_set():
    create_results = [("create", _a("111111111111", principal="g-new"), {"status": "FAILED"}),
                      ("create", _a("222222222222", principal="g-new"), {"status": "SUCCEEDED"})]
    to_delete = [_a("111111111111", principal="u-old"), _a("222222222222", principal="u-old"),
                 _a("111111111111", PS_B, principal="u-old")]
    assert engine.held_removals(create_results, to_delete) == [_a("111111111111", principal="u-old")]


def test_in_progress_is_a_failure_only_when_waiting():
    items = [{"status": "SUCCEEDED"}, {"status": "IN_PROGRESS"}, {"status": "HELD"}, {"status": "FAILED"}]
    assert engine.failures(items, wait=True) == [{"status": "IN_PROGRESS"}, {"status": "FAILED"}]
    assert engine.failures(items, wait=False) == [{"status": "FAILED"}]


def test_polling_backs_off_after_the_first_quick_retry():
    sso_admin, stubber = stubbed_client("sso-admin")
    request_id = "11111111-2222-3333-4444-555555555555"
    stubber.add_response("create_account_assignment", {"AccountAssignmentCreationStatus": {
        "Status": "IN_PROGRESS", "RequestId": request_id}})
    for dummy in range(6):
        stubber.add_response("describe_account_assignment_creation_status", {"AccountAssignmentCreationStatus": {
            "Status": "IN_PROGRESS", "RequestId": request_id}})
    stubber.add_response("describe_account_assignment_creation_status", {"AccountAssignmentCreationStatus": {
        "Status": "SUCCEEDED", "RequestId": request_id}})
    sleeps = []
    applier = engine.Applier(sso_admin, INSTANCE, max_concurrency=1, max_rps=1000, sleep=sleeps.append)
    applier.run([("create", _a("111111111111"))])
    assert sleeps == [0.3, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6]


def test_a_dropped_connection_is_retried():
    # AWS (and any network) can close a connection before answering; the operation is idempotent, and the
    # collection's retry policy (aws_retry=True) repeats it.
    import botocore.exceptions
    from unittest import mock

    from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
    from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import retry_decorator

    sso_admin, stubber = stubbed_client("sso-admin")
    stubber.add_response("create_account_assignment", {"AccountAssignmentCreationStatus": {
        "Status": "SUCCEEDED", "RequestId": "11111111-2222-3333-4444-555555555555"}})
    calls = []

    class DropsFirstCall:
        def __getattr__(self, name):
            def call(**kwargs):
                calls.append(name)
                if len(calls) == 1:
                    raise botocore.exceptions.ConnectionClosedError(endpoint_url="http://127.0.0.1:1/")
                return getattr(sso_admin.client, name)(**kwargs)
            return call

    client = RetryingBotoClientWrapper(DropsFirstCall(), retry_decorator())
    applier = engine.Applier(client, INSTANCE, max_concurrency=1, max_rps=1000, sleep=lambda seconds: None)
    with mock.patch("time.sleep"):
        [(dummy, dummy2, result)] = applier.run([("create", _a("111111111111"))])
    assert result["status"] == "SUCCEEDED"
    assert calls == ["create_account_assignment", "create_account_assignment"]


# --------------------------------------------------------------------------- rows 38-39: the delegated administrator

def test_entries_naming_a_set_provisioned_to_the_management_account_are_refused_one_read_per_set():
    asked = []

    def provisioned_accounts(arn):
        asked.append(arn)
        return ["000000000000", "333333333333"] if arn == PS_A else ["111111111111"]

    named = [("assignments[0] (group:admins)", ["Admin", "Dev"]), ("assignments[1] (user:alice)", [PS_A]),
             ("assignments[2] (user:bob)", ["Admin", "NotYet", "(to be created) X"]), ("assignments[3] (user:eve)", None)]
    problems = engine.management_set_refusals(named, {"Admin": PS_A, "Dev": PS_B}, provisioned_accounts,
                                              "111111111111", "000000000000")
    assert asked == [PS_A, PS_B]  # once per permission set named, not per entry
    assert [p.split(": the caller")[0] for p in problems] == ["assignments[0] (group:admins).permission_sets (Admin)",
                                                              f"assignments[1] (user:alice).permission_sets ({PS_A})",
                                                              "assignments[2] (user:bob).permission_sets (Admin)"]
    assert problems[0].endswith(
        "(Admin): the caller (111111111111) is a delegated administrator of IAM Identity Center, not the management "
        "account (000000000000): AWS refuses account assignments (created or deleted, in any account) of a permission "
        "set provisioned to the management account from a delegated administrator; make this change from the "
        "management account, or remove the set's assignments in the management account first")


INSTANCE = "arn:aws:sso:::instance/ssoins-1111111111111111"
SET_A = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-aaaaaaaaaaaaaaaa"
SET_B = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-bbbbbbbbbbbbbbbb"
GROUP = "11111111-2222-3333-4444-555555555555"


def _item(account, arn, principal=GROUP, kind="GROUP"):
    return {"AccountId": account, "PermissionSetArn": arn, "PrincipalType": kind, "PrincipalId": principal}


def test_read_every_lists_by_principal_where_cheaper_and_keeps_only_the_pairs_asked():
    sso, stubber = stubbed_client("sso-admin")
    stubber.add_response("list_account_assignments_for_principal", {"AccountAssignments": [
        _item("111111111111", SET_A), _item("222222222222", SET_A), _item("111111111111", SET_B)]},
        {"InstanceArn": INSTANCE, "PrincipalId": GROUP, "PrincipalType": "GROUP"})
    pairs = {("111111111111", SET_A), ("222222222222", SET_A), ("333333333333", SET_A)}
    found = engine.read_every(sso, INSTANCE, lambda: [("GROUP", GROUP)], pairs, owns_instance=True)
    assert {(a.account_id, a.permission_set_arn) for a in found} == {("111111111111", SET_A), ("222222222222", SET_A)}
    stubber.assert_no_pending_responses()


def test_read_every_falls_back_to_the_pairs_when_aws_refuses_the_principal_listing():
    sso, stubber = stubbed_client("sso-admin")
    stubber.add_client_error("list_account_assignments_for_principal", service_error_code="AccessDeniedException",
                             http_status_code=400)
    for account in ("111111111111", "222222222222"):
        stubber.add_response("list_account_assignments", {"AccountAssignments": [_item(account, SET_A)]},
                             {"InstanceArn": INSTANCE, "AccountId": account, "PermissionSetArn": SET_A})
    pairs = {("111111111111", SET_A), ("222222222222", SET_A)}
    found = engine.read_every(sso, INSTANCE, lambda: [("GROUP", GROUP)], pairs, owns_instance=True)
    assert {a.account_id for a in found} == {"111111111111", "222222222222"}
    stubber.assert_no_pending_responses()


def test_read_every_reads_by_pair_when_the_caller_does_not_own_the_instance():
    sso, stubber = stubbed_client("sso-admin")
    stubber.add_response("list_account_assignments", {"AccountAssignments": [_item("111111111111", SET_A)]},
                         {"InstanceArn": INSTANCE, "AccountId": "111111111111", "PermissionSetArn": SET_A})

    def list_principals():
        raise AssertionError("the identity store was listed although the caller does not own the instance")

    found = engine.read_every(sso, INSTANCE, list_principals, {("111111111111", SET_A)}, owns_instance=False)
    assert len(found) == 1
    stubber.assert_no_pending_responses()
