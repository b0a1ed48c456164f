"""botocore clients wired to a Stubber, wrapped the way AnsibleAWSModule wraps them (aws_retry=True)."""

import boto3
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import retry_decorator


def stubbed_client(service):
    raw = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    stubber = Stubber(raw)
    stubber.activate()
    return RetryingBotoClientWrapper(raw, retry_decorator(retries=2)), stubber
