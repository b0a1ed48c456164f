"""The identity phases run from a delegated administrator account of IAM Identity Center (AWS's recommendation), in
a sandbox that refuses what AWS refuses there: users, groups, permission sets and assignments of member accounts
work; an assignment in the management account is refused before any write, saying why and what to do; the
per-account phases reach member accounts through a member role whose trust the operator controls."""

import os

import yaml

from conftest import REPO, private_estate, sandbox_tool

MIGRATE = os.path.join(REPO, "playbooks", "migrate.yml")


def _model():
    with open(os.path.join(REPO, "examples", "access-model.yml")) as handle:
        return yaml.safe_load(handle)


def test_identity_phases_from_the_delegated_administrator(tmp_path_factory, tmp_path):
    for box, run in private_estate(tmp_path_factory, "delegated", delegated_admin="dev"):
        admin = sandbox_tool.member_credentials(box.endpoint, box.accounts["dev"])
        env = {"AWS_ACCESS_KEY_ID": admin["aws_access_key_id"], "AWS_SECRET_ACCESS_KEY": admin["aws_secret_access_key"],
               "AWS_SESSION_TOKEN": admin["aws_session_token"]}
        out = {"ssoshift_output_dir": str(tmp_path / "out")}

        # The example model gives platform-admins AdministratorAccess in the management account: refused up front.
        with box.record() as recording:
            refused = run(MIGRATE, dict(_model(), **out), env=env, tags="directory,permission_sets,assignments")
        assert refused.returncode != 0 and recording.writes == []
        message = refused.task("Validate the whole access model before any change")["msg"]
        assert (f"identity_center.assignments[0].targets: the caller ({box.accounts['dev']}) is a delegated administrator "
                f"of IAM Identity Center, not the management account ({box.accounts['management']}): AWS refuses account "
                "assignments in the management account from a delegated administrator; leave the management account "
                "out of this entry") in message

        # Without the management account, the identity phases converge from the delegated administrator.
        model = _model()
        model["identity_center"]["assignments"][0]["targets"]["accounts"] = ["dev", "staging", "prod"]
        first = run(MIGRATE, dict(model, **out), env=env, tags="directory,permission_sets,assignments")
        assert first.returncode == 0, first.failures
        sso, store = box.client("sso-admin"), box.client("identitystore")
        instance, store_id = box.state["instance_arn"], box.state["identity_store_id"]
        assert {"alice", "bob"} <= {u["UserName"] for u in store.list_users(IdentityStoreId=store_id)["Users"]}
        assigned = {account for arn in sso.list_permission_sets(InstanceArn=instance)["PermissionSets"]
                    for account in sso.list_accounts_for_provisioned_permission_set(
                        InstanceArn=instance, PermissionSetArn=arn)["AccountIds"]}
        assert assigned == {box.accounts[name] for name in ("dev", "staging", "prod")}
        with box.record() as recording:
            second = run(MIGRATE, dict(model, **out), env=env, tags="directory,permission_sets,assignments")
        assert second.returncode == 0 and second.stats["changed"] == 0 and recording.writes == []

        # A per-account phase from the delegated administrator, through the member role it controls.
        section = {"role_name": "DelegatedBreakGlass", "accounts": ["staging", "prod"],
                   "trusted_principals": ["arn:aws:iam::123456789012:user/break-glass"]}
        glass = run([{"hosts": "localhost", "gather_facts": False, "tasks": [
            {"name": "break glass", "ssoshift.identity_center.break_glass_roles": {
                "break_glass": section, "member_role_name": sandbox_tool.OPERATOR_ROLE}}]}], env=env)
        assert glass.returncode == 0, glass.failures
        for name in ("staging", "prod"):
            box.client("iam", name).get_role(RoleName="DelegatedBreakGlass")
        # The default member role trusts only the management account: the delegated administrator cannot use it,
        # and the task says so, naming the account and AWS's error.
        denied = run([{"hosts": "localhost", "gather_facts": False, "tasks": [
            {"name": "break glass", "ssoshift.identity_center.break_glass_roles": {"break_glass": section},
             "ignore_errors": True}]}], env=env).task("break glass")
        assert denied["failed"] and {f["error_code"] for f in denied["failed_accounts"]} == {"AccessDenied"}
        assert "set member_role_name to the role your organization uses" in denied["msg"]
