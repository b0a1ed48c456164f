"""connection.new_client: every client of a module run from one boto3 session, with amazon.aws's connection options
(read by its get_aws_connection_info from the module's parameters, as AnsibleAWSModule.client reads them)."""

import pytest

from ansible_collections.ssoshift.identity_center.plugins.module_utils import connection

PARAMS = {"access_key": "AKIDEXAMPLE", "secret_key": "secret-example", "session_token": None, "profile": None,
          "region": "eu-west-1", "endpoint_url": "http://127.0.0.1:1", "validate_certs": True, "aws_ca_bundle": None,
          "aws_config": {"connect_timeout": 7}}


class Failed(Exception):
    pass


class FakeModule:
    _name = "ssoshift.identity_center.example"

    def __init__(self, **params):
        self.params = dict(PARAMS, **params)

    def fail_json(self, **kwargs):
        raise Failed(kwargs["msg"])

    def fail_json_aws(self, error, msg):
        raise Failed(f"{msg}: {error}")


@pytest.fixture(autouse=True)
def fresh_sessions(monkeypatch):
    monkeypatch.setattr(connection, "_sessions", {})
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)


def test_every_client_comes_from_one_session_with_the_module_options(monkeypatch):
    import botocore.loaders

    loaded = []
    load_file = botocore.loaders.JSONFileLoader.load_file

    def recording_load_file(self, file_path, *args, **kwargs):
        loaded.append(file_path)
        return load_file(self, file_path, *args, **kwargs)

    monkeypatch.setattr(botocore.loaders.JSONFileLoader, "load_file", recording_load_file)
    module = FakeModule()
    clients = [connection.new_client(module, service) for service in ("sts", "iam", "organizations", "iam")]
    assert list(connection._sessions) == [None]
    # botocore read its endpoint data and the IAM model once for the four clients (a session per client reads
    # them for each).
    assert len([path for path in loaded if path.endswith("endpoints")]) == 1
    assert len([path for path in loaded if "/iam/" in path and path.endswith("service-2")]) == 1
    assert all(c._request_signer._credentials.access_key == "AKIDEXAMPLE" for c in clients)
    assert all(c.meta.region_name == "eu-west-1" for c in clients)
    assert all(c.meta.endpoint_url == "http://127.0.0.1:1" for c in clients)
    # aws_config merged into the collection's Config, whose user agent names the collection.
    assert clients[1].meta.config.connect_timeout == 7
    assert clients[1].meta.config.user_agent_extra == connection.USER_AGENT_EXTRA


def test_assumed_role_credentials_win_over_the_module_options():
    module = FakeModule()
    client = connection.new_client(module, "iam", aws_access_key_id="ASIAMEMBER", aws_secret_access_key="member",
                                   aws_session_token="token")
    credentials = client._request_signer._credentials
    assert (credentials.access_key, credentials.token) == ("ASIAMEMBER", "token")


def test_an_endpoint_override_applies_to_that_client_only():
    module = FakeModule()
    regional = connection.new_client(module, "sts", endpoint_url="https://sts.eu-west-1.amazonaws.com")
    plain = connection.new_client(module, "sts")
    assert regional.meta.endpoint_url == "https://sts.eu-west-1.amazonaws.com"
    assert plain.meta.endpoint_url == "http://127.0.0.1:1"


def test_no_region_fails_naming_the_module():
    module = FakeModule(region=None, endpoint_url=None)
    with pytest.raises(Failed, match="ssoshift.identity_center.example module requires a region"):
        connection.new_client(module, "sso-admin")  # a Regional service (IAM's endpoint is global)


def test_a_profile_and_keys_together_are_refused_by_amazon_aws():
    module = FakeModule(profile="ops")
    with pytest.raises(Failed, match="Passing both a profile and access tokens is not supported"):
        connection.new_client(module, "iam")
