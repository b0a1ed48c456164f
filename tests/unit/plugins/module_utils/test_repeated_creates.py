"""A create repeated after its answer was lost (the retry policy sends it again after a dropped connection): IAM
answers EntityAlreadyExists. The role or OIDC provider that carries the collection's mark is the first create's and
is converged from what is there; any other is refused with IAM's error (botocore Stubber: the sandbox cannot drop
an answer after applying the write in these unit tests)."""

import datetime
import json

import pytest
from botocore.exceptions import ClientError

from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_roles import apply_role
from ansible_collections.ssoshift.identity_center.plugins.module_utils.iam_roles import plan_role
from ansible_collections.ssoshift.identity_center.plugins.module_utils.oidc_provider import OidcProviders

from .stubbed import stubbed_client

TRUST = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole"}]}
DESIRED = {"name": "deploy", "trust_policy": TRUST, "description": "CI/CD", "max_session_duration": 3600,
           "permissions_boundary": "", "managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
           "inline_policies": {}, "tags": {"team": "platform"}}
ARN = "arn:aws:iam::222222222222:role/deploy"
MARK = {"Key": "managed-by", "Value": "ssoshift.identity_center"}


def _role_read(stubber, tags, managed):
    created = datetime.datetime(2026, 11, 30, tzinfo=datetime.timezone.utc)
    stubber.add_response("get_role", {"Role": {
        "RoleName": "deploy", "Arn": ARN, "Path": "/", "RoleId": "AROAEXAMPLEEXAMPLE1", "CreateDate": created,
        "AssumeRolePolicyDocument": json.dumps(TRUST), "Description": "CI/CD", "MaxSessionDuration": 3600,
        "Tags": tags}})
    stubber.add_response("list_role_policies", {"PolicyNames": [], "IsTruncated": False})
    stubber.add_response("list_attached_role_policies", {"AttachedPolicies": [
        {"PolicyArn": arn, "PolicyName": arn.rsplit("/", 1)[-1]} for arn in managed], "IsTruncated": False})


def test_a_role_created_by_the_lost_answer_is_converged_from_what_is_there():
    iam, stubber = stubbed_client("iam")
    stubber.add_client_error("create_role", service_error_code="EntityAlreadyExists", http_status_code=409)
    # The first CreateRole went through with its tags (the mark and the model's), before its policy was attached.
    _role_read(stubber, [MARK, {"Key": "team", "Value": "platform"}], managed=[])
    stubber.add_response("attach_role_policy", {}, {"RoleName": "deploy",
                                                    "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
    assert apply_role(iam, DESIRED, None, plan_role(DESIRED, None)) == ARN
    stubber.assert_no_pending_responses()


def test_a_role_of_the_same_name_without_the_mark_is_refused_with_iams_error():
    iam, stubber = stubbed_client("iam")
    stubber.add_client_error("create_role", service_error_code="EntityAlreadyExists", http_status_code=409)
    _role_read(stubber, [{"Key": "team", "Value": "platform"}], managed=[])
    with pytest.raises(ClientError, match="EntityAlreadyExists"):
        apply_role(iam, DESIRED, None, plan_role(DESIRED, None))
    stubber.assert_no_pending_responses()  # nothing written to a role the collection did not create


PROVIDER = "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com"
WANTED = {"url": "https://token.actions.githubusercontent.com", "client_ids": ["sts.amazonaws.com"],
          "thumbprints": None, "tags": {"managed-by": "ssoshift.identity_center"}}


def _provider_read(stubber, tags, client_ids):
    stubber.add_response("list_open_id_connect_providers", {"OpenIDConnectProviderList": [{"Arn": PROVIDER}]})
    stubber.add_response("get_open_id_connect_provider", {
        "Url": "token.actions.githubusercontent.com", "ClientIDList": client_ids, "ThumbprintList": [], "Tags": tags})


def test_an_oidc_provider_created_by_the_lost_answer_is_taken_as_created():
    iam, stubber = stubbed_client("iam")
    stubber.add_client_error("create_open_id_connect_provider", service_error_code="EntityAlreadyExists",
                             http_status_code=409)
    _provider_read(stubber, [MARK], ["sts.amazonaws.com"])
    assert OidcProviders(iam).create(WANTED) == PROVIDER
    stubber.assert_no_pending_responses()  # already as desired: no further write


def test_an_oidc_provider_without_the_mark_is_refused_with_iams_error():
    iam, stubber = stubbed_client("iam")
    stubber.add_client_error("create_open_id_connect_provider", service_error_code="EntityAlreadyExists",
                             http_status_code=409)
    _provider_read(stubber, [], ["sts.amazonaws.com", "other"])
    with pytest.raises(ClientError, match="EntityAlreadyExists"):
        OidcProviders(iam).create(WANTED)
    stubber.assert_no_pending_responses()


def test_a_marked_provider_found_instead_keeps_the_audiences_and_tags_of_other_pipelines():
    # Another run created it meanwhile with another audience and tag: the multi-account phases never take any away.
    iam, stubber = stubbed_client("iam")
    stubber.add_client_error("create_open_id_connect_provider", service_error_code="EntityAlreadyExists",
                             http_status_code=409)
    _provider_read(stubber, [MARK, {"Key": "team", "Value": "other"}], ["https://github.com/other-org"])
    stubber.add_response("add_client_id_to_open_id_connect_provider", {},
                         {"OpenIDConnectProviderArn": PROVIDER, "ClientID": "sts.amazonaws.com"})
    assert OidcProviders(iam).create(WANTED) == PROVIDER
    stubber.assert_no_pending_responses()  # no RemoveClientIDFromOpenIDConnectProvider, no UntagOpenIDConnectProvider


def test_a_marked_role_on_a_reserved_path_is_still_refused():
    iam, stubber = stubbed_client("iam")
    stubber.add_client_error("create_role", service_error_code="EntityAlreadyExists", http_status_code=409)
    created = datetime.datetime(2026, 11, 30, tzinfo=datetime.timezone.utc)
    stubber.add_response("get_role", {"Role": {
        "RoleName": "deploy", "Arn": ARN, "Path": "/aws-service-role/", "RoleId": "AROAEXAMPLEEXAMPLE1",
        "CreateDate": created, "AssumeRolePolicyDocument": json.dumps(TRUST), "Tags": [MARK]}})
    stubber.add_response("list_role_policies", {"PolicyNames": [], "IsTruncated": False})
    stubber.add_response("list_attached_role_policies", {"AttachedPolicies": [], "IsTruncated": False})
    with pytest.raises(ClientError, match="EntityAlreadyExists"):
        apply_role(iam, DESIRED, None, plan_role(DESIRED, None))
    stubber.assert_no_pending_responses()
