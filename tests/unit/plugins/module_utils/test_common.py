"""The collection's one retry policy (module_utils/common.py): what it retries and what it never does."""

from unittest import mock

import pytest
from botocore.exceptions import ClientError
from botocore.exceptions import ConnectionClosedError
from botocore.exceptions import EndpointConnectionError
from botocore.exceptions import ReadTimeoutError
from botocore.exceptions import SSLError

from ansible_collections.ssoshift.identity_center.plugins.module_utils import common


def _client_error(code, status=400):
    return ClientError({"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       "AnyOperation")


FAULTS = {
    "reset": ConnectionClosedError(endpoint_url="https://sso.us-east-1.amazonaws.com"),
    "read timeout": ReadTimeoutError(endpoint_url="https://iam.amazonaws.com"),
    "no route": EndpointConnectionError(endpoint_url="https://organizations.us-east-1.amazonaws.com"),
    "throttling": _client_error("ThrottlingException"),
    "iam throttling": _client_error("Throttling"),
    "conflict": _client_error("ConflictException", 409),
    "iam concurrent change": _client_error("ConcurrentModification", 409),
    "identity store concurrent change": ClientError({"Error": {"Code": "ConflictException", "Message": "busy"},
                                                     "Reason": "CONCURRENT_MODIFICATION",
                                                     "ResponseMetadata": {"HTTPStatusCode": 409}}, "CreateGroup"),
    "organizations concurrent change": _client_error("ConcurrentModificationException"),
    "5xx without a known code": _client_error("SomethingBroke", 502),
    "internal server error": _client_error("InternalServerException", 500),
}
NEVER = {
    "access denied": _client_error("AccessDeniedException", 403),
    "validation": _client_error("ValidationException"),
    "not found": _client_error("ResourceNotFoundException", 404),
    # The name exists already (a create repeated after its answer was lost): asking again cannot help.
    "identity store uniqueness": ClientError({"Error": {"Code": "ConflictException", "Message": "Duplicate UserName"},
                                              "Reason": "UNIQUENESS_CONSTRAINT_VIOLATION",
                                              "ResponseMetadata": {"HTTPStatusCode": 409}}, "CreateUser"),
    "call the endpoint does not implement": _client_error("NotImplemented", 501),
    "TLS": SSLError(endpoint_url="https://sso.us-east-1.amazonaws.com", error="certificate verify failed"),
}


def _flaky(error, failures):
    calls = []

    def call():
        calls.append(1)
        if len(calls) <= failures:
            raise error
        return "answer"
    return call, calls


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_transient_faults_are_retried_until_the_call_succeeds(fault):
    call, calls = _flaky(FAULTS[fault], failures=3)
    with mock.patch("time.sleep") as sleep:
        assert common.retry_decorator()(call)() == "answer"
    assert len(calls) == 4
    assert sleep.call_count == 3


@pytest.mark.parametrize("fault", sorted(NEVER))
def test_errors_the_caller_must_fix_are_raised_at_once(fault):
    call, calls = _flaky(NEVER[fault], failures=1)
    with mock.patch("time.sleep") as sleep:
        with pytest.raises(type(NEVER[fault])):
            common.retry_decorator()(call)()
    assert len(calls) == 1 and sleep.call_count == 0


def test_retries_are_bounded_in_number_and_in_time():
    call, calls = _flaky(FAULTS["reset"], failures=100)
    waits = []
    with mock.patch("time.sleep", side_effect=waits.append):
        with pytest.raises(ConnectionClosedError):
            common.retry_decorator()(call)()
    assert len(calls) == common.RETRIES
    assert all(0 <= wait <= common.RETRY_MAX_DELAY for wait in waits)
    # The worst case, every wait at its cap: a little over two minutes.
    worst = sum(min(common.RETRY_BASE_DELAY * 2 ** n, common.RETRY_MAX_DELAY) for n in range(common.RETRIES - 1))
    assert sum(waits) <= worst <= 150


def test_a_conflict_that_says_already_exists_is_not_retried():
    # Identity store: ConflictException with Reason UNIQUENESS_CONSTRAINT_VIOLATION; Identity Center:
    # "PermissionSet with name X already exists.". Asking again cannot succeed; the engines read it back.
    unique = ClientError({"Error": {"Code": "ConflictException", "Message": "Duplicate UserName"},
                          "Reason": "UNIQUENESS_CONSTRAINT_VIOLATION", "ResponseMetadata": {"HTTPStatusCode": 400}},
                         "CreateUser")
    named = _client_error("ConflictException")
    named.response["Error"]["Message"] = "PermissionSet with name Admin already exists."
    for error in (unique, named):
        assert common.already_exists(error)
        code = common.SsoShiftRetry.status_code_from_exception(error)
        assert code == common.ALREADY_EXISTS and not common.SsoShiftRetry.found(code, common.RETRY_ERROR_CODES)
    busy = _client_error("ConflictException", 409)  # another operation holds the resource: retried
    assert not common.already_exists(busy)
    assert common.SsoShiftRetry.found(common.SsoShiftRetry.status_code_from_exception(busy), common.RETRY_ERROR_CODES)
