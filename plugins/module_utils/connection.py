# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One boto3 session per module run, and every client of the run made from it.

amazon.aws's `AnsibleAWSModule.client` (`boto3_conn`) builds a new boto3 session for each client, and each new
session makes botocore read its endpoint data, list its service models and parse the service's model again: 50 to
100 ms of CPU per client (botocore 1.44 on the 2-core development machines), where a client of a session that has
already loaded them costs 3 to 10 ms. This collection's modules make several clients each (STS, Organizations,
sso-admin, identitystore, IAM, Account Management, and one per member account through `accounts.AccountSessions`),
so they make them all from one session, kept for the module object (a weak reference: nothing outlives the module).

The connection options are amazon.aws's own, read once per module by its `get_aws_connection_info` (region,
endpoint_url, access_key / secret_key / session_token or profile, validate_certs, aws_ca_bundle, aws_config): the
profile names the session, explicit credentials and `verify` go to each client, `aws_config` is merged into the
client's botocore Config. Unlike `boto3_conn`, the user agent names this collection (`user_agent_extra`) rather than
amazon.aws, and amazon.aws's placebo recorder (its own tests' tool) is not attached. boto3 sessions are not
thread-safe (boto3's guide, "Multithreading or multiprocessing with clients"), so clients are made under one lock;
the clients themselves are thread-safe.

Errors: `new_client` raises botocore's (NoRegionError, other BotoCoreError, ValueError), so that a worker thread
of `accounts.for_each_account` records them as its account's failure; `client_or_fail`, for the module's main
thread, fails the module with them as `boto3_conn` does.
"""

import threading
import weakref

from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info

try:
    import boto3
    import botocore
    from botocore.config import Config
except ImportError:
    pass  # handled by AnsibleAWSModule

USER_AGENT_EXTRA = "ssoshift.identity_center"

_lock = threading.Lock()
_connections = weakref.WeakKeyDictionary()  # module -> (boto3 Session, client keyword arguments, own credentials)


def session(module):
    """(boto3 Session, keyword arguments for Session.client, the module's own credentials) of the module's connection
    options, worked out on the module's first call. The keyword arguments hold region_name, endpoint_url, config and
    verify; the credentials (aws_access_key_id, aws_secret_access_key, aws_session_token) are the module's options,
    None where unset (the profile's or botocore's chain then)."""
    with _lock:
        known = _connections.get(module)
    if known is None:
        region, endpoint, params = get_aws_connection_info(module)
        config = Config(user_agent_extra=USER_AGENT_EXTRA)
        if params.get("aws_config") is not None:
            config = config.merge(params["aws_config"])
        own = {key: params.get(key) for key in ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")}
        connection = dict(region_name=region, endpoint_url=endpoint, config=config, verify=params.get("verify"))
        with _lock:
            if module not in _connections:
                _connections[module] = (boto3.session.Session(profile_name=params.get("profile_name") or None),
                                        connection, own)
            known = _connections[module]
    boto_session, connection, own = known
    return boto_session, dict(connection), own


def new_client(module, service, endpoint_url=None, **credentials):
    """A boto3 client of `service` from the module run's session (see `session`); botocore's errors are raised.

    credentials: aws_access_key_id, aws_secret_access_key, aws_session_token (assumed-role ones); none given, the
    module's own. endpoint_url overrides the module's (a Regional STS endpoint)."""
    boto_session, connection, own = session(module)
    if endpoint_url:
        connection["endpoint_url"] = endpoint_url
    with _lock:
        return boto_session.client(service, **connection, **(credentials or own))


def client_or_fail(module, service, endpoint_url=None):
    """new_client with the module's own credentials, failing the module on botocore's errors as amazon.aws's
    boto3_conn does (for the module's main thread only: fail_json exits)."""
    try:
        return new_client(module, service, endpoint_url=endpoint_url)
    except botocore.exceptions.NoRegionError:
        module.fail_json(msg=f"The {module._name} module requires a region and none was found in configuration, "
                             "environment variables or module parameters")
    except (ValueError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg="Couldn't connect to AWS")
