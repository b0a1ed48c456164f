# -*- coding: utf-8 -*-
# Copyright: ssoshift contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""IAM OIDC identity providers: read one by its issuer URL, plan the changes, apply them.

`plan_changes` is pure; `OidcProviders` holds the IAM reads and writes (every call with
aws_retry=True through an AnsibleAWSModule client).
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.ssoshift.identity_center.plugins.module_utils.automation import provider_host
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import owned
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import paginate


def _tag_dict(tags):
    return {tag["Key"]: tag["Value"] for tag in tags or []}


def plan_changes(before, desired, purge_client_ids=True, purge_tags=True):
    """What turns the provider `before` ({client_ids, thumbprints, tags}) into `desired`.

    desired["thumbprints"] None leaves them; desired["tags"] None leaves the tags. Tags are compared with amazon.aws
    `compare_aws_tags` (purge_tags never removes an `aws:` tag).
    """
    changes = {}
    add = [c for c in desired["client_ids"] if c not in before["client_ids"]]
    remove = [c for c in before["client_ids"] if c not in desired["client_ids"]] if purge_client_ids else []
    if add:
        changes["add_client_ids"] = add
    if remove:
        changes["remove_client_ids"] = remove
    if desired.get("thumbprints") is not None and sorted(t.lower() for t in desired["thumbprints"]) != sorted(
            t.lower() for t in before["thumbprints"]):
        changes["thumbprints"] = list(desired["thumbprints"])
    if desired.get("tags") is not None:
        # amazon.aws's comparison: a purge never removes AWS-reserved `aws:` tags (IAM refuses to), and values are
        # compared as text.
        tag, untag = compare_aws_tags(before["tags"], desired["tags"], purge_tags=purge_tags)
        if tag:
            changes["tag"] = {key: str(tag[key]) for key in sorted(tag)}
        if untag:
            changes["untag"] = sorted(untag)
    return changes


def apply_changes(before, changes):
    """The provider as it is after `changes` (for the result and the diff)."""
    after = {"url": before["url"], "client_ids": list(before["client_ids"]), "thumbprints": list(before["thumbprints"]),
             "tags": dict(before["tags"])}
    after["client_ids"] += changes.get("add_client_ids", [])
    after["client_ids"] = [c for c in after["client_ids"] if c not in changes.get("remove_client_ids", [])]
    if "thumbprints" in changes:
        after["thumbprints"] = list(changes["thumbprints"])
    after["tags"].update(changes.get("tag", {}))
    for key in changes.get("untag", []):
        after["tags"].pop(key, None)
    return after


class OidcProviders:
    def __init__(self, iam):
        self.iam = iam

    def find(self, url):
        """ARN of the provider of this issuer URL, or None."""
        suffix = ":oidc-provider/" + provider_host(url)
        for entry in self.iam.list_open_id_connect_providers(aws_retry=True).get("OpenIDConnectProviderList", []):
            if entry["Arn"].endswith(suffix):
                return entry["Arn"]
        return None

    def read(self, arn):
        answer = self.iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn, aws_retry=True)
        tags = answer.get("Tags")
        if tags is None:
            tags = paginate(self.iam, "list_open_id_connect_provider_tags", "Tags", OpenIDConnectProviderArn=arn)
        return {"url": "https://" + provider_host(answer["Url"]), "client_ids": list(answer.get("ClientIDList", [])),
                "thumbprints": list(answer.get("ThumbprintList", [])), "tags": _tag_dict(tags)}

    def create(self, desired, purge_client_ids=False, purge_tags=False):
        """CreateOpenIDConnectProvider; returns its ARN. When IAM answers EntityAlreadyExists (below), the purge_*
        settings decide whether the provider that is there loses audiences and tags the model does not list (the
        multi-account phases never take any away: a provider may serve other pipelines)."""
        params = {"Url": desired["url"], "ClientIDList": desired["client_ids"]}
        if desired.get("thumbprints"):
            params["ThumbprintList"] = desired["thumbprints"]
        if desired.get("tags"):
            params["Tags"] = [{"Key": k, "Value": v} for k, v in desired["tags"].items()]
        try:
            return self.iam.create_open_id_connect_provider(aws_retry=True, **params)["OpenIDConnectProviderArn"]
        except is_boto3_error_code("EntityAlreadyExists"):
            # Repeated after its answer was lost (the retry policy sends it again after a dropped connection), or
            # created by another run meanwhile: CreateOpenIDConnectProvider sets the tags with the provider, so one
            # that carries the collection's mark is this create's, brought to `desired` here; any other is refused.
            arn = self.find(desired["url"])
            before = self.read(arn) if arn else None
            if before is None or not owned(before["tags"]):
                raise
            self.update(arn, plan_changes(before, desired, purge_client_ids, purge_tags))
            return arn

    def update(self, arn, changes):
        for client_id in changes.get("add_client_ids", []):
            self.iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID=client_id,
                                                               aws_retry=True)
        for client_id in changes.get("remove_client_ids", []):
            self.iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID=client_id,
                                                                    aws_retry=True)
        if "thumbprints" in changes:
            self.iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn,
                                                                ThumbprintList=changes["thumbprints"], aws_retry=True)
        if changes.get("untag"):
            self.iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=changes["untag"],
                                                    aws_retry=True)
        if changes.get("tag"):
            self.iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, aws_retry=True,
                                                  Tags=[{"Key": k, "Value": v} for k, v in changes["tag"].items()])

    def delete(self, arn):
        self.iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn, aws_retry=True)
