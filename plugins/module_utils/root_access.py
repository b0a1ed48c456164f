# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Centralized root access for member accounts (IAM organizations features).

With RootCredentialsManagement the management account can remove member accounts' root
credentials and keep them from being recovered; with RootSessions it can run the few tasks that
need root in a member account through short privileged sessions. Root credentials themselves
are never read or stored here.
"""

try:
    from botocore.exceptions import ClientError
    from botocore.parsers import ResponseParserError
except ImportError:
    ClientError = ResponseParserError = RuntimeError  # AnsibleAWSModule reports missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import endpoint_lacks

FEATURES = {
    "RootCredentialsManagement": ("enable_organizations_root_credentials_management",
                                  "disable_organizations_root_credentials_management"),
    "RootSessions": ("enable_organizations_root_sessions", "disable_organizations_root_sessions"),
}

_PREREQUISITES = {
    "ServiceAccessNotEnabledException": (
        "trusted access for iam.amazonaws.com is not enabled in AWS Organizations; "
        "enable it first (module organization, trusted_services: [iam.amazonaws.com])"),
    "OrganizationNotInAllFeaturesModeException": "the organization does not have all features enabled",
    "OrganizationNotFoundException": "the account is not in an organization",
    "AccountNotManagementOrDelegatedAdministratorException": (
        "the caller is a member account: only the management account can enable or disable these features (the IAM "
        "delegated administrator can only read them); run it with the management account's credentials"),
    "CallerIsNotManagementAccountException": (
        "the caller is the IAM delegated administrator, which can read these features but not change them; run it "
        "with the management account's credentials"),
}
# IAM API reference (Enable/DisableOrganizationsRootCredentialsManagement, Enable/DisableOrganizationsRootSessions):
# only the management account changes the features; the IAM delegated administrator gets
# CallerIsNotManagementAccountException. Checked before the first write (check mode too), so the plan says so.
ONLY_MANAGEMENT_CHANGES = (
    "centralized root access: the caller ({caller}) is not the management account ({management}); only the management "
    "account can {verb} {features} (the IAM delegated administrator can only read them: "
    "CallerIsNotManagementAccountException). Run it with the management account's credentials; nothing was changed")


def is_prerequisite(error):
    return getattr(error, "response", {}).get("Error", {}).get("Code") in _PREREQUISITES


def _explain(error):
    code = error.response.get("Error", {}).get("Code")
    if code in _PREREQUISITES:
        return SsoShiftError(f"centralized root access: {_PREREQUISITES[code]} ({code})")
    return None


def ensure_root_access(iam, features, state="present", check_mode=False, member_caller=None):
    """Enable (present) or disable (absent) the given features; returns the result dict.

    An endpoint without the IAM organizations-features API (local emulators; AWS has it
    everywhere) gives supported=false and the reason, so a caller can report it rather than stop.
    member_caller: a callable, called once when there is something to change, before any write (check mode too),
    returning (caller account ID, management account ID) when the caller is a member account, else None; a member
    account is refused with SsoShiftError (ONLY_MANAGEMENT_CHANGES). A caller AWS does not let read the features gets
    SsoShiftError naming the prerequisite (_PREREQUISITES).
    """
    try:
        enabled = set(iam.list_organizations_features(aws_retry=True).get("EnabledFeatures", []))
    except (ClientError, ResponseParserError) as error:
        code = getattr(error, "response", {}).get("Error", {}).get("Code")
        if check_mode and state == "present" and code == "ServiceAccessNotEnabledException":
            # In check mode the organization phase only plans trusted access for iam.amazonaws.com; once it is
            # enabled, both features would be. Say so rather than fail the plan.
            changes = sorted(set(features))
            return {"changed": True, "supported": True, "changes": changes, "enabled_features": changes,
                    "msg": "trusted access for iam.amazonaws.com is not enabled yet (the organization phase enables "
                           "it); then these features would be enabled",
                    "diff": {"before": {"enabled_features": []}, "after": {"enabled_features": changes}}}
        if not endpoint_lacks(error) or is_prerequisite(error):
            raise _explain(error) or error
        return {"changed": False, "supported": False, "changes": [], "enabled_features": [],
                "msg": "the endpoint does not implement iam:ListOrganizationsFeatures; "
                       "centralized root access was not checked or changed"}
    wanted = set(features)
    changes = sorted(wanted - enabled) if state == "present" else sorted(wanted & enabled)
    member = member_caller() if changes and member_caller else None
    if member:
        raise SsoShiftError(ONLY_MANAGEMENT_CHANGES.format(caller=member[0], management=member[1],
                                                           verb="enable" if state == "present" else "disable",
                                                           features=" and ".join(changes)))
    try:
        if not check_mode:
            for feature in changes:
                method = FEATURES[feature][0 if state == "present" else 1]
                getattr(iam, method)(aws_retry=True)
    except is_boto3_error_code(list(_PREREQUISITES)) as error:
        raise _explain(error) from error
    after = enabled | set(changes) if state == "present" else enabled - set(changes)
    return {"changed": bool(changes), "supported": True, "changes": changes, "enabled_features": sorted(after),
            "diff": {"before": {"enabled_features": sorted(enabled)}, "after": {"enabled_features": sorted(after)}}}
