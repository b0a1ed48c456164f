# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Identity Center instance discovery and the access portal URL."""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import paginate

NO_INSTANCE_MESSAGE = (
    "No IAM Identity Center instance is visible to this identity in region {region}. "
    "There is no API that creates an organization instance: in the management account, open the "
    "IAM Identity Center console in the region you want (it cannot be moved later), choose 'Enable', "
    "and pick 'Enable with AWS Organizations'. Then run this again with the same region."
)
# ListInstances shows the organization instance only to the management account and to Identity Center's delegated
# administrator; any other member account gets an empty list, not an error (ListInstances lists the instances "created
# in or visible to the account calling this API"; IAM Identity Center user guide, "Delegated administration"). Said so,
# rather than the console step that enables an instance, which would be wrong advice there.
NOT_ADMINISTERING = (
    "No IAM Identity Center instance is visible to account {caller} in region {region}. It is a member account of the "
    "organization, and AWS shows the organization instance only to the management account ({management}) and to "
    "Identity Center's delegated administrator: run this with one of their credentials (or have the management account "
    "register {caller} as delegated administrator of sso.amazonaws.com), in the region where Identity Center is enabled"
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


def discover_instance(sso_admin, instance_arn=None, region=None, member_caller=None):
    """ListInstances then select_instance; returns (selected, all_instances).

    member_caller: organizations.member_caller as a callable (modules.member_caller_of), asked only when no instance is
    visible: a member account of the organization is told that it does not administer Identity Center and where to
    run (NOT_ADMINISTERING) instead of the console step that enables an instance.
    """
    instances = paginate(sso_admin, "list_instances", "Instances")
    if not instances and member_caller:
        refuse_member_account(member_caller, region)
    return select_instance(instances, instance_arn, region), instances


def refuse_member_account(member_caller, region=None):
    """Raise NOT_ADMINISTERING when member_caller() says the caller is a member account; the management account, an
    account in no organization, and credentials that may not call organizations:DescribeOrganization
    (AccessDeniedException) return, to the console step."""
    try:
        member = member_caller()
    except is_boto3_error_code("AccessDeniedException"):
        return
    if member:
        raise SsoShiftError(NOT_ADMINISTERING.format(caller=member[0], management=member[1],
                                                     region=region or "(default)"))


def identity_store_id_for(sso_admin, identity_store_id=None, instance_arn=None, region=None, member_caller=None):
    """The identity store to act on: the one given, else the selected instance's (discover_instance)."""
    if identity_store_id:
        return identity_store_id
    return discover_instance(sso_admin, instance_arn, region, member_caller)[0]["IdentityStoreId"]


# IAM Identity Center's delegated administration (user guide, "Delegated administration"): a delegated administrator
# account manages users, groups, permission sets and assignments of member accounts, but not the management account's
# access - AWS refuses, with AccessDeniedException, assignments in the management account, provisioning to it, and
# changes to permission sets provisioned there. The collection refuses the same before any write.
DELEGATED_ADMIN_REFUSAL = ("the caller ({caller}) is a delegated administrator of IAM Identity Center, not the "
                           "management account ({management}): AWS refuses {what} from a delegated administrator")


def delegated_refusal(caller, management, what, remedy):
    return DELEGATED_ADMIN_REFUSAL.format(caller=caller, management=management, what=what) + "; " + remedy


# What to do about a permission set provisioned to the management account, which a delegated administrator may not
# change, provision, delete, assign or unassign (permission_sets.management_refusals, assignments.management_set_refusals).
MANAGEMENT_SET_REMEDY = ("make this change from the management account, or remove the set's assignments in the "
                         "management account first")
