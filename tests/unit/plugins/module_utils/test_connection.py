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
def isolated_environment(monkeypatch, tmp_path):
    """No AWS setting of the machine running the tests reaches botocore."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
                 "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    return tmp_path


@pytest.fixture
def loaded(monkeypatch):
    """The paths of the JSON data files botocore parses (endpoints, service models) during the test."""
    import botocore.loaders

    paths = []
    load_file = botocore.loaders.JSONFileLoader.load_file

    def recording_load_file(self, file_path, *args, **kwargs):
        paths.append(file_path)
        return load_file(self, file_path, *args, **kwargs)

    monkeypatch.setattr(botocore.loaders.JSONFileLoader, "load_file", recording_load_file)
    return paths


def _parsed_once(loaded):
    """botocore parsed its endpoint data and the IAM model once (a session per client parses them for each)."""
    return (len([path for path in loaded if path.endswith("endpoints")]) == 1
            and len([path for path in loaded if "/iam/" in path and path.endswith("service-2")]) == 1)


def test_every_client_comes_from_one_session_with_the_module_options(loaded):
    module = FakeModule()
    clients = [connection.new_client(module, service) for service in ("sts", "iam", "organizations", "iam")]
    assert module in connection._connections
    assert _parsed_once(loaded)
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


def test_no_region_fails_naming_the_module_and_is_raised_where_a_thread_asks():
    import botocore.exceptions

    with pytest.raises(Failed, match="ssoshift.identity_center.example module requires a region"):
        connection.client_or_fail(FakeModule(region=None, endpoint_url=None), "sso-admin")  # a Regional service
    with pytest.raises(botocore.exceptions.NoRegionError):
        connection.new_client(FakeModule(region=None, endpoint_url=None), "sso-admin")


def test_a_profile_and_keys_together_are_refused_by_amazon_aws():
    module = FakeModule(profile="ops")
    with pytest.raises(Failed, match="Passing both a profile and access tokens is not supported"):
        connection.client_or_fail(module, "iam")


def test_a_profile_names_the_session_and_gives_the_credentials(isolated_environment):
    (isolated_environment / "config").write_text("[profile ops]\nregion = eu-central-1\n")
    (isolated_environment / "credentials").write_text(
        "[ops]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n")
    module = FakeModule(profile="ops", access_key=None, secret_key=None, region=None, endpoint_url=None)
    client = connection.client_or_fail(module, "sts")
    assert client._request_signer._credentials.access_key == "AKIDPROFILE"
    assert client.meta.region_name == "eu-central-1"


def test_clients_made_from_many_threads_share_the_session(loaded):
    from concurrent.futures import ThreadPoolExecutor

    module = FakeModule()
    with ThreadPoolExecutor(max_workers=8) as pool:
        clients = list(pool.map(lambda service: connection.new_client(module, service),
                                ["iam", "sts", "organizations", "account"] * 4))
    assert len(clients) == 16 and _parsed_once(loaded)
    assert {c.meta.region_name for c in clients} == {"eu-west-1"}
