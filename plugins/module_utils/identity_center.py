# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Identity Center instance discovery and the access portal URL."""

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import paginate

NO_INSTANCE_MESSAGE = (
    "No IAM Identity Center instance is visible to this identity in region {region}. "
    "There is no API that creates an organization instance: in the management account, open the "
    "IAM Identity Center console in the region you want (it cannot be moved later), choose 'Enable', "
    "and pick 'Enable with AWS Organizations'. Then run this again with the same region."
)


def instance_to_result(instance, portal_url_override=None):
    """Snake-case view of a ListInstances entry plus its access portal URL."""
    return {
        "instance_arn": instance["InstanceArn"],
        "identity_store_id": instance["IdentityStoreId"],
        "owner_account_id": instance.get("OwnerAccountId"),
        "name": instance.get("Name"),
        "status": instance.get("Status"),
        "created_date": instance["CreatedDate"].isoformat() if hasattr(instance.get("CreatedDate"), "isoformat")
        else instance.get("CreatedDate"),
        "portal_url": portal_url(instance["IdentityStoreId"], portal_url_override),
    }


def portal_url(identity_store_id, override=None):
    """The AWS access portal URL; custom subdomains (https://acme.awsapps.com/start) need the override."""
    if override:
        return override
    return f"https://{identity_store_id}.awsapps.com/start"


def select_instance(instances, instance_arn=None, region=None):
    """Pick the one instance to act on.

    Exactly one instance: use it. Several: `instance_arn` must name one. None: fail with the
    console step, because an organization instance cannot be enabled through the API.
    """
    if instance_arn:
        for instance in instances:
            if instance["InstanceArn"] == instance_arn:
                return instance
        visible = ", ".join(i["InstanceArn"] for i in instances) or "none"
        raise SsoShiftError(f"instance_arn '{instance_arn}' is not among the visible instances ({visible})")
    if not instances:
        raise SsoShiftError(NO_INSTANCE_MESSAGE.format(region=region or "(default)"))
    if len(instances) > 1:
        arns = ", ".join(i["InstanceArn"] for i in instances)
        raise SsoShiftError(
            f"{len(instances)} Identity Center instances are visible; set instance_arn to the organization "
            f"instance you mean, one of: {arns}"
        )
    return instances[0]


def discover_instance(sso_admin, instance_arn=None, region=None):
    """ListInstances then select_instance; returns (selected, all_instances)."""
    instances = paginate(sso_admin, "list_instances", "Instances")
    return select_instance(instances, instance_arn, region), instances


def identity_store_id_for(sso_admin, identity_store_id=None, instance_arn=None, region=None):
    """The identity store to act on: the one given, else the selected instance's."""
    if identity_store_id:
        return identity_store_id
    return discover_instance(sso_admin, instance_arn, region)[0]["IdentityStoreId"]


# IAM Identity Center's delegated administration (user guide, "Delegated administration"): a delegated administrator
# account manages users, groups, permission sets and assignments of member accounts, but not the management account's
# access - AWS refuses, with AccessDeniedException, assignments in the management account, provisioning to it, and
# changes to permission sets provisioned there. The collection refuses the same before any write.
DELEGATED_ADMIN_REFUSAL = ("the caller ({caller}) is a delegated administrator of IAM Identity Center, not the "
                           "management account ({management}): AWS refuses {what} from a delegated administrator")


def management_account_of(organizations):
    """The organization's management account ID (DescribeOrganization answers any member account)."""
    return organizations.describe_organization(aws_retry=True)["Organization"]["MasterAccountId"]


def delegated_refusal(caller, management, what, remedy):
    return DELEGATED_ADMIN_REFUSAL.format(caller=caller, management=management, what=what) + "; " + remedy
