# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One boto3 session per module run, and every client of the run made from it.

amazon.aws's `AnsibleAWSModule.client` (`boto3_conn`) builds a new boto3 session for each client, and each new
session makes botocore read its endpoint data, list its service models and parse the service's model again: 50 to
100 ms of CPU per client (botocore 1.44 on the 2-core development machines), where a client of a session that has
already loaded them costs 3 to 10 ms. This collection's modules make several clients each (STS, Organizations,
sso-admin, identitystore, IAM, Account Management, and one per member account through `accounts.AccountSessions`),
so they make them all from one session.

The connection options are amazon.aws's own, read by its `get_aws_connection_info` (region, endpoint_url,
access_key / secret_key / session_token or profile, validate_certs, aws_ca_bundle, aws_config), and the client is
built as `boto3_conn` builds it: the profile names the session, explicit credentials and `verify` go to the client,
`aws_config` is merged into the client's botocore Config. The user agent names this collection
(`user_agent_extra`). boto3 sessions are not thread-safe (boto3's guide, "Multithreading or multiprocessing with
clients"), so clients are made under one lock; the clients themselves are.

Errors: no region anywhere (NoRegionError) fails the module naming it, as `boto3_conn` does; any other
BotoCoreError or ValueError while building the client fails it through `fail_json_aws`.
"""

import threading

from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info

try:
    import boto3
    import botocore
    from botocore.config import Config
except ImportError:
    pass  # handled by AnsibleAWSModule

USER_AGENT_EXTRA = "ssoshift.identity_center"

_lock = threading.Lock()
_sessions = {}  # profile name (or None) -> boto3.session.Session, for this process (one module run)


def session(module):
    """(boto3 Session, keyword arguments for Session.client, the module's own credentials) of the module's connection
    options. The keyword arguments hold region_name, endpoint_url, config and verify; the credentials
    (aws_access_key_id, aws_secret_access_key, aws_session_token) are the module's options, None where unset (the
    profile's or botocore's chain then)."""
    region, endpoint, params = get_aws_connection_info(module)
    profile = params.get("profile_name") or None
    config = Config(user_agent_extra=USER_AGENT_EXTRA)
    if params.get("aws_config") is not None:
        config = config.merge(params["aws_config"])
    own = {key: params.get(key) for key in ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")}
    with _lock:
        if profile not in _sessions:
            _sessions[profile] = boto3.session.Session(profile_name=profile)
        return _sessions[profile], dict(region_name=region, endpoint_url=endpoint, config=config,
                                        verify=params.get("verify")), own


def new_client(module, service, endpoint_url=None, **credentials):
    """A boto3 client of `service` from the module run's session (see `session`).

    credentials: aws_access_key_id, aws_secret_access_key, aws_session_token (assumed-role ones); none given, the
    module's own. endpoint_url overrides the module's (a Regional STS endpoint)."""
    boto_session, connection, own = session(module)
    if endpoint_url:
        connection["endpoint_url"] = endpoint_url
    try:
        with _lock:
            return boto_session.client(service, **connection, **(credentials or own))
    except botocore.exceptions.NoRegionError:
        module.fail_json(msg=f"The {module._name} module requires a region and none was found in configuration, "
                             "environment variables or module parameters")
    except (ValueError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg="Couldn't connect to AWS")
