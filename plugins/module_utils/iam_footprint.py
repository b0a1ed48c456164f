# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read-only footprint of an IAM user: every credential, policy and membership, and evidence of use.

This is what retirement audits, backs up and later removes. It never reads a secret:
access key IDs are identifiers (the console shows them), secret keys and passwords are
not returned by any IAM read API.
"""

import datetime

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.botocore import normalize_boto3_result

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import endpoint_lacks
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import paginate

try:
    import botocore
    import botocore.parsers
except ImportError:
    pass  # handled by AnsibleAWSModule


def _timestamp(value):
    return value if isinstance(value, datetime.datetime) else None


def read_footprint(iam, user_name):
    """The whole footprint of `user_name`, or None when the user does not exist.

    `unsupported` lists the reads the endpoint could not answer, so nothing is silently skipped.
    """
    try:
        user = iam.get_user(UserName=user_name, aws_retry=True)["User"]
    except is_boto3_error_code("NoSuchEntity"):
        return None

    unsupported = []
    access_keys = []
    for key in paginate(iam, "list_access_keys", "AccessKeyMetadata", UserName=user_name):
        last = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"], aws_retry=True)["AccessKeyLastUsed"]
        access_keys.append({
            "access_key_id": key["AccessKeyId"],
            "status": key["Status"],
            "create_date": key.get("CreateDate"),
            "last_used_date": _timestamp(last.get("LastUsedDate")),
            "last_used_service": last.get("ServiceName"),
            "last_used_region": last.get("Region"),
        })

    try:
        profile = iam.get_login_profile(UserName=user_name, aws_retry=True)["LoginProfile"]
        login_profile = {"create_date": profile.get("CreateDate"),
                         "password_reset_required": profile.get("PasswordResetRequired", False)}
    except is_boto3_error_code("NoSuchEntity"):
        login_profile = None

    inline_policies = {}
    for policy_name in paginate(iam, "list_user_policies", "PolicyNames", UserName=user_name):
        inline_policies[policy_name] = iam.get_user_policy(
            UserName=user_name, PolicyName=policy_name, aws_retry=True)["PolicyDocument"]

    try:
        service_specific = iam.list_service_specific_credentials(UserName=user_name, aws_retry=True)
        service_specific_credentials = [
            {"service_specific_credential_id": c["ServiceSpecificCredentialId"], "service_name": c["ServiceName"],
             "status": c["Status"], "service_user_name": c.get("ServiceUserName")}
            for c in service_specific.get("ServiceSpecificCredentials", [])
        ]
    except (botocore.exceptions.ClientError, botocore.parsers.ResponseParserError) as error:
        if not endpoint_lacks(error):
            raise
        service_specific_credentials = []
        unsupported.append("ListServiceSpecificCredentials")

    footprint = {
        "user_name": user["UserName"],
        "user_id": user["UserId"],
        "arn": user["Arn"],
        "path": user.get("Path", "/"),
        "create_date": user.get("CreateDate"),
        "password_last_used": _timestamp(user.get("PasswordLastUsed")),
        "permissions_boundary": (user.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
        "tags": {t["Key"]: t["Value"] for t in paginate(iam, "list_user_tags", "Tags", UserName=user_name)},
        "login_profile": login_profile,
        "access_keys": access_keys,
        "mfa_devices": [
            {"serial_number": d["SerialNumber"], "enable_date": d.get("EnableDate"),
             "virtual": ":mfa/" in d["SerialNumber"]}
            for d in paginate(iam, "list_mfa_devices", "MFADevices", UserName=user_name)
        ],
        "groups": sorted(g["GroupName"] for g in paginate(iam, "list_groups_for_user", "Groups", UserName=user_name)),
        "attached_policies": sorted(
            p["PolicyArn"] for p in paginate(iam, "list_attached_user_policies", "AttachedPolicies", UserName=user_name)
        ),
        "inline_policies": inline_policies,
        "signing_certificates": [
            {"certificate_id": c["CertificateId"], "status": c["Status"]}
            for c in paginate(iam, "list_signing_certificates", "Certificates", UserName=user_name)
        ],
        "ssh_public_keys": [
            {"ssh_public_key_id": k["SSHPublicKeyId"], "status": k["Status"]}
            for k in paginate(iam, "list_ssh_public_keys", "SSHPublicKeys", UserName=user_name)
        ],
        "service_specific_credentials": service_specific_credentials,
        "unsupported_reads": unsupported,
    }
    return normalize_boto3_result(footprint)


def usage_evidence(footprint, require_unused_days, now=None):
    """When each credential was last used and whether any use falls inside the window."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    uses = []
    if footprint["password_last_used"]:
        uses.append(("console password", footprint["password_last_used"]))
    for key in footprint["access_keys"]:
        if key["last_used_date"]:
            uses.append((f"access key {key['access_key_id']} ({key['last_used_service']})", key["last_used_date"]))
    recent = []
    last_used = None
    for what, when in uses:
        moment = datetime.datetime.fromisoformat(when)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
        age_days = max((now - moment).total_seconds() / 86400, 0.0)  # a clock a little behind AWS's is not the future
        if last_used is None or moment > last_used[1]:
            last_used = (what, moment)
        if age_days < require_unused_days:
            recent.append({"credential": what, "last_used": when, "days_ago": round(age_days, 1)})
    return {
        "last_used": last_used[1].isoformat() if last_used else None,
        "last_used_by": last_used[0] if last_used else None,
        "never_used": not uses,
        "used_within_window": recent,
        "require_unused_days": require_unused_days,
        "active_credentials": {
            "console_password": footprint["login_profile"] is not None,
            "active_access_keys": sum(1 for k in footprint["access_keys"] if k["status"] == "Active"),
        },
    }
