# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Plumbing shared by every engine: the error type, retries and pagination.

Everything here is plain Python on top of amazon.aws helpers, so unit tests import it
without Ansible running a module.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.ssoshift.identity_center.plugins.module_utils.connection import client_or_fail

try:
    from botocore.exceptions import ClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import HTTPClientError
    from botocore.exceptions import SSLError
    from botocore.parsers import ResponseParserError
except ImportError:  # AnsibleAWSModule reports the missing botocore
    ClientError = BotoConnectionError = HTTPClientError = SSLError = ResponseParserError = RuntimeError

# Identity Center answers ConflictException while another operation holds the same
# permission set or account, and InternalServerException (HTTP 500) for transient faults;
# both are retried like throttling, as its API reference advises. The IAM, STS,
# Organizations and Account Management codes are their documented throttling and
# transient-fault answers; IAM's concurrent-change answer is ConcurrentModification (HTTP 409,
# "wait a few minutes and submit your request again"), Organizations' ConcurrentModificationException.
RETRY_ERROR_CODES = ["ConflictException", "TooManyRequestsException", "ThrottlingException",
                     "InternalServerException", "ServiceUnavailableException", "ServiceUnavailable",
                     "ServiceFailureException", "ServiceException", "ConcurrentModificationException",
                     "ConcurrentModification", "IDPCommunicationError", "RequestTimeout", "RequestTimeoutException"]
# The identity store's ConflictException carries a Reason: CONCURRENT_MODIFICATION is worth another try,
# UNIQUENESS_CONSTRAINT_VIOLATION (the user name, group name or membership exists already) never changes
# by asking again; it is answered at once so the caller can act on it.
UNIQUENESS_VIOLATION = "ConflictException:UNIQUENESS_CONSTRAINT_VIOLATION"
# Pseudo codes for what is not an AWS error code: the connection dropped or timed out before an
# answer (reset, closed, read or connect timeout), or an HTTP 5xx without a known code.
CONNECTION_FAULT = "(connection)"
SERVER_FAULT = "(HTTP 5xx)"
# A ConflictException that says the thing already exists (the identity store's UNIQUENESS_CONSTRAINT_VIOLATION,
# Identity Center's "PermissionSet with name X already exists."): asking again cannot succeed, so it is not
# retried; the engines read the existing resource instead (a create repeated after a dropped connection).
ALREADY_EXISTS = "(already exists)"


def already_exists(error):
    """True when a ClientError is a ConflictException about a resource that already exists."""
    response = getattr(error, "response", None) or {}
    if response.get("Error", {}).get("Code") != "ConflictException":
        return False
    return (response.get("Reason") == "UNIQUENESS_CONSTRAINT_VIOLATION"
            or "already exists" in str(response.get("Error", {}).get("Message", "")).lower())


class SsoShiftRetry(AWSRetry):
    """amazon.aws's AWSRetry, extended to every fault a call may meet on the way.

    Besides the error codes above it retries a connection that drops or times out before AWS answers
    (botocore's ConnectionError and HTTPClientError families: reset, ConnectionClosedError,
    ReadTimeoutError, EndpointConnectionError) and any HTTP 5xx answer, on reads and writes alike.
    A write retried after a dropped connection may already have been applied: every engine of the
    collection plans from a fresh read and treats "already there" / "already gone" as done, so a
    repeated write converges instead of failing. TLS errors (SSLError) are configuration, never retried.
    """

    base_class = (ClientError, BotoConnectionError, HTTPClientError)

    @staticmethod
    def status_code_from_exception(error):
        if isinstance(error, SSLError):
            return "SSLError"
        if isinstance(error, (BotoConnectionError, HTTPClientError)):
            return CONNECTION_FAULT
        if endpoint_lacks(error):
            return "NotImplemented"  # the endpoint lacks the call: asking again cannot help
        if already_exists(error):
            return ALREADY_EXISTS
        code = error.response.get("Error", {}).get("Code")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        if status >= 500 and code not in RETRY_ERROR_CODES:
            return SERVER_FAULT
        if code == "ConflictException" and error.response.get("Reason") == "UNIQUENESS_CONSTRAINT_VIOLATION":
            return UNIQUENESS_VIOLATION
        return code

    @staticmethod
    def found(response_code, catch_extra_error_codes=None):
        return (response_code in (CONNECTION_FAULT, SERVER_FAULT)
                or AWSRetry.found(response_code, catch_extra_error_codes))


# Jittered exponential backoff from 1 s (amazon.aws uses 3 s, which keeps bulk runs far below the rate
# limit after a throttle), capped at 20 s a wait: at most 10 attempts and about two minutes in all.
RETRIES = 10
RETRY_BASE_DELAY = 1
RETRY_MAX_DELAY = 20


def retry_decorator(retries=RETRIES):
    """The collection's one retry policy, for every call of every service (`aws_retry=True`)."""
    return SsoShiftRetry.jittered_backoff(retries=retries, delay=RETRY_BASE_DELAY, max_delay=RETRY_MAX_DELAY,
                                          catch_extra_error_codes=RETRY_ERROR_CODES)


# The collection's ownership mark on what it creates (IAM roles, OIDC providers, permission sets): a resource without
# it is not the collection's, and is taken over only when the access model says so (or, for Identity Center
# permission sets and groups, reported as adopted).
OWNER_TAG_KEY = "managed-by"
OWNER_TAG_VALUE = "ssoshift.identity_center"


def owned(tags):
    """Whether tags ({key: value}) carry the collection's ownership mark."""
    return (tags or {}).get(OWNER_TAG_KEY) == OWNER_TAG_VALUE


class SsoShiftError(Exception):
    """A problem the caller must fix; the message names the field and the value.

    `problems` holds every problem found when validation collected more than one, so a
    module can fail once with the full list instead of one error per run.
    """

    def __init__(self, message, problems=None):
        super().__init__(message)
        self.problems = list(problems or [message])


class PartialFailure(Exception):
    """Some items of a bulk run (accounts, most often) failed; `result` holds what the others did, and the
    module fails with it, so one failure never hides the other results."""

    def __init__(self, message, result):
        super().__init__(message)
        self.result = result


def fail_if_problems(problems, summary):
    """Raise one SsoShiftError listing every problem, or return when there is none."""
    if problems:
        listing = "; ".join(problems)
        raise SsoShiftError(f"{summary} ({len(problems)} problem(s)): {listing}", problems)


def client(module, service, endpoint_url=None):
    """A client of `service` with the module's connection options, whose calls accept `aws_retry=True`: made from
    the module run's one boto3 session (connection.client_or_fail: botocore's errors fail the module, so call it on
    the module's main thread), not a session per client. endpoint_url overrides the module's."""
    return RetryingBotoClientWrapper(client_or_fail(module, service, endpoint_url=endpoint_url), retry_decorator())


def paginate(aws_client, operation, result_key, **params):
    """Every item of a paginated list call, retried on throttling and conflicts."""
    result = paginated_query_with_retries(aws_client, operation, retry_decorator=retry_decorator(), **params)
    return result.get(result_key, [])


def endpoint_lacks(error):
    """True when the endpoint does not implement the call it was asked.

    AWS answers unknown operations with InvalidAction / NotImplemented (HTTP 501); local
    emulators such as moto answer an HTML error page, which real AWS never sends.
    """
    if isinstance(error, ResponseParserError):
        return True
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return (code in ("NotImplemented", "InvalidAction") or status == 501
                or (status == 500 and "<html" in message.lower()))
    return False
