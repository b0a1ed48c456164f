"""The AWS simulator faults every service the collection calls, each in its own protocol: botocore parses
every injected fault as the error AWS sends (code and HTTP status), resets drop the connection before or
after moto applied a write, and the stats count the faults per service."""

import os
import sys

import boto3
import botocore.config
import botocore.exceptions
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "simulator"))
import aws_simulator  # noqa: E402

NO_RETRY = botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5,
                                  read_timeout=10)

# (botocore service, a read call, a write call whose API reference documents the service's conflict error)
CALLS = {
    "iam": ("iam", lambda c, s: c.list_users(), lambda c, s, n: c.create_user(UserName=n)),
    "sts": ("sts", lambda c, s: c.get_caller_identity(), None),
    "organizations": ("organizations", lambda c, s: c.list_roots(),
                      lambda c, s, n: c.create_organizational_unit(ParentId=s.state["root_id"], Name=n)),
    "account": ("account", lambda c, s: c.get_alternate_contact(AlternateContactType="SECURITY"), None),
    "sso": ("sso-admin", lambda c, s: c.list_instances(),
            lambda c, s, n: c.create_permission_set(InstanceArn=s.state["instance_arn"], Name=n)),
    "identitystore": ("identitystore", lambda c, s: c.list_users(IdentityStoreId=s.state["identity_store_id"]),
                      lambda c, s, n: c.create_group(IdentityStoreId=s.state["identity_store_id"], DisplayName=n)),
}
# What AWS answers, per service: throttling, HTTP 500, HTTP 503 (code, status).
EXPECTED = {
    "iam": {"throttle_burst": ("Throttling", 400), "error_500": ("ServiceFailure", 500),
            "error_503": ("ServiceUnavailable", 503), "conflict": ("ConcurrentModification", 409)},
    "sts": {"throttle_burst": ("Throttling", 400), "error_500": ("InternalFailure", 500),
            "error_503": ("ServiceUnavailable", 503)},
    "organizations": {"throttle_burst": ("TooManyRequestsException", 400), "error_500": ("ServiceException", 500),
                      "error_503": ("ServiceUnavailable", 503), "conflict": ("ConcurrentModificationException", 400)},
    "account": {"throttle_burst": ("TooManyRequestsException", 429), "error_500": ("InternalServerException", 500),
                "error_503": ("ServiceUnavailable", 503)},
    "sso": {"throttle_burst": ("ThrottlingException", 400), "error_500": ("InternalServerException", 500),
            "error_503": ("ServiceUnavailable", 503), "conflict": ("ConflictException", 409)},
    "identitystore": {"throttle_burst": ("ThrottlingException", 400), "error_500": ("InternalServerException", 500),
                      "error_503": ("ServiceUnavailable", 503), "conflict": ("ConflictException", 409)},
}


@pytest.fixture(scope="module")
def simulators(sandbox, tmp_path_factory):
    started = {}

    def endpoint(**config):
        key = repr(sorted(config.items()))
        if key not in started:
            directory = str(tmp_path_factory.mktemp("simulator"))
            started[key] = (directory, aws_simulator.start(directory, sandbox.endpoint, **config)["endpoint"])
        return started[key][1]

    yield endpoint
    for directory, dummy in started.values():
        aws_simulator.stop(directory)


def _client(sandbox, service, endpoint):
    return boto3.client(CALLS[service][0], region_name="us-east-1", endpoint_url=endpoint, config=NO_RETRY,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.mark.parametrize("service,fault", [(s, f) for s in sorted(EXPECTED) for f in sorted(EXPECTED[s])])
def test_each_fault_reaches_botocore_as_the_services_own_error(sandbox, simulators, service, fault):
    endpoint = simulators(**{f"{fault}_rate": 1.0, "throttle_burst_seconds": 0.0})
    client = _client(sandbox, service, endpoint)
    before = aws_simulator.stats(endpoint)["services"].get(service, {}).get("faults", {}).get(fault, 0)
    call = (lambda: CALLS[service][2](client, sandbox, f"sim-{fault}")) if fault == "conflict" \
        else (lambda: CALLS[service][1](client, sandbox))
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call()
    code, status = EXPECTED[service][fault]
    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    if service == "identitystore" and fault == "conflict":
        assert raised.value.response["Reason"] == "CONCURRENT_MODIFICATION"  # retryable, unlike a uniqueness one
    assert aws_simulator.stats(endpoint)["services"][service]["faults"][fault] == before + 1


@pytest.mark.parametrize("service", sorted(s for s in EXPECTED if "conflict" in EXPECTED[s]))
def test_conflicts_only_where_the_api_reference_documents_them(sandbox, simulators, service):
    endpoint = simulators(conflict_rate=1.0)
    CALLS[service][1](_client(sandbox, service, endpoint), sandbox)  # a read: never a conflict
    assert "conflict" not in aws_simulator.stats(endpoint)["services"][service]["faults"]


@pytest.mark.parametrize("service", sorted(CALLS))
def test_a_reset_drops_the_connection_before_moto_sees_the_request(sandbox, simulators, service):
    endpoint = simulators(reset_rate=1.0)
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        CALLS[service][1](_client(sandbox, service, endpoint), sandbox)
    assert aws_simulator.stats(endpoint)["services"][service]["faults"]["reset"] >= 1


def test_a_reset_after_a_write_leaves_the_write_applied_and_its_retry_meets_it(sandbox, simulators):
    endpoint = simulators(reset_after_write_rate=1.0)
    iam = _client(sandbox, "iam", endpoint)
    iam.list_users()  # reads are answered
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        iam.create_user(UserName="sim-reset-after")
    assert sandbox.client("iam").get_user(UserName="sim-reset-after")["User"]["UserName"] == "sim-reset-after"
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        iam.create_user(UserName="sim-reset-after")  # the repeat reaches moto too ...
    plain = boto3.client("iam", region_name="us-east-1", endpoint_url=sandbox.endpoint, config=NO_RETRY,
                         aws_access_key_id="testing", aws_secret_access_key="testing")
    with pytest.raises(plain.exceptions.EntityAlreadyExistsException):
        plain.create_user(UserName="sim-reset-after")  # ... where it already exists, as on AWS
    stats = aws_simulator.stats(endpoint)["services"]["iam"]
    assert stats["faults"] == {"reset_after_write": 2} and stats["calls"] == 3


def test_a_hold_keeps_the_matching_request_unanswered_until_released(sandbox, simulators):
    endpoint = simulators(holds=[{"service": "iam", "operation": "CreateUser", "params": {"UserName": "sim-held"}}],
                          hold_seconds=30)
    iam = _client(sandbox, "iam", endpoint)
    iam.create_user(UserName="sim-not-held")  # another user: forwarded
    import threading

    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(_call_and_catch(iam, "sim-held")))
    worker.start()
    for dummy in range(100):
        if aws_simulator.stats(endpoint)["holds"][0]["state"] == "waiting":
            break
        worker.join(0.05)
    assert aws_simulator.stats(endpoint)["holds"][0]["state"] == "waiting" and not outcome
    aws_simulator.release(endpoint)
    worker.join(10)
    assert outcome == ["ConnectionClosedError"]
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        sandbox.client("iam").get_user(UserName="sim-held")  # never forwarded


def _call_and_catch(iam, name):
    try:
        iam.create_user(UserName=name)
        return "answered"
    except botocore.exceptions.ConnectionClosedError:
        return "ConnectionClosedError"
