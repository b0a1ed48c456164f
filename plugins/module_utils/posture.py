# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Security posture of one account: checks with a stable ID, a status and the evidence.

`assess` is pure (the unit tests reach it); `gather` makes the reads. Each check names the
matching Prowler check and AWS Security Hub control where one exists (None where none does).
"""

import csv
import datetime
import io
import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import endpoint_lacks
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import paginate

try:
    import botocore
    import botocore.parsers
except ImportError:
    pass  # handled by AnsibleAWSModule

ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
# The credential report says "not there" in several ways.
_ABSENT = {"N/A", "not_supported", "no_information", ""}

CHECKS = {
    "root_mfa": ("Root user has MFA", "iam_root_mfa_enabled", "IAM.9"),
    "root_no_access_keys": ("Root user has no access keys", "iam_no_root_access_key", "IAM.4"),
    "root_hardware_mfa": ("Root user MFA is a hardware device", "iam_root_hardware_mfa_enabled", "IAM.6"),
    "centralized_root_access": ("Centralized root access for member accounts", None, None),
    "password_policy": ("IAM password policy requires 14 or more characters", "iam_password_policy_minimum_length_14",
                        "IAM.15"),
    "no_console_users": ("No IAM user signs in to the console", None, None),
    "no_active_access_keys": ("No IAM user has an active access key", None, None),
    "no_admin_users": ("No IAM user holds AdministratorAccess", "iam_user_administrator_access_policy", None),
    "no_user_attached_policies": ("No IAM user has policies attached directly",
                                  "iam_policy_attached_only_to_group_or_roles", "IAM.2"),
    "no_unused_credentials": ("No credential unused for longer than the window", "iam_user_accesskey_unused",
                              "IAM.22"),
    "security_contact": ("Security alternate contact is set", "account_security_contact_information_is_registered",
                         "Account.1"),
    "identity_center_in_use": ("IAM Identity Center is enabled", None, None),
}


def _value(text):
    if text in _ABSENT:
        return None
    if text in ("true", "false"):
        return text == "true"
    return text


def parse_credential_report(content):
    """Rows of the credential report (CSV), with its quirks (N/A, not_supported, no_information) as None."""
    if isinstance(content, bytes):
        content = content.decode("utf-8")
    return [{key: _value(value) for key, value in row.items()} for row in csv.DictReader(io.StringIO(content))]


def _age_days(stamp, now):
    moment = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return (now - moment).total_seconds() / 86400


def summarize(checks):
    """{pass, fail, unknown}: how many checks have each status."""
    return {status: sum(1 for c in checks if c["status"] == status) for status in ("pass", "fail", "unknown")}


def blocking_findings(accounts, fail_on):
    """['prod: no_active_access_keys', ...]: the checks of `fail_on` that fail, per account ({account_name, checks}).
    An unknown check ID in fail_on is an SsoShiftError (a typo would make the gate silently pass)."""
    unknown = sorted(set(fail_on or []) - set(CHECKS))
    if unknown:
        raise SsoShiftError(f"fail_on: unknown check ID(s) {', '.join(repr(u) for u in unknown)} (expected some of "
                            f"{', '.join(sorted(CHECKS))})")
    return [f"{account['account_name']}: {check['id']}" for account in accounts for check in account["checks"]
            if check["id"] in (fail_on or []) and check["status"] == "fail"]


# What to do when a check fails: the console step where no API can do it (the management account's root MFA), or
# the phase and setting that fixes it.
REMEDIATION = {
    "root_mfa": "Sign in to the AWS console as the account's root user (the management account: nobody else can), "
                "open Security credentials in the account menu, choose Assign MFA device and register a hardware security key or "
                "an authenticator app. No API does this. For member accounts, remove the root credentials centrally "
                "instead (root phase, root_account_remove_member_root_credentials).",
    "root_hardware_mfa": "As the root user, in Security credentials, replace the virtual MFA device with a FIDO2 "
                         "security key or a hardware TOTP token (console only).",
    "root_no_access_keys": "Delete the root user's access keys: for member accounts centrally (root phase, "
                           "root_account_remove_member_root_credentials); for the management account as its root "
                           "user in Security credentials.",
    "centralized_root_access": "Enable trusted access for iam.amazonaws.com and both features (root phase, "
                               "root_account_centralize_root_access).",
    "password_policy": "Set the IAM password policy (root phase, root_account_manage_password_policy).",
    "no_console_users": "Retire the IAM users who sign in to the console (legacy_iam_users, retire phase); people "
                        "sign in through the IAM Identity Center access portal.",
    "no_active_access_keys": "Replace pipelines' keys with OIDC roles (automation_roles) and retire the users "
                             "(legacy_iam_users).",
    "no_admin_users": "Retire the IAM users holding AdministratorAccess (legacy_iam_users); administrators use a "
                      "permission set.",
    "no_user_attached_policies": "Retire the IAM users (legacy_iam_users) or move their policies to groups.",
    "no_unused_credentials": "Deactivate or delete the unused credentials (legacy_iam_users retires their users).",
    "security_contact": "Set the security alternate contact (alternate_contacts.security, root phase).",
    "identity_center_in_use": "Enable an organization instance of IAM Identity Center in the management account's "
                              "console (no API creates one).",
}


def _check(check_id, status, evidence):
    title, prowler, security_hub = CHECKS[check_id]
    return {"id": check_id, "title": title, "status": status, "evidence": evidence, "prowler": prowler,
            "security_hub": security_hub, "remediation": REMEDIATION.get(check_id)}


def _credential_uses(users, unused_days, now):
    """(active access keys, credentials unused for longer than unused_days) from credential report rows."""
    active, unused = [], []
    for row in users:
        for key in ("1", "2"):
            if row.get(f"access_key_{key}_active"):
                last = row.get(f"access_key_{key}_last_used_date")
                active.append({"user": row["user"], "key": int(key), "last_used": last})
                since = last or row.get(f"access_key_{key}_last_rotated")
                if since and _age_days(since, now) > unused_days:
                    unused.append({"user": row["user"], "credential": f"access key {key}", "since": since})
        if row.get("password_enabled"):
            since = row.get("password_last_used") or row.get("user_creation_time")
            if since and _age_days(since, now) > unused_days:
                unused.append({"user": row["user"], "credential": "console password", "since": since})
    return active, unused


def assess(facts, unused_days=45, now=None):
    """Checks from gathered facts. A fact that could not be read (None) makes its check 'unknown'."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    summary = facts["account_summary"]
    report = facts["credential_report"]
    users = [row for row in report or [] if row["user"] != "<root_account>"]
    checks = []

    root = facts.get("root_credentials")
    if root is not None and not root["any"]:
        # Centralized root access removed (or never gave) the member account's root credentials: no password to
        # protect with MFA, no key, nothing to sign in with. AWS's answer for member accounts.
        evidence = {"root_credentials": "none: the member account's root user has no password, access key, signing "
                                        "certificate or MFA device (centralized root access)"}
        checks.append(_check("root_mfa", "pass", evidence))
        checks.append(_check("root_no_access_keys", "pass", evidence))
        checks.append(_check("root_hardware_mfa", "pass", evidence))
    else:
        mfa = summary.get("AccountMFAEnabled") == 1 if root is None else root["mfa_devices"] > 0
        evidence = {"AccountMFAEnabled": summary.get("AccountMFAEnabled")} if root is None else {"root_credentials": root}
        checks.append(_check("root_mfa", "pass" if mfa else "fail", evidence))
        keys = summary.get("AccountAccessKeysPresent", 0) if root is None else root["access_keys"]
        checks.append(_check("root_no_access_keys", "pass" if keys == 0 else "fail",
                             {"AccountAccessKeysPresent": keys} if root is None else {"root_credentials": root}))
        virtual_root = [d for d in facts["virtual_mfa_devices"]
                        if d.get("SerialNumber", "").endswith(":mfa/root-account-mfa-device")
                        or (d.get("User") or {}).get("Arn", "").endswith(":root")]
        checks.append(_check("root_hardware_mfa", "pass" if mfa and not virtual_root else "fail",
                             {"mfa_enabled": mfa, "virtual_root_devices": [d["SerialNumber"] for d in virtual_root]}))

    features = facts["organizations_features"]
    if features is None:
        checks.append(_check("centralized_root_access", "unknown", {"reason": facts["unknown"].get(
            "organizations_features", "not readable")}))
    else:
        evidence = {"enabled_features": sorted(features)}
        if facts["unknown"].get("organizations_features"):
            evidence["reason"] = facts["unknown"]["organizations_features"]
        checks.append(_check("centralized_root_access",
                             "pass" if {"RootCredentialsManagement", "RootSessions"} <= set(features) else "fail",
                             evidence))

    policy = facts["password_policy"]
    length = (policy or {}).get("MinimumPasswordLength", 0)
    checks.append(_check("password_policy", "pass" if length >= 14 else "fail",
                         {"MinimumPasswordLength": length if policy else None, "policy_exists": policy is not None}))

    console = sorted(row["user"] for row in users if row.get("password_enabled"))
    active, unused = _credential_uses(users, unused_days, now)
    by_report = {
        "no_console_users": ("fail" if console else "pass", {"users": console}),
        "no_active_access_keys": ("fail" if active else "pass", {"access_keys": active}),
        "no_unused_credentials": ("fail" if unused else "pass", {"unused_days": unused_days, "credentials": unused}),
    }

    def from_report(check_id):
        if report is None:
            return _check(check_id, "unknown", {"reason": facts["unknown"].get(
                "credential_report", "the IAM credential report was not readable")})
        return _check(check_id, *by_report[check_id])

    checks.append(from_report("no_console_users"))
    checks.append(from_report("no_active_access_keys"))
    checks.append(_check("no_admin_users", "fail" if facts["admin_users"] else "pass",
                         {"users": sorted(facts["admin_users"])}))
    checks.append(_check("no_user_attached_policies", "fail" if facts["users_with_attached_policies"] else "pass",
                         {"users": sorted(facts["users_with_attached_policies"])}))
    checks.append(from_report("no_unused_credentials"))

    contact = facts["security_contact"]
    if contact is None and "security_contact" in facts["unknown"]:
        checks.append(_check("security_contact", "unknown", {"reason": facts["unknown"]["security_contact"]}))
    else:
        checks.append(_check("security_contact", "pass" if contact else "fail", {"contact": contact}))
    instances = facts["identity_center_instances"]
    if instances is None:
        checks.append(_check("identity_center_in_use", "unknown", {"reason": facts["unknown"].get(
            "identity_center_instances", "not readable")}))
    else:
        checks.append(_check("identity_center_in_use", "pass" if instances else "fail", {"instances": instances}))
    return checks


def _credential_report(iam, timeout=60, sleep=time.sleep, clock=time.monotonic):
    """Rows of a fresh credential report. GenerateCredentialReport answers STARTED, then INPROGRESS, then
    COMPLETE (IAM makes at most one every four hours and returns the last one meanwhile). A report still not
    COMPLETE after `timeout` seconds raises SsoShiftError (never TimeoutError): its checks are then unknown."""
    deadline = clock() + timeout
    while iam.generate_credential_report(aws_retry=True)["State"] != "COMPLETE":
        if clock() > deadline:
            raise SsoShiftError(f"the IAM credential report was not ready after {timeout}s")
        sleep(1)
    return parse_credential_report(iam.get_credential_report(aws_retry=True)["Content"])


# IAM's answers that leave the credential report unreadable for this run (IAM API reference, GenerateCredentialReport
# and GetCredentialReport): its checks are unknown, with the reason, and the other checks are still read.
_REPORT_ANSWERS = {
    "ReportInProgress": "the IAM credential report was still being generated (ReportInProgress); run again",
    "ReportExpired": "the IAM credential report had expired before it was read (ReportExpired); run again",
    "ReportNotPresent": "IAM had no credential report to return (ReportNotPresent); run again",
    "LimitExceeded": "IAM refused to generate a credential report (LimitExceeded); run again later",
}


_MEMBER_CALLER = "AccountNotManagementOrDelegatedAdministratorException"
# ListInstances shows the organization instance only to the management account and Identity Center's delegated
# administrator: the empty list another member account gets says nothing about Identity Center being in use.
_NOT_ADMINISTERING = ("this member account does not administer IAM Identity Center, and AWS shows the organization "
                      "instance only to the management account and to Identity Center's delegated administrator (an "
                      "empty ListInstances here says nothing); account_security_info with accounts reads it from there")
# What an organization-level read answers where it is not allowed or not set up, and what it means.
# AWS IAM API reference, ListOrganizationsFeatures: only the management account or the IAM delegated
# administrator may call it; it needs trusted access for iam.amazonaws.com and an organization with all
# features. Without trusted access, centralized root access cannot be enabled: the check fails, with why.
_FEATURES_ANSWERS = {
    _MEMBER_CALLER: (
        None, "only the management account or the IAM delegated administrator can read it "
              "(AccountNotManagementOrDelegatedAdministratorException); account_security_info with accounts reads "
              "it once from there for every account"),
    "ServiceAccessNotEnabledException": (
        [], "trusted access for iam.amazonaws.com is not enabled in AWS Organizations "
            "(ServiceAccessNotEnabledException): enable it (the organization phase does), then the two features"),
    "OrganizationNotInAllFeaturesModeException": (
        [], "the organization does not have all features enabled (OrganizationNotInAllFeaturesModeException)"),
    "OrganizationNotFoundException": ([], "the account is not in an organization (OrganizationNotFoundException)"),
    "AWSOrganizationsNotInUseException": ([], "the account is not in an organization (AWSOrganizationsNotInUseException)"),
}


def _optional(facts, name, read, answers=None):
    """read(), or None (with the reason in facts["unknown"]) when the caller may not make the read or the
    endpoint lacks it; `answers` maps other error codes to (value, reason)."""
    try:
        return read()
    except (botocore.exceptions.ClientError, botocore.parsers.ResponseParserError) as error:
        if endpoint_lacks(error):
            facts["unknown"][name] = "the endpoint does not implement this read"
            return None
        code = error.response.get("Error", {}).get("Code") if hasattr(error, "response") else None
        if code in (answers or {}):
            value, reason = answers[code]
            facts["unknown"][name] = reason
            return value
        if code in ("AccessDenied", "AccessDeniedException"):
            facts["unknown"][name] = f"access denied ({code})"
            return None
        raise


def gather_organization(iam, sso_admin):
    """The organization-level facts, read once from the caller (the management account or a delegated
    administrator): IAM's organizations features and the Identity Center instances."""
    facts = {"unknown": {}}
    facts["organizations_features"] = _optional(
        facts, "organizations_features", lambda: iam.list_organizations_features(aws_retry=True)["EnabledFeatures"],
        _FEATURES_ANSWERS)
    facts["identity_center_instances"] = _optional(
        facts, "identity_center_instances",
        lambda: [i["InstanceArn"] for i in paginate(sso_admin, "list_instances", "Instances")])
    if facts["identity_center_instances"] == [] and (facts["unknown"].get("organizations_features")
                                                     == _FEATURES_ANSWERS[_MEMBER_CALLER][1]):
        # IAM just said the caller is a member account (neither the management account nor IAM's delegated
        # administrator), and it sees no instance: not administering Identity Center, not "Identity Center unused".
        facts["identity_center_instances"] = None
        facts["unknown"]["identity_center_instances"] = _NOT_ADMINISTERING
    return facts


def gather_account(iam, account=None, read_contact=None):
    """The facts of one account, read with that account's own credentials (`iam`). The security contact comes from
    `read_contact(contact_type)` (GetAlternateContact's answer; accounts.AccountSessions.get_alternate_contact reads
    every account's from the caller where AWS allows it), else from the `account` client inside the account."""
    if read_contact is None:
        def read_contact(contact_type):
            return account.get_alternate_contact(AlternateContactType=contact_type, aws_retry=True)
    facts = {"unknown": {}}
    facts["account_summary"] = iam.get_account_summary(aws_retry=True)["SummaryMap"]
    try:
        facts["credential_report"] = _credential_report(iam)
    except SsoShiftError as error:
        facts["credential_report"] = None
        facts["unknown"]["credential_report"] = str(error)
    except is_boto3_error_code(list(_REPORT_ANSWERS)) as error:
        facts["credential_report"] = None
        facts["unknown"]["credential_report"] = _REPORT_ANSWERS[error.response["Error"]["Code"]]
    facts["virtual_mfa_devices"] = paginate(iam, "list_virtual_mfa_devices", "VirtualMFADevices",
                                            AssignmentStatus="Assigned")
    try:
        facts["password_policy"] = iam.get_account_password_policy(aws_retry=True)["PasswordPolicy"]
    except is_boto3_error_code("NoSuchEntity"):
        facts["password_policy"] = None
    admin, attached, names = [], [], []
    group_policies_of = {}  # users share groups: read each group's policies once
    for user in paginate(iam, "list_users", "Users"):
        name = user["UserName"]
        names.append(name)
        policies = [p["PolicyArn"] for p in paginate(iam, "list_attached_user_policies", "AttachedPolicies",
                                                     UserName=name)]
        inline = paginate(iam, "list_user_policies", "PolicyNames", UserName=name)
        if policies or inline:
            attached.append(name)
        group_policies = []
        for group in paginate(iam, "list_groups_for_user", "Groups", UserName=name):
            if group["GroupName"] not in group_policies_of:
                group_policies_of[group["GroupName"]] = [p["PolicyArn"] for p in paginate(
                    iam, "list_attached_group_policies", "AttachedPolicies", GroupName=group["GroupName"])]
            group_policies += group_policies_of[group["GroupName"]]
        if ADMINISTRATOR_ACCESS in policies + group_policies:
            admin.append(name)
    facts["admin_users"], facts["users_with_attached_policies"], facts["iam_users"] = admin, attached, names

    def contact():
        try:
            found = read_contact("SECURITY")["AlternateContact"]
            return {"name": found.get("Name"), "email": found.get("EmailAddress")}
        except is_boto3_error_code("ResourceNotFoundException"):
            return None
    facts["security_contact"] = _optional(facts, "security_contact", contact)
    return facts


def combine(account_facts, organization_facts):
    """One account's facts with the organization's (for assess)."""
    facts = dict(account_facts, **{k: v for k, v in organization_facts.items() if k != "unknown"})
    facts["unknown"] = dict(account_facts["unknown"], **organization_facts["unknown"])
    return facts


def gather(iam, account, sso_admin):
    """Every fact `assess` needs, read from the caller's account (single-account use)."""
    return combine(gather_account(iam, account), gather_organization(iam, sso_admin))
