"""iam_user_retirement state=audited against the seeded legacy users."""

import boto3

AUDIT = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: audit
      ssoshift.identity_center.iam_user_retirement:
        name: "{{ user }}"
        state: audited
        require_unused_days: 30
"""


def test_admin_footprint_matches_the_seed_and_nothing_is_written(sandbox, run_playbook):
    with sandbox.record() as recording:
        run = run_playbook(AUDIT, extra_vars={"user": "admin"})
    result = run.task("audit")
    assert result["changed"] is False and result["exists"] is True
    footprint = result["footprint"]
    assert footprint["arn"] == "arn:aws:iam::123456789012:user/admin"
    assert footprint["attached_policies"] == ["arn:aws:iam::aws:policy/AdministratorAccess"]
    assert [k["status"] for k in footprint["access_keys"]] == ["Active", "Active"]
    assert footprint["login_profile"] is not None
    assert list(footprint["inline_policies"]) == ["legacy-billing"]
    assert footprint["inline_policies"]["legacy-billing"]["Statement"][0]["Sid"] == "LegacyBilling"
    assert footprint["groups"] == ["legacy-admins"]
    assert footprint["mfa_devices"] == [{"serial_number": "arn:aws:iam::123456789012:mfa/admin",
                                         "enable_date": footprint["mfa_devices"][0]["enable_date"], "virtual": True}]
    assert footprint["tags"] == {"owner": "ops", "created-by": "console"}
    # moto does not implement ListServiceSpecificCredentials: said, not skipped.
    assert footprint["unsupported_reads"] == ["ListServiceSpecificCredentials"]
    assert result["evidence"]["never_used"] is True
    assert result["is_caller"] is False
    assert recording.writes == []


def test_missing_user_is_reported_absent(run_playbook):
    result = run_playbook(AUDIT, extra_vars={"user": "nobody"}).task("audit")
    assert result["exists"] is False and result["footprint"] == {}


def test_recent_key_use_and_the_caller_are_detected(sandbox, run_playbook):
    iam = sandbox.client("iam")
    iam.create_user(UserName="audit-recent")
    key = iam.create_access_key(UserName="audit-recent")["AccessKey"]
    try:
        # moto records a key's last use when a request is signed with it.
        boto3.client("sts", region_name="us-east-1", endpoint_url=sandbox.endpoint,
                     aws_access_key_id=key["AccessKeyId"],
                     aws_secret_access_key=key["SecretAccessKey"]).get_caller_identity()
        run = run_playbook(AUDIT, extra_vars={"user": "audit-recent"},
                           env={"AWS_ACCESS_KEY_ID": key["AccessKeyId"],
                                "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]})
        result = run.task("audit")
        assert result["is_caller"] is True
        assert [u["credential"].split(" (")[0] for u in result["evidence"]["used_within_window"]] == [
            f"access key {key['AccessKeyId']}"]
        assert key["SecretAccessKey"] not in run.stdout
    finally:
        iam.delete_access_key(UserName="audit-recent", AccessKeyId=key["AccessKeyId"])
        iam.delete_user(UserName="audit-recent")
