"""Centralized root access (moto 5.2 lacks these IAM APIs; AWS's answers are encoded with Stubber)."""

import pytest

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.root_access import ensure_root_access

from .stubbed import stubbed_client


def test_enables_only_what_is_missing():
    iam, stubber = stubbed_client("iam")
    stubber.add_response("list_organizations_features", {"OrganizationId": "o-abcdefghij",
                                                         "EnabledFeatures": ["RootCredentialsManagement"]})
    stubber.add_response("enable_organizations_root_sessions", {"OrganizationId": "o-abcdefghij",
                                                                "EnabledFeatures": ["RootCredentialsManagement",
                                                                                    "RootSessions"]})
    result = ensure_root_access(iam, ["RootCredentialsManagement", "RootSessions"])
    assert result["changes"] == ["RootSessions"]
    assert result["enabled_features"] == ["RootCredentialsManagement", "RootSessions"]
    stubber.assert_no_pending_responses()


def test_no_change_and_check_mode_make_no_write():
    iam, stubber = stubbed_client("iam")
    stubber.add_response("list_organizations_features", {"EnabledFeatures": ["RootCredentialsManagement",
                                                                             "RootSessions"]})
    assert ensure_root_access(iam, ["RootCredentialsManagement", "RootSessions"])["changed"] is False
    stubber.add_response("list_organizations_features", {"EnabledFeatures": []})
    planned = ensure_root_access(iam, ["RootSessions"], check_mode=True)
    assert planned["changed"] is True and planned["changes"] == ["RootSessions"]
    stubber.assert_no_pending_responses()  # an enable call would have had no answer


def test_absent_disables_what_is_enabled():
    iam, stubber = stubbed_client("iam")
    stubber.add_response("list_organizations_features", {"EnabledFeatures": ["RootSessions"]})
    stubber.add_response("disable_organizations_root_sessions", {"EnabledFeatures": []})
    result = ensure_root_access(iam, ["RootCredentialsManagement", "RootSessions"], state="absent")
    assert result["changes"] == ["RootSessions"] and result["enabled_features"] == []


def test_missing_trusted_access_says_what_to_do():
    # AWS answers ServiceAccessNotEnabledException until iam.amazonaws.com has trusted access.
    iam, stubber = stubbed_client("iam")
    stubber.add_client_error("list_organizations_features", service_error_code="ServiceAccessNotEnabledException",
                             http_status_code=400)
    with pytest.raises(SsoShiftError, match="trusted access for iam.amazonaws.com is not enabled"):
        ensure_root_access(iam, ["RootSessions"])


def test_endpoint_without_the_api_is_reported_not_skipped():
    # Local emulators (moto 5.2) answer 501 for these IAM calls; the result says so.
    iam, stubber = stubbed_client("iam")
    stubber.add_client_error("list_organizations_features", service_error_code="NotImplemented",
                             http_status_code=501)
    result = ensure_root_access(iam, ["RootSessions"])
    assert result["supported"] is False and result["changed"] is False
    assert "does not implement iam:ListOrganizationsFeatures" in result["msg"]


def test_access_denied_is_not_mistaken_for_a_missing_api():
    iam, stubber = stubbed_client("iam")
    stubber.add_client_error("list_organizations_features", service_error_code="AccessDenied", http_status_code=403)
    with pytest.raises(Exception, match="AccessDenied"):
        ensure_root_access(iam, ["RootSessions"])


def test_check_mode_before_trusted_access_plans_both_features_instead_of_failing():
    iam, stubber = stubbed_client("iam")
    stubber.add_client_error("list_organizations_features", service_error_code="ServiceAccessNotEnabledException",
                             http_status_code=400)
    result = ensure_root_access(iam, ["RootSessions", "RootCredentialsManagement"], check_mode=True)
    assert result["changed"] and result["changes"] == ["RootCredentialsManagement", "RootSessions"]
    assert "trusted access for iam.amazonaws.com is not enabled yet" in result["msg"]
