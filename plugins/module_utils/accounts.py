# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Many accounts in one module run: a session per account, a bounded worker pool, every result and every error.

`AccountSessions` gives clients inside any account of the organization. The caller's own account is used
with the module's own credentials (AnsibleAWSModule's options, profile or environment); every other
account through sts:AssumeRole into the member role (default `OrganizationAccountAccessRole`, the role
Organizations creates in the accounts it creates, trusted by the management account). Assumed-role
credentials stay in this process's memory for the module run (never in module arguments, results,
diffs or logs) and are renewed `renew_before` seconds before they expire. Every client carries the
collection's one retry policy (`aws_retry=True`).

`for_each_account` runs one function per account on a bounded thread pool (the work is I/O: AWS calls)
and collects every account's result and every account's error, so one unreachable account (no member
role, AccessDenied, closed) never hides the others' results; `AccountFailure` carries AWS's error code.
"""

import datetime
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import retry_decorator
from ansible_collections.ssoshift.identity_center.plugins.module_utils.connection import new_client

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

MEMBER_ROLE = "OrganizationAccountAccessRole"
SESSION_NAME = "ssoshift-identity-center"
# Ten workers: the work is waiting on AWS, and IAM, STS and Organizations throttle a caller well before
# ten concurrent callers saturate them; the retry policy backs off with jitter when they do.
DEFAULT_WORKERS = 10
RENEW_BEFORE = 600

ACCOUNT_OPTIONS = dict(
    member_role_name=dict(type="str", default=MEMBER_ROLE),
    max_account_workers=dict(type="int", default=DEFAULT_WORKERS),
)


class AccountFailure(Exception):
    """One account's failure: the account, AWS's error code (or the exception's name) and the message."""

    def __init__(self, account_id, code, message, operation=None):
        super().__init__(message)
        self.account_id = account_id
        self.code = code
        self.message = message
        self.operation = operation

    def to_result(self, index=None):
        return {"account_id": self.account_id,
                "account_name": index.name(self.account_id) if index is not None else None,
                "error_code": self.code, "operation": self.operation, "message": self.message}


def failure_of(account_id, error):
    """An AccountFailure naming AWS's error code for any error a per-account step may raise."""
    if isinstance(error, AccountFailure):
        return error
    if isinstance(error, AnsibleAWSError) and error.exception is not None:
        inner = failure_of(account_id, error.exception)
        return AccountFailure(account_id, inner.code, f"{error.message}: {inner.message}", inner.operation)
    if isinstance(error, SsoShiftError):
        return AccountFailure(account_id, "InvalidInput", str(error))
    response = getattr(error, "response", None)
    if isinstance(response, dict) and response.get("Error"):
        code = response["Error"].get("Code") or type(error).__name__
        message = response["Error"].get("Message") or str(error)
        return AccountFailure(account_id, code, message, getattr(error, "operation_name", None))
    return AccountFailure(account_id, type(error).__name__, str(error))


class AccountSessions:
    """Clients inside many accounts for one module run (see the module docstring).

    module: an AnsibleAWSModule; role_name: the role assumed in accounts other than the caller's;
    renew_before: seconds before expiry at which credentials are renewed; clock: seconds since the epoch.
    Raises AccountFailure (code from STS, e.g. AccessDenied) when the role cannot be assumed.
    """

    def __init__(self, module, role_name=MEMBER_ROLE, session_name=SESSION_NAME, renew_before=RENEW_BEFORE,
                 clock=time.time):
        self.module = module
        self.role_name = role_name or MEMBER_ROLE
        self.session_name = session_name
        self.renew_before = renew_before
        self.clock = clock
        self.partition = "aws"
        self._lock = threading.Lock()
        self._account_locks = {}
        self._credentials = {}   # account_id -> (credentials dict, expires_at seconds)
        self._clients = {}       # (account_id, service) -> client
        self._caller = None
        self._account_id_accepted = True  # until Account Management refuses AccountId (get_alternate_contact)
        self.assumed = 0

    # ------------------------------------------------------------------ the caller
    def caller(self):
        """{account_id, arn} of the identity running the module (one sts:GetCallerIdentity)."""
        with self._lock:
            if self._caller is None:
                identity = self._new_client("sts").get_caller_identity(aws_retry=True)
                self._caller = {"account_id": identity["Account"], "arn": identity["Arn"]}
                self.partition = identity["Arn"].split(":")[1]
            return self._caller

    def caller_account_id(self):
        return self.caller()["account_id"]

    # ------------------------------------------------------------------ clients
    def client(self, account_id, service):
        """A client of `service` inside `account_id` (the module's own credentials for the caller's account)."""
        account_id = str(account_id)
        if account_id == self.caller_account_id():
            key = (account_id, service)
            with self._lock:
                if key not in self._clients:
                    self._clients[key] = self._new_client(service)
                return self._clients[key]
        credentials = self._credentials_for(account_id)
        key = (account_id, service, credentials["AccessKeyId"])
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._new_client(service, credentials)
            return self._clients[key]

    def _new_client(self, service, credentials=None, endpoint_url=None):
        """A retrying client of the module run's session: STS's temporary `credentials`, else the module's own.
        botocore's errors are raised, never fail_json: worker threads record them as their account's failure."""
        keys = {}
        if credentials:
            keys = dict(aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
                        aws_session_token=credentials["SessionToken"])
        return RetryingBotoClientWrapper(new_client(self.module, service, endpoint_url=endpoint_url, **keys),
                                         retry_decorator())

    def get_alternate_contact(self, account_id, contact_type):
        """Account Management GetAlternateContact's answer for `account_id`: asked by the caller with AccountId while
        AWS accepts it (the management account, or Account Management's delegated administrator, once trusted access
        for account.amazonaws.com is enabled: one client for every account), else - after AWS's first
        AccessDeniedException - inside the account through the member role; the caller's own account never with
        AccountId (AWS refuses it). AWS's errors are raised (ResourceNotFoundException: the contact is not set)."""
        caller = self.caller_account_id()
        own = self.client(caller, "account")
        if str(account_id) == caller:
            return own.get_alternate_contact(AlternateContactType=contact_type, aws_retry=True)
        if self._account_id_accepted:
            try:
                return own.get_alternate_contact(AlternateContactType=contact_type, AccountId=str(account_id),
                                                 aws_retry=True)
            except is_boto3_error_code("AccessDeniedException"):
                self._account_id_accepted = False
        return self.client(account_id, "account").get_alternate_contact(AlternateContactType=contact_type,
                                                                        aws_retry=True)

    def root_client(self, account_id, task, service="iam"):
        """A client of `service` in a privileged root session of member account `account_id`, scoped by the
        AWS-managed root-task policy `task` (root_credentials.AUDIT or DELETE): sts:AssumeRoot from the caller (the
        management account or the IAM delegated administrator), on a Regional STS endpoint (AWS refuses the global
        one), for at most 900 seconds. Raises AccountFailure with STS's error code."""
        from ansible_collections.ssoshift.identity_center.plugins.module_utils.root_credentials import TASK_POLICY

        sts = self.client(self.caller_account_id(), "sts")
        if getattr(sts, "client", sts).meta.endpoint_url.rstrip("/") == "https://sts.amazonaws.com":
            region = self.module.region or "us-east-1"
            sts = self._new_client("sts", endpoint_url=f"https://sts.{region}.amazonaws.com")
        policy = TASK_POLICY.format(partition=self.partition, name=task)
        try:
            credentials = sts.assume_root(TargetPrincipal=str(account_id), TaskPolicyArn={"arn": policy},
                                          DurationSeconds=900, aws_retry=True)["Credentials"]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            failure = failure_of(account_id, error)
            raise AccountFailure(account_id, failure.code,
                                 f"cannot open a root session ({task}) in account {account_id}: {failure.message} "
                                 "(centralized root access must be enabled - RootCredentialsManagement and "
                                 "RootSessions - and the caller must be the management account or the IAM "
                                 "delegated administrator)", "AssumeRoot") from error
        with self._lock:
            self.assumed += 1
        return self._new_client(service, credentials)

    def _account_lock(self, account_id):
        with self._lock:
            return self._account_locks.setdefault(account_id, threading.Lock())

    def _credentials_for(self, account_id):
        with self._account_lock(account_id):
            known = self._credentials.get(account_id)
            if known and known[1] - self.clock() > self.renew_before:
                return known[0]
            role_arn = f"arn:{self.partition}:iam::{account_id}:role/{self.role_name}"
            try:
                answer = self.client(self.caller_account_id(), "sts").assume_role(
                    RoleArn=role_arn, RoleSessionName=self.session_name, aws_retry=True)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
                failure = failure_of(account_id, error)
                raise AccountFailure(account_id, failure.code,
                                     f"cannot assume {role_arn}: {failure.message} (the member role must exist in "
                                     "the account and trust the account running the play; set member_role_name "
                                     "to the role your organization uses)", "AssumeRole") from error
            credentials = answer["Credentials"]
            expires = credentials["Expiration"]
            if isinstance(expires, datetime.datetime):
                expires = expires.timestamp()
            self._credentials[account_id] = (credentials, float(expires))
            with self._lock:
                self.assumed += 1
                # Clients of expired credentials are dropped: they would fail from now on.
                for key in [k for k in self._clients if k[0] == account_id and len(k) == 3
                            and k[2] != credentials["AccessKeyId"]]:
                    del self._clients[key]
            return credentials


def limited(accounts, index, limit):
    """The accounts that are also in `limit` (names or IDs; None: no limit), for runs sliced over the inventory.
    Raises SsoShiftError naming an unknown or closed account of the limit."""
    if limit is None:
        return list(accounts)
    allowed, problems = index.resolve(limit, "limit_accounts")
    if problems:
        raise SsoShiftError("limit_accounts: " + "; ".join(problems), problems)
    allowed_ids = {account["id"] for account in allowed}
    return [account for account in accounts if account["id"] in allowed_ids]


def for_each_account(accounts, work, max_workers=DEFAULT_WORKERS):
    """Run work(account) for every account on at most `max_workers` threads.

    accounts: [{id, name, ...}]. Returns (results, failures): results {account_id: work's return value},
    failures [AccountFailure] in the accounts' order. An error in one account never stops the others.
    """
    accounts = list(accounts)
    if not accounts:
        return {}, []
    results, failures = {}, {}

    def one(account):
        try:
            results[account["id"]] = work(account)
        except Exception as error:  # pylint: disable=broad-except
            failures[account["id"]] = failure_of(account["id"], error)

    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(accounts)))) as pool:
        list(pool.map(one, accounts))
    return results, [failures[a["id"]] for a in accounts if a["id"] in failures]


def failure_message(failures, index=None, what="the accounts"):
    """One line naming every failed account with AWS's error code."""
    parts = []
    for failure in failures:
        label = index.label(failure.account_id) if index is not None else failure.account_id
        operation = f" on {failure.operation}" if failure.operation else ""
        parts.append(f"{label}: {failure.code}{operation}: {failure.message}")
    return f"{len(failures)} account(s) failed ({what} in the other accounts completed): " + "; ".join(parts)
