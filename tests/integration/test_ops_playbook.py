"""examples/ops-playbook.yml: this collection composed into an ordinary ops playbook beside amazon.aws.
The job's environment has no AWS_ENDPOINT_URL and no AWS_REGION: the sandbox is reached only if the play's
module_defaults (one anchor for group/amazon.aws.aws and group/ssoshift.identity_center.aws) reach both
collections' modules, the included role's tasks among them."""

import os

from conftest import REPO, sandbox_tool

OPS = os.path.join(REPO, "examples", "ops-playbook.yml")
NO_ENDPOINT = {"AWS_ENDPOINT_URL": None, "AWS_REGION": None, "AWS_DEFAULT_REGION": None}


def test_ops_playbook_composes_amazon_aws_a_role_and_a_module(sandbox, run_playbook):
    options = {"ops_region": sandbox_tool.REGION, "ops_endpoint_url": sandbox.endpoint}
    with sandbox.record() as recording:
        run = run_playbook(OPS, options, env=NO_ENDPOINT)
    assert run.returncode == 0, run.failures

    # amazon.aws and this collection's module both got the play's defaults.
    caller = run.task("Who runs this (amazon.aws)")
    assert caller["account"] == sandbox_tool.MANAGEMENT_ACCOUNT_ID
    assert caller["invocation"]["module_args"]["endpoint_url"] == sandbox.endpoint
    access = run.task("Where the contractors group can go (the collection's module)")
    assert access["invocation"]["module_args"]["endpoint_url"] == sandbox.endpoint
    assert access["invocation"]["module_args"]["region"] == sandbox_tool.REGION

    # The role ran inside the play and made what the small model names, and nothing else.
    assert [(a["account_name"], a["permission_set"], a["principal"]) for a in access["assignments"]] == [
        ("dev", "ContractorReadOnly", "group:contractors")]
    assert {"CreateUser", "CreateGroup", "CreateGroupMembership", "CreatePermissionSet",
            "CreateAccountAssignment"} <= set(recording.writes)
    assert not [op for op in recording.writes if op.startswith("Delete")]
    assert run.task("Report")["msg"] == (
        f"{sandbox_tool.MANAGEMENT_ACCOUNT_ID}: contractors reaches dev with ContractorReadOnly")

    again = run_playbook(OPS, options, env=NO_ENDPOINT)
    assert again.returncode == 0 and again.stats["changed"] == 0, again.failures


def test_without_the_defaults_the_modules_do_not_find_the_sandbox(sandbox, run_playbook):
    """The control: the same play with no region and no endpoint in its defaults fails at its first AWS call,
    so the passing run above owes its endpoint to module_defaults."""
    run = run_playbook(OPS, {}, env=NO_ENDPOINT)
    assert run.returncode != 0
    assert run.failures and run.failures[0][0] == "Who runs this (amazon.aws)"
