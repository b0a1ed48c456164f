# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Member accounts' root user credentials, audited and removed centrally (sts:AssumeRoot).

With centralized root access (IAM organizations features RootCredentialsManagement and RootSessions), the
management account (or the IAM delegated administrator) opens a short privileged session in a member account with
sts:AssumeRoot, scoped by an AWS-managed root-task policy: IAMAuditRootUserCredentials reads the root user's
password (login profile), access keys, signing certificates and MFA devices; IAMDeleteRootUserCredentials removes
them. AWS's answer for member accounts is to hold no root credentials at all; a member account without them is not
"root without MFA": its root checks pass, with that as the evidence.

Never for the management account (AWS refuses AssumeRoot targeting it; its root MFA is a person's console step).
No credential is read, only whether each exists (IAM never returns a secret). `plan_removal` is pure.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import paginate

TASK_POLICY = "arn:{partition}:iam::aws:policy/root-task/{name}"
AUDIT = "IAMAuditRootUserCredentials"
DELETE = "IAMDeleteRootUserCredentials"
KINDS = ("password", "access_keys", "signing_certificates", "mfa_devices")
# Centralized root access needs both features; without them no root session can be opened.
FEATURES = {"RootCredentialsManagement", "RootSessions"}


def read(iam):
    """{password: bool, access_keys: [IDs], signing_certificates: [IDs], mfa_devices: [serials]} of the root user,
    with a root session's IAM client (every call without UserName acts on the root user)."""
    try:
        iam.get_login_profile(aws_retry=True)
        password = True
    except is_boto3_error_code("NoSuchEntity"):
        password = False
    keys = sorted(k["AccessKeyId"] for k in paginate(iam, "list_access_keys", "AccessKeyMetadata"))
    certificates = sorted(c["CertificateId"] for c in paginate(iam, "list_signing_certificates", "Certificates"))
    return {
        "password": password,
        "access_keys": keys,
        "signing_certificates": certificates,
        "mfa_devices": sorted(d["SerialNumber"] for d in paginate(iam, "list_mfa_devices", "MFADevices")),
    }


def counts(found):
    """{kind: count} of read()'s result (what the report shows; never the IDs of a password)."""
    if found is None:
        return None
    return {"password": int(bool(found["password"])), "access_keys": len(found["access_keys"]),
            "signing_certificates": len(found["signing_certificates"]), "mfa_devices": len(found["mfa_devices"])}


def holds_any(found):
    return bool(found["password"] or found["access_keys"] or found["signing_certificates"] or found["mfa_devices"])


def plan_removal(found):
    """The IAM calls that remove every root credential, as (operation, kwargs, description). Pure.

    MFA devices are deactivated last: the password and keys go first, so no step leaves a credential usable
    without its second factor."""
    steps = []
    if found["password"]:
        steps.append(("delete_login_profile", {}, "delete the root user's password"))
    steps += [("delete_access_key", {"AccessKeyId": key}, f"delete root access key {key}")
              for key in found["access_keys"]]
    steps += [("delete_signing_certificate", {"CertificateId": cert}, f"delete root signing certificate {cert}")
              for cert in found["signing_certificates"]]
    steps += [("deactivate_mfa_device", {"SerialNumber": serial}, f"deactivate root MFA device {serial}")
              for serial in found["mfa_devices"]]
    return steps


def apply(iam, steps):
    """Run plan_removal's steps; a credential already gone (NoSuchEntity: a repeat after a dropped connection, or
    someone else's removal) counts as removed. Returns the descriptions done."""
    done = []
    for operation, kwargs, description in steps:
        try:
            getattr(iam, operation)(aws_retry=True, **kwargs)
        except is_boto3_error_code("NoSuchEntity"):
            description += " (already gone)"
        done.append(description)
    return done


def facts_for_posture(found):
    """What posture.assess reads of a member account's audited root credentials (None: not audited)."""
    if found is None:
        return None
    return dict(counts(found), any=holds_any(found))
