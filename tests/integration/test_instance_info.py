"""instance_info and organization_info through real playbooks against the sandbox."""

DISCOVER = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: discover
      ssoshift.identity_center.instance_info:
        portal_url: "{{ portal_url | default(omit) }}"
        instance_arn: "{{ instance_arn | default(omit) }}"
"""


def test_discovers_the_instance_and_default_portal_url_without_writing(sandbox, run_playbook):
    with sandbox.record() as recording:
        run = run_playbook(DISCOVER, check=True)
    assert run.failures == []
    instance = run.task("discover")["instance"]
    assert instance["instance_arn"] == sandbox.state["instance_arn"]
    assert instance["identity_store_id"] == sandbox.state["identity_store_id"]
    assert instance["owner_account_id"] == sandbox.accounts["management"]
    assert instance["status"] == "ACTIVE"
    assert instance["portal_url"] == f"https://{sandbox.state['identity_store_id']}.awsapps.com/start"
    assert instance["region"] == "us-east-1"  # the sandbox's AWS_REGION: where the instance was found
    assert run.task("discover")["changed"] is False
    assert "ListInstances" in recording.operations
    assert recording.writes == []


def test_custom_portal_url_and_explicit_instance(sandbox, run_playbook):
    run = run_playbook(DISCOVER, extra_vars={"portal_url": "https://acme.awsapps.com/start",
                                             "instance_arn": sandbox.state["instance_arn"]})
    assert run.task("discover")["instance"]["portal_url"] == "https://acme.awsapps.com/start"


def test_unknown_instance_arn_fails_naming_it(run_playbook):
    run = run_playbook(DISCOVER, extra_vars={"instance_arn": "arn:aws:sso:::instance/ssoins-0000000000000000"})
    assert run.returncode != 0
    assert "instance_arn 'arn:aws:sso:::instance/ssoins-0000000000000000'" in run.task("discover")["msg"]


MODULE_DEFAULTS = """
- hosts: localhost
  gather_facts: false
  tasks:
    - module_defaults:
        group/{group}:
          access_key: testing
          secret_key: testing
          region: us-east-1
          endpoint_url: "{endpoint}"
      block:
        - name: ours
          ssoshift.identity_center.instance_info:
          ignore_errors: true
        - name: amazon
          amazon.aws.aws_caller_info:
          ignore_errors: true
"""


def _without_env_auth():
    # No credentials, region or endpoint in the environment: only module_defaults can supply them.
    return {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_REGION": None,
            "AWS_DEFAULT_REGION": None, "AWS_ENDPOINT_URL": None, "AWS_CONFIG_FILE": "/nonexistent",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true"}


def test_our_action_group_configures_our_modules_and_amazon_aws_modules(sandbox, run_playbook):
    playbook = MODULE_DEFAULTS.format(group="ssoshift.identity_center.aws", endpoint=sandbox.endpoint)
    run = run_playbook(playbook, env=_without_env_auth())
    assert run.task("ours")["instance"]["instance_arn"] == sandbox.state["instance_arn"]
    assert run.task("amazon")["account"] == sandbox.accounts["management"]


def test_amazon_aws_group_alone_does_not_reach_our_modules(sandbox, run_playbook):
    # ansible-core resolves extend_group one way: our group includes amazon.aws.aws, not the
    # reverse. This pins the documented behaviour (docs/module-defaults.md) so a change is noticed.
    playbook = MODULE_DEFAULTS.format(group="amazon.aws.aws", endpoint=sandbox.endpoint)
    run = run_playbook(playbook, env=_without_env_auth())
    assert run.task("amazon")["account"] == sandbox.accounts["management"]
    assert run.task("ours").get("failed") is True


def test_organization_info_returns_ou_paths(sandbox, run_playbook):
    run = run_playbook("""
    - hosts: localhost
      gather_facts: false
      tasks:
        - name: org
          ssoshift.identity_center.organization_info:
    """)
    org = run.task("org")
    assert org["organization"]["id"] == sandbox.state["organization_id"]
    assert org["organization"]["feature_set"] == "ALL"
    paths = {a["name"]: a["ou_path"] for a in org["accounts"]}
    assert {k: paths[k] for k in ("dev", "staging", "prod")} == {
        "dev": "Workloads/NonProd", "staging": "Workloads/NonProd", "prod": "Workloads/Prod"}
    assert [ou["path"] for ou in org["organizational_units"]] == [
        "Workloads", "Workloads/NonProd", "Workloads/Prod"]
