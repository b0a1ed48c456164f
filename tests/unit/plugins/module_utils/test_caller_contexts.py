"""Rows of docs/caller-contexts.md the sandbox cannot model, and the one error path every module shares, with AWS's
answers encoded through botocore's Stubber (codes and HTTP statuses from each call's API reference)."""

import pytest
from botocore.exceptions import ClientError
from botocore.exceptions import ConnectTimeoutError

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.ssoshift.identity_center.plugins.module_utils import modules
from ansible_collections.ssoshift.identity_center.plugins.module_utils import posture
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import PartialFailure
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.oidc_provider import plan_changes
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import administrator_read
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import member_caller
from ansible_collections.ssoshift.identity_center.plugins.module_utils.root_access import ensure_root_access

from .stubbed import stubbed_client

MANAGEMENT = "123456789012"
MEMBER = "210987654321"
ORGANIZATION = {"Organization": {"Id": "o-abcdefghij", "Arn": f"arn:aws:organizations::{MANAGEMENT}:organization/o-abcdefghij",
                                 "FeatureSet": "ALL", "MasterAccountId": MANAGEMENT,
                                 "MasterAccountArn": f"arn:aws:organizations::{MANAGEMENT}:account/o-abcdefghij/{MANAGEMENT}",
                                 "MasterAccountEmail": "root@example.com"}}
REPORT = (b"user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
          b"password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
          b"access_key_1_last_used_date,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date\n"
          b"<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,N/A,not_supported,"
          b"not_supported,true,false,N/A,N/A,false,N/A,N/A\n")


def _identity(account):
    return {"UserId": "AIDAEXAMPLE", "Account": account, "Arn": f"arn:aws:iam::{account}:user/operator"}


# --------------------------------------------------------------------------- row 19: the credential report

def _posture_reads(iam, account, report_answers):
    """Stub one account's posture reads (gather_account) around the credential report's answers."""
    iam.add_response("get_account_summary", {"SummaryMap": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0}})
    for method, answer in report_answers:
        if isinstance(answer, tuple):
            iam.add_client_error(method, service_error_code=answer[0], http_status_code=answer[1])
        else:
            iam.add_response(method, answer)
    iam.add_response("list_virtual_mfa_devices", {"VirtualMFADevices": []}, {"AssignmentStatus": "Assigned"})
    iam.add_client_error("get_account_password_policy", service_error_code="NoSuchEntity", http_status_code=404)
    iam.add_response("list_users", {"Users": []})
    account.add_client_error("get_alternate_contact", service_error_code="ResourceNotFoundException",
                             http_status_code=404)


@pytest.mark.parametrize("report_answers, reason", [
    # GetCredentialReport (IAM API reference): ReportInProgress 404, ReportExpired 410, ReportNotPresent 410;
    # GenerateCredentialReport: LimitExceeded 409.
    ([("generate_credential_report", {"State": "COMPLETE"}), ("get_credential_report", ("ReportInProgress", 404))],
     "still being generated (ReportInProgress)"),
    ([("generate_credential_report", {"State": "COMPLETE"}), ("get_credential_report", ("ReportExpired", 410))],
     "had expired before it was read (ReportExpired)"),
    ([("generate_credential_report", {"State": "COMPLETE"}), ("get_credential_report", ("ReportNotPresent", 410))],
     "no credential report to return (ReportNotPresent)"),
    ([("generate_credential_report", ("LimitExceeded", 409))], "refused to generate a credential report"),
])
def test_row_19_a_credential_report_iam_will_not_give_makes_its_checks_unknown_and_the_others_are_read(
        report_answers, reason):
    iam, iam_stub = stubbed_client("iam")
    account, account_stub = stubbed_client("account")
    _posture_reads(iam_stub, account_stub, report_answers)
    facts = posture.gather_account(iam, account)
    iam_stub.assert_no_pending_responses()
    assert facts["credential_report"] is None and reason in facts["unknown"]["credential_report"]
    facts.update(organizations_features=["RootCredentialsManagement", "RootSessions"],
                 identity_center_instances=["arn:aws:sso:::instance/ssoins-1"])
    checks = {check["id"]: check for check in posture.assess(facts)}
    for check_id in ("no_console_users", "no_active_access_keys", "no_unused_credentials"):
        assert checks[check_id]["status"] == "unknown" and reason in checks[check_id]["evidence"]["reason"]
    assert checks["root_mfa"]["status"] == "pass" and checks["password_policy"]["status"] == "fail"


def test_row_19_a_credential_report_that_never_completes_is_an_sso_shift_error_never_a_timeout_error():
    iam, stub = stubbed_client("iam")
    for dummy in range(3):
        stub.add_response("generate_credential_report", {"State": "INPROGRESS"})
    ticks = iter([0, 10, 40, 61])  # the deadline (60 s) passes on the third answer
    with pytest.raises(SsoShiftError, match="the IAM credential report was not ready after 60s") as raised:
        posture._credential_report(iam, timeout=60, sleep=lambda seconds: None, clock=lambda: next(ticks))
    assert not isinstance(raised.value, TimeoutError)
    stub.assert_no_pending_responses()


def test_row_19_a_report_that_completes_is_read():
    iam, stub = stubbed_client("iam")
    stub.add_response("generate_credential_report", {"State": "STARTED"})
    stub.add_response("generate_credential_report", {"State": "COMPLETE"})
    stub.add_response("get_credential_report", {"Content": REPORT, "ReportFormat": "text/csv"})
    rows = posture._credential_report(iam, sleep=lambda seconds: None)
    assert [row["user"] for row in rows] == ["<root_account>"] and rows[0]["mfa_active"] is True


# --------------------------------------------------------------------------- rows 16 and 31: organisation-level facts

def test_rows_16_31_a_member_account_that_sees_no_instance_gets_unknown_not_fail():
    iam, iam_stub = stubbed_client("iam")
    sso, sso_stub = stubbed_client("sso-admin")
    iam_stub.add_client_error("list_organizations_features",
                              service_error_code="AccountNotManagementOrDelegatedAdministratorException")
    sso_stub.add_response("list_instances", {"Instances": []})
    facts = posture.gather_organization(iam, sso)
    assert facts["organizations_features"] is None and facts["identity_center_instances"] is None
    assert "does not administer IAM Identity Center" in facts["unknown"]["identity_center_instances"]


def test_rows_16_31_the_management_account_without_an_instance_fails_identity_center_in_use():
    # ServiceAccessNotEnabledException answers the management account only (a member gets AccountNotManagement...):
    # an empty ListInstances there means no instance.
    iam, iam_stub = stubbed_client("iam")
    sso, sso_stub = stubbed_client("sso-admin")
    iam_stub.add_client_error("list_organizations_features", service_error_code="ServiceAccessNotEnabledException")
    sso_stub.add_response("list_instances", {"Instances": []})
    facts = posture.gather_organization(iam, sso)
    assert facts["organizations_features"] == [] and facts["identity_center_instances"] == []
    assert "ServiceAccessNotEnabledException" in facts["unknown"]["organizations_features"]


# --------------------------------------------------------------------------- rows 3, 5-10: Organizations' reads

def test_rows_3_to_10_an_organizations_read_refused_says_who_may_make_it():
    organizations, stub = stubbed_client("organizations")
    stub.add_client_error("list_accounts", service_error_code="AccessDeniedException")
    with pytest.raises(SsoShiftError) as raised:
        administrator_read(organizations, "list_accounts", "Accounts", MANAGEMENT)
    assert str(raised.value).startswith(
        f"AWS Organizations refused ListAccounts (AccessDeniedException): it answers only the management account "
        f"({MANAGEMENT}) and delegated administrators.")
    assert "allow organizations:ListAccounts in their IAM policy" in str(raised.value)


def test_rows_3_to_10_other_organizations_errors_stay_aws_errors():
    organizations, stub = stubbed_client("organizations")
    stub.add_client_error("list_roots", service_error_code="AWSOrganizationsNotInUseException")
    with pytest.raises(ClientError):
        administrator_read(organizations, "list_roots", "Roots", MANAGEMENT)


@pytest.mark.parametrize("caller, expected", [(MANAGEMENT, None), (MEMBER, (MEMBER, MANAGEMENT))])
def test_member_caller_tells_a_member_account_from_the_management_account(caller, expected):
    organizations, org_stub = stubbed_client("organizations")
    sts, sts_stub = stubbed_client("sts")
    org_stub.add_response("describe_organization", ORGANIZATION)
    sts_stub.add_response("get_caller_identity", _identity(caller))
    assert member_caller(organizations, sts) == expected


def test_member_caller_outside_any_organization_is_none_without_asking_sts():
    organizations, org_stub = stubbed_client("organizations")
    sts, sts_stub = stubbed_client("sts")
    org_stub.add_client_error("describe_organization", service_error_code="AWSOrganizationsNotInUseException")
    assert member_caller(organizations, sts) is None
    sts_stub.assert_no_pending_responses()


# --------------------------------------------------------------------------- rows 17-18: root access features

def test_rows_17_18_a_change_from_a_member_account_is_refused_before_any_write_check_mode_too():
    for check_mode in (False, True):
        iam, stub = stubbed_client("iam")
        stub.add_response("list_organizations_features", {"EnabledFeatures": ["RootCredentialsManagement",
                                                                              "RootSessions"]})
        asked = []
        with pytest.raises(SsoShiftError, match=f"the caller \\({MEMBER}\\) is not the management account "
                                                f"\\({MANAGEMENT}\\); only the management account can disable "
                                                "RootCredentialsManagement and RootSessions"):
            ensure_root_access(iam, ["RootCredentialsManagement", "RootSessions"], "absent", check_mode,
                               member_caller=lambda: asked.append(1) or (MEMBER, MANAGEMENT))
        assert asked == [1]
        stub.assert_no_pending_responses()  # a disable call would have had no answer


def test_rows_17_18_nothing_to_change_asks_nobody():
    iam, stub = stubbed_client("iam")
    stub.add_response("list_organizations_features", {"EnabledFeatures": ["RootSessions"]})

    def never():
        raise AssertionError("the caller's context is read only when there is something to change")

    assert ensure_root_access(iam, ["RootSessions"], member_caller=never)["changed"] is False


def test_row_17_callers_is_not_management_account_still_says_what_to_do():
    # Without the up-front check (member_caller not given), AWS's answer to IAM's delegated administrator is explained.
    iam, stub = stubbed_client("iam")
    stub.add_response("list_organizations_features", {"EnabledFeatures": []})
    stub.add_client_error("enable_organizations_root_sessions", service_error_code="CallerIsNotManagementAccountException")
    with pytest.raises(SsoShiftError, match="IAM delegated administrator, which can read these features but not "
                                            "change them"):
        ensure_root_access(iam, ["RootSessions"])


# --------------------------------------------------------------------------- tags (rows 25-26, 28)

def test_oidc_provider_tags_compared_with_compare_aws_tags_never_purge_aws_reserved_tags():
    before = {"client_ids": ["sts.amazonaws.com"], "thumbprints": [], "tags": {
        "aws:cloudformation:stack-name": "ci", "team": "old", "owner": "ops", "count": "2"}}
    desired = {"client_ids": ["sts.amazonaws.com"], "thumbprints": None, "tags": {"owner": "platform", "count": 2}}
    changes = plan_changes(before, desired, purge_tags=True)
    assert changes == {"tag": {"owner": "platform"}, "untag": ["team"]}  # 2 and "2" are the same value
    assert plan_changes(before, desired, purge_tags=False) == {"tag": {"owner": "platform"}}


# --------------------------------------------------------------------------- the one error path (modules.run)

class _Module:
    """What run() uses of an AnsibleAWSModule: fail_json, fail_json_aws, fail_json_aws_error (each ends the run)."""

    def __init__(self):
        self.failed = None

    def fail_json(self, **result):
        self.failed = ("fail_json", result)
        raise SystemExit(1)

    def fail_json_aws(self, error, msg=None, **result):
        self.failed = ("fail_json_aws", dict(result, msg=msg, error=error))
        raise SystemExit(1)

    def fail_json_aws_error(self, error):
        self.failed = ("fail_json_aws_error", {"error": error})
        raise SystemExit(1)


def _raising(error):
    def action():
        raise error
    return action


@pytest.mark.parametrize("error, way, message", [
    (SsoShiftError("accounts: no account with ID or name 'qa' in the organization"), "fail_json",
     "accounts: no account with ID or name 'qa' in the organization"),
    (PartialFailure("1 account(s) failed", {"accounts": []}), "fail_json", "1 account(s) failed"),
    (ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "ListRoots"), "fail_json_aws",
     "Failed to read"),
    (ConnectTimeoutError(endpoint_url="https://iam.amazonaws.com"), "fail_json_aws", "Failed to read"),
    (AnsibleAWSError(message="wrapped", exception=None), "fail_json_aws_error", None),
    (TimeoutError("the credential report"), "fail_json", "Failed to read: timed out (the credential report)"),
    (TimeoutError(), "fail_json", "Failed to read: timed out (TimeoutError)"),
])
def test_every_error_ends_in_the_modules_failure_never_a_traceback(error, way, message):
    module = _Module()
    with pytest.raises(SystemExit):
        modules.run(module, _raising(error), "Failed to read")
    assert module.failed[0] == way
    if message is not None:
        assert module.failed[1]["msg"].startswith(message)


def test_sso_shift_error_lists_every_problem():
    module = _Module()
    with pytest.raises(SystemExit):
        modules.run(module, _raising(SsoShiftError("2 problems", ["a: 1", "b: 2"])), "Failed")
    assert module.failed[1] == {"msg": "2 problems", "problems": ["a: 1", "b: 2"]}
