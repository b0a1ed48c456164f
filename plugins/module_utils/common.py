# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Plumbing shared by every engine: the error type, retries and pagination.

Everything here is plain Python on top of amazon.aws helpers, so unit tests import it
without Ansible running a module.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

try:
    from botocore.exceptions import ClientError
    from botocore.parsers import ResponseParserError
except ImportError:  # AnsibleAWSModule reports the missing botocore
    ClientError = ResponseParserError = RuntimeError

# Identity Center answers ConflictException while another operation holds the same
# permission set or account, and InternalServerException (HTTP 500) for transient faults;
# both are retried like throttling, as its API reference advises.
RETRY_ERROR_CODES = ["ConflictException", "TooManyRequestsException", "ThrottlingException",
                     "InternalServerException", "ServiceUnavailableException"]


def retry_decorator(retries=10):
    # A 1 s base (amazon.aws uses 3 s) keeps bulk runs close to the rate limit after a throttle.
    return AWSRetry.jittered_backoff(retries=retries, delay=1, max_delay=20, catch_extra_error_codes=RETRY_ERROR_CODES)


class SsoShiftError(Exception):
    """A problem the caller must fix; the message names the field and the value.

    `problems` holds every problem found when validation collected more than one, so a
    module can fail once with the full list instead of one error per run.
    """

    def __init__(self, message, problems=None):
        super().__init__(message)
        self.problems = list(problems or [message])


def fail_if_problems(problems, summary):
    """Raise one SsoShiftError listing every problem, or return when there is none."""
    if problems:
        listing = "; ".join(problems)
        raise SsoShiftError(f"{summary} ({len(problems)} problem(s)): {listing}", problems)


def client(module, service):
    """An `AnsibleAWSModule` client whose calls accept `aws_retry=True`."""
    return module.client(service, retry_decorator=retry_decorator())


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
