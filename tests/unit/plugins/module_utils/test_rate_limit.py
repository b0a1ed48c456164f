"""The process's one rate limiter (module_utils/rate_limit.py): AWS's published limits, shared by every client."""

from ansible_collections.ssoshift.identity_center.plugins.module_utils import rate_limit

from .stubbed import stubbed_client


class Clock:
    def __init__(self):
        self.now = 0.0
        self.waits = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.waits.append(round(seconds, 3))


def test_sso_admin_calls_share_one_bucket_and_identity_store_apis_have_one_each():
    # AWS: Identity Center APIs have a collective 20 TPS; Identity Store APIs 20 TPS per API.
    clock = Clock()
    limits = rate_limit.ServiceLimits(clock=clock, sleep=clock.sleep)
    for operation in ("DescribePermissionSet", "ListTagsForResource", "CreatePermissionSet"):
        limits.acquire("sso-admin", operation)
    assert clock.waits == [0.05, 0.1]  # three different operations, one bucket
    clock.waits.clear()
    for operation in ("CreateUser", "CreateGroup", "ListGroupMemberships"):
        limits.acquire("identitystore", operation)
    assert clock.waits == []  # one bucket per identity store API
    limits.acquire("identitystore", "CreateUser")
    assert clock.waits == [0.05]


def test_a_burst_is_allowed_up_to_the_bucket_size_then_the_rate():
    clock = Clock()
    limiter = rate_limit.RateLimiter(10, clock=clock, sleep=clock.sleep, burst=3)
    for dummy in range(5):
        limiter.acquire()
    assert clock.waits == [0.1, 0.2]


def test_attached_clients_wait_for_their_token_on_every_call_retries_included():
    clock = Clock()
    limits = rate_limit.ServiceLimits(sso_admin_rate=1, clock=clock, sleep=clock.sleep)
    sso_admin, stubber = stubbed_client("sso-admin")
    limits.attach(limits.attach(sso_admin))  # attaching twice does not take two tokens
    stubber.add_client_error("list_instances", service_error_code="ThrottlingException", http_status_code=400)
    stubber.add_response("list_instances", {"Instances": []})
    sso_admin.list_instances(aws_retry=True)
    assert clock.waits == [1.0]  # the retry took a token too
    organizations, dummy = stubbed_client("organizations")
    assert limits.attach(organizations) is organizations  # other services are not limited here


def test_shared_is_one_instance_per_process_and_takes_the_module_rate():
    first = rate_limit.shared()
    assert rate_limit.shared(sso_admin_rate=50) is first and first.sso_admin_rate == 50
    first.configure(sso_admin_rate=rate_limit.SSO_ADMIN_RATE)


def test_in_parallel_keeps_order_and_reports_each_failure():
    def half(value):
        if value == 3:
            raise ValueError("three")
        return value / 2

    outcomes = rate_limit.in_parallel(half, [1, 2, 3, 4], workers=3)
    assert [(item, result) for item, result, error in outcomes] == [(1, 0.5), (2, 1.0), (3, None), (4, 2.0)]
    assert str(outcomes[2][2]) == "three"
