# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One rate limiter per process for every IAM Identity Center and identity store call.

AWS's published throttle limits (IAM Identity Center user guide, "IAM Identity Center throttle limits"):

- IAM Identity Center APIs (sso-admin) have a *collective* limit of 20 transactions per second for the
  instance: every sso-admin operation, read or write, takes from one bucket.
- Identity Store APIs (identitystore) have a limit of 20 transactions per second *per API*, per identity
  store: CreateUser and ListGroupMemberships do not compete.
- CreateAccountAssignment has at most 15 outstanding asynchronous operations; ProvisionPermissionSet at most
  three concurrent calls (the engines bound their writes in flight below those).

`ServiceLimits` holds one token bucket for sso-admin and one per identity store operation; `attach()` hooks
it into a botocore client (the `before-call` event), so every call the client makes, retries included,
waits for its token. `shared()` returns the process's one instance, so the engines of one module process
(directory, permission sets, assignments) never add up to more than AWS allows. Throttling answers that
still happen (another client of the same account, a lower quota) are retried by the collection's one retry
policy (common.py `retry_decorator`, jittered backoff).
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

# Requests per second, from AWS's published limits (see the module docstring).
SSO_ADMIN_RATE = 20
IDENTITY_STORE_RATE = 20
# Writes in flight at once. Below the 15 outstanding assignment operations and leaves room for the reads.
MAX_WRITES_IN_FLIGHT = 8
# ProvisionPermissionSet: AWS allows three concurrent calls.
MAX_PROVISIONING_IN_FLIGHT = 3


class RateLimiter:
    """Token bucket shared by threads: at most `rate` calls per second, `burst` of them at once.

    acquire() returns at once while tokens are left, else sleeps until the next one. A rate of 0 or
    None means no limit. `clock` and `sleep` are injectable for tests.
    """

    def __init__(self, rate, clock=time.monotonic, sleep=time.sleep, burst=1):
        self.interval = 1.0 / rate if rate else 0.0
        self.burst = max(1, int(burst))
        self.clock = clock
        self.sleep = sleep
        self.lock = threading.Lock()
        self.next_slot = clock() - (self.burst - 1) * self.interval  # the bucket starts full

    def acquire(self):
        """Wait for a token; returns the seconds waited."""
        with self.lock:
            now = self.clock()
            # A bucket refills at `rate` up to `burst` tokens: never grant a slot earlier than that allows.
            slot = max(now - (self.burst - 1) * self.interval, self.next_slot)
            self.next_slot = slot + self.interval
        wait = slot - now
        if wait > 0:
            self.sleep(wait)
            return wait
        return 0.0


class ServiceLimits:
    """The buckets of one process: one for all sso-admin calls, one per identity store operation."""

    def __init__(self, sso_admin_rate=SSO_ADMIN_RATE, identity_store_rate=IDENTITY_STORE_RATE,
                 clock=time.monotonic, sleep=time.sleep):
        self.sso_admin_rate = sso_admin_rate
        self.identity_store_rate = identity_store_rate
        self.clock = clock
        self.sleep = sleep
        self.lock = threading.Lock()
        self.sso_admin = RateLimiter(sso_admin_rate, clock, sleep)
        self.per_operation = {}
        self.waited = 0.0  # seconds spent waiting for tokens, for the benchmark
        self._attached = set()

    def configure(self, sso_admin_rate=None, identity_store_rate=None):
        """Change the rates (a module's max_requests_per_second option); existing buckets are replaced."""
        with self.lock:
            if sso_admin_rate:
                self.sso_admin_rate = sso_admin_rate
                self.sso_admin = RateLimiter(sso_admin_rate, self.clock, self.sleep)
            if identity_store_rate:
                self.identity_store_rate = identity_store_rate
                self.per_operation = {}
        return self

    def bucket(self, service, operation):
        if service == "identitystore":
            with self.lock:
                if operation not in self.per_operation:
                    self.per_operation[operation] = RateLimiter(self.identity_store_rate, self.clock, self.sleep)
                return self.per_operation[operation]
        return self.sso_admin

    def acquire(self, service, operation):
        waited = self.bucket(service, operation).acquire()
        if waited:
            with self.lock:
                self.waited += waited

    def attach(self, aws_client):
        """Make every call of `aws_client` (sso-admin or identitystore) wait for its token; returns it.

        Other services are returned untouched. Attaching the same client twice has no further effect.
        """
        raw = getattr(aws_client, "client", aws_client)  # RetryingBotoClientWrapper keeps the client here
        service = raw.meta.service_model.service_name
        if service not in ("sso-admin", "identitystore") or id(raw) in self._attached:
            return aws_client
        self._attached.add(id(raw))

        def limit(model, **kwargs):
            self.acquire(service, model.name)

        raw.meta.events.register_first("before-call.*.*", limit)
        return aws_client


_SHARED = None
_SHARED_LOCK = threading.Lock()


def shared(sso_admin_rate=None, identity_store_rate=None):
    """The process's one ServiceLimits (created at AWS's published rates on first use)."""
    global _SHARED  # pylint: disable=global-statement
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = ServiceLimits()
    if sso_admin_rate or identity_store_rate:
        _SHARED.configure(sso_admin_rate, identity_store_rate)
    return _SHARED


def in_parallel(function, items, workers=MAX_WRITES_IN_FLIGHT):
    """Run function(item) for every item on at most `workers` threads.

    Returns [(item, result, error)] in the order of `items`; error is the exception the call raised (the
    others still run), result is then None. With one item or one worker it runs inline.
    """
    items = list(items)

    def guarded(item):
        try:
            return item, function(item), None
        except Exception as error:  # pylint: disable=broad-except
            return item, None, error

    if len(items) <= 1 or workers <= 1:
        return [guarded(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(guarded, items))
