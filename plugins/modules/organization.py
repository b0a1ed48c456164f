#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: organization
short_description: Ensure AWS Organizations with all features and trusted access for the services the migration needs
version_added: 1.0.0
description:
  - Creates the organization, with all features, when the account is not in one yet.
  - An existing organization in consolidated-billing mode is never changed silently. Enabling all features
    starts a handshake that every member account must accept; the module fails and names the exact steps.
  - Enables trusted access for I(trusted_services) that lack it (C(EnableAWSServiceAccess)). Services not
    listed are left as they are.
  - Run it from the management account. A delegated administrator may run it to read the organization and to check
    that the services already have trusted access; a service that lacks it is refused before any write (only the
    management account may enable trusted access). A member account that is neither is refused before any write
    (AWS Organizations answers its reads only to those two).
options:
  trusted_services:
    description:
      - Service principals that need trusted access, for example C(sso.amazonaws.com) (IAM Identity Center),
        C(account.amazonaws.com) (alternate contacts of member accounts) and C(iam.amazonaws.com)
        (centralized root access).
      - Names are checked against the services AWS documents as supporting trusted access, before any call.
    type: list
    elements: str
    default: []
author:
  - ssoshift contributors (@ssoshift)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Organization with all features and trusted access for the migration
  ssoshift.identity_center.organization:
    trusted_services:
      - sso.amazonaws.com
      - account.amazonaws.com
      - iam.amazonaws.com
"""

RETURN = r"""
organization:
  description: The organization (C(id), C(arn), C(feature_set), C(management_account_id), C(management_account_email)).
  returned: always
  type: dict
  contains:
    id:
      description: Organization ID.
      type: str
    arn:
      description: Organization ARN.
      type: str
    feature_set:
      description: C(ALL) or C(CONSOLIDATED_BILLING).
      type: str
    management_account_id:
      description: ID of the management account.
      type: str
    management_account_email:
      description: Email of the management account.
      type: str
roots:
  description: The organization roots.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Root ID.
      type: str
      sample: r-ab12
    arn:
      description: Root ARN.
      type: str
    name:
      description: Root name.
      type: str
      sample: Root
trusted_services:
  description: Service principals with trusted access, after the change.
  returned: always
  type: list
  elements: str
created:
  description: Whether the organization was created (or would be, in check mode).
  returned: always
  type: bool
enabled_services:
  description: Services whose trusted access was enabled (or would be).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import client
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import fail_if_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.modules import run
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import administrator_read

# Services that support trusted access with AWS Organizations (AWS Organizations User Guide,
# "AWS services that you can use with AWS Organizations"). A name outside it is almost always a typo.
TRUSTED_ACCESS_SERVICES = frozenset((
    "access-analyzer.amazonaws.com", "account.amazonaws.com", "auditmanager.amazonaws.com",
    "aws-artifact-account-sync.amazonaws.com", "backup.amazonaws.com", "cloudtrail.amazonaws.com",
    "compute-optimizer.amazonaws.com", "config.amazonaws.com", "config-multiaccountsetup.amazonaws.com",
    "controltower.amazonaws.com", "detective.amazonaws.com", "devops-guru.amazonaws.com", "ds.amazonaws.com",
    "fms.amazonaws.com", "guardduty.amazonaws.com", "health.amazonaws.com", "iam.amazonaws.com",
    "inspector2.amazonaws.com", "ipam.amazonaws.com", "license-manager.amazonaws.com",
    "license-manager.member-account.amazonaws.com", "license-manager-linux-subscriptions.amazonaws.com",
    "license-management.marketplace.amazonaws.com", "macie.amazonaws.com",
    "member.org.stacksets.cloudformation.amazonaws.com", "mgn.amazonaws.com", "ram.amazonaws.com",
    "reachabilityanalyzer.networkinsights.amazonaws.com", "reporting.trustedadvisor.amazonaws.com",
    "resource-explorer-2.amazonaws.com", "securityhub.amazonaws.com", "securitylake.amazonaws.com",
    "servicecatalog.amazonaws.com", "servicequotas.amazonaws.com", "ssm.amazonaws.com",
    "stacksets.cloudformation.amazonaws.com", "sso.amazonaws.com", "storage-lens.s3.amazonaws.com",
    "tagpolicies.tag.amazonaws.com", "wellarchitected.amazonaws.com",
))

CONSOLIDATED_BILLING_STEPS = (
    "Organization {id} uses consolidated billing only; IAM Identity Center, trusted access and SCPs need all "
    "features. Enabling them is a handshake every member account must accept, so this module does not start it: "
    "in the management account run `aws organizations enable-all-features` (or AWS Organizations console > "
    "Settings > Begin process to enable all features), have each member account accept the handshake "
    "(`aws organizations accept-handshake --handshake-id ...` or its console), then finalize it in the "
    "management account, and run this again."
)

# EnableAWSServiceAccess "can be called only from the organization's management account" (Organizations API
# reference); a delegated administrator gets AccessDeniedException. Refused before the first enable.
ONLY_MANAGEMENT_ENABLES = (
    "trusted_services: trusted access is missing for {services}, and only the management account ({management}) can "
    "enable it: the caller ({caller}) is a member account, which AWS refuses (EnableAWSServiceAccess answers "
    "AccessDeniedException). Run the organization phase from the management account, have it run `aws organizations "
    "enable-aws-service-access --service-principal <service>` for each, or leave these services out of "
    "trusted_services; nothing was changed"
)


def _view(organization):
    return {"id": organization["Id"], "arn": organization["Arn"], "feature_set": organization["FeatureSet"],
            "management_account_id": organization["MasterAccountId"],
            "management_account_email": organization.get("MasterAccountEmail")}


def ensure(module):
    services = module.params["trusted_services"]
    fail_if_problems([f"trusted_services: '{s}' is not a service that supports trusted access with AWS "
                      "Organizations (for example sso.amazonaws.com, account.amazonaws.com, iam.amazonaws.com)"
                      for s in services if s not in TRUSTED_ACCESS_SERVICES], "invalid trusted services")
    organizations = client(module, "organizations")
    created = False
    try:
        organization = organizations.describe_organization(aws_retry=True)["Organization"]
    except is_boto3_error_code("AWSOrganizationsNotInUseException"):
        created = True
        if module.check_mode:
            return dict(changed=True, created=True, organization={}, roots=[], trusted_services=[],
                        enabled_services=sorted(set(services)))
        organization = organizations.create_organization(FeatureSet="ALL", aws_retry=True)["Organization"]
    if organization["FeatureSet"] != "ALL":
        raise SsoShiftError(CONSOLIDATED_BILLING_STEPS.format(id=organization["Id"]))
    management = organization["MasterAccountId"]
    enabled = {s["ServicePrincipal"] for s in administrator_read(
        organizations, "list_aws_service_access_for_organization", "EnabledServicePrincipals", management)}
    to_enable = sorted(set(services) - enabled)
    if to_enable and not created:
        caller = client(module, "sts").get_caller_identity(aws_retry=True)["Account"]
        if caller != management:
            raise SsoShiftError(ONLY_MANAGEMENT_ENABLES.format(services=", ".join(to_enable), management=management,
                                                               caller=caller))
    if not module.check_mode:
        for service in to_enable:
            organizations.enable_aws_service_access(ServicePrincipal=service, aws_retry=True)
    roots = [{"id": r["Id"], "arn": r["Arn"], "name": r["Name"]}
             for r in administrator_read(organizations, "list_roots", "Roots", management)]
    return dict(changed=created or bool(to_enable), created=created, organization=_view(organization), roots=roots,
                trusted_services=sorted(enabled | set(to_enable)), enabled_services=to_enable,
                diff={"before": {"trusted_services": sorted(enabled)},
                      "after": {"trusted_services": sorted(enabled | set(to_enable))}})


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(trusted_services=dict(type="list", elements="str", default=[])),
        supports_check_mode=True,
    )
    module.exit_json(**run(module, lambda: ensure(module), "Failed to ensure the AWS organization"))


if __name__ == "__main__":
    main()
