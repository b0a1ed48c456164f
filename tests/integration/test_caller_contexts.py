"""The collection's answer in each caller context of docs/caller-contexts.md, through the real modules and inventory
plugin against sandboxes that refuse what AWS refuses (tools/moto_server.py).

Two playbook runs, each task one row (or several) of the table: a fresh organisation (no trusted access, no delegated
administrator) seen from its management account and from a member account reached through the member role; and an
organisation administered from Identity Center's delegated administrator, with a second member account registered as
IAM's delegated administrator. Every task either plans (check mode), reads, or is refused before any write: neither
run writes anything to AWS.
"""

import json
import subprocess

from conftest import ANSIBLE_PLAYBOOK
from conftest import private_estate
from conftest import sandbox_tool

ANSIBLE_INVENTORY = ANSIBLE_PLAYBOOK.replace("ansible-playbook", "ansible-inventory")
COLLECTION = "ssoshift.identity_center"
SERVICES = ["sso.amazonaws.com", "account.amazonaws.com", "iam.amazonaws.com"]


def _environment(credentials):
    return {"AWS_ACCESS_KEY_ID": credentials["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": credentials["aws_secret_access_key"],
            "AWS_SESSION_TOKEN": credentials["aws_session_token"]}


def _task(name, module, args=None, check=False, expect_failure=False):
    task = {"name": name, f"{COLLECTION}.{module}": args or {}}
    if check:
        task["check_mode"] = True
    if expect_failure:
        task["ignore_errors"] = True
    return task


def _play(name, tasks, credentials=None):
    play = {"name": name, "hosts": "localhost", "gather_facts": False, "tasks": tasks}
    if credentials:
        play["environment"] = _environment(credentials)
    return play


def _refused(result, name):
    """The task's result, which must be a failure through the module's error path (no uncaught exception: Ansible
    reports those as MODULE FAILURE with the traceback on the module's stderr)."""
    task = result.task(name)
    assert task.get("failed") is True, (name, task)
    assert "module_stderr" not in task and not task["msg"].startswith("MODULE FAILURE"), (name, task)
    return task


def _checks(result):
    return {check["id"]: check for check in result["checks"]}


def _inventory(box, tmp_path, credentials=None):
    """(return code, stdout, stderr) of ansible-inventory --list with the plugin, as the caller of `credentials`."""
    path = tmp_path / "organization_accounts.yml"
    path.write_text(f"plugin: {COLLECTION}.organization_accounts\n")
    env = box.env(ANSIBLE_STDOUT_CALLBACK=None, ANSIBLE_INVENTORY_UNPARSED_FAILED="true",
                  **(_environment(credentials) if credentials else {}))
    done = subprocess.run([ANSIBLE_INVENTORY, "-i", str(path), "--list"], capture_output=True, text=True, env=env,
                          check=False, timeout=120)
    return done.returncode, done.stdout, done.stderr


def test_fresh_organisation_from_its_management_account_and_from_a_member_account(tmp_path_factory, tmp_path):
    for box, run in private_estate(tmp_path_factory, "contexts-fresh"):
        management, prod = box.accounts["management"], box.accounts["prod"]
        member = sandbox_tool.member_credentials(box.endpoint, prod)
        plays = [
            _play("F: the management account of a fresh organisation", [
                _task("F organization_info", "organization_info"),
                _task("F organization plan", "organization", {"trusted_services": SERVICES}, check=True),
                _task("F root access plan", "root_access_management", check=True),
                _task("F posture", "account_security_info"),
                _task("F root credentials", "root_credentials", expect_failure=True),
            ]),
            _play("MR: a member account through OrganizationAccountAccessRole", [
                _task("MR organization_info", "organization_info", expect_failure=True),
                _task("MR organization", "organization", {"trusted_services": ["sso.amazonaws.com"]},
                      expect_failure=True),
                _task("MR posture of every account", "account_security_info", {"accounts": "all"},
                      expect_failure=True),
                _task("MR posture", "account_security_info"),
                _task("MR instance", "instance_info", expect_failure=True),
                _task("MR identity store", "identitystore_info", expect_failure=True),
                _task("MR permission sets", "permission_sets", {"permission_sets": [{"name": "MemberSet"}]},
                      check=True, expect_failure=True),
                _task("MR single permission set", "permission_set", {"name": "MemberSet"}, check=True,
                      expect_failure=True),
                _task("MR assignments", "account_assignments",
                      {"assignments": [{"group": "platform-admins", "permission_sets": ["MemberSet"],
                                        "targets": {"accounts": ["prod"]}}]}, check=True, expect_failure=True),
                _task("MR root access", "root_access_management", expect_failure=True),
                _task("MR contacts", "alternate_contact",
                      {"account_ids": [box.accounts["dev"]], "contact_type": "security", "name": "Security",
                       "title": "Security", "email": "security@example.com", "phone": "+1 555 0100"},
                      check=True, expect_failure=True),
            ], credentials=member),
        ]
        with box.record() as recording:
            result = run(plays)
        assert recording.writes == [], recording.writes
        assert "Traceback" not in result.stdout + result.stderr

        # Rows 1, 3, 5-9 (F): every read answers; nothing enabled or delegated yet.
        info = result.task("F organization_info")
        assert info["trusted_services"] == [] and info["delegated_administrators"] == []
        assert info["organization"]["management_account_id"] == management
        assert {a["name"] for a in info["accounts"]} >= {"dev", "staging", "prod"}
        # Row 4 (F): trusted access is planned (this is how F becomes M).
        plan = result.task("F organization plan")
        assert plan["changed"] is True and plan["enabled_services"] == sorted(SERVICES)
        # Row 16 (F, check mode): both features planned after trusted access, not a failure.
        root_plan = result.task("F root access plan")
        assert root_plan["changed"] is True and root_plan["changes"] == ["RootCredentialsManagement", "RootSessions"]
        assert "trusted access for iam.amazonaws.com is not enabled yet" in root_plan["msg"]
        # Rows 16, 19, 31 (F): the posture reads; root access fails with AWS's reason, Identity Center is in use.
        checks = _checks(result.task("F posture"))
        assert checks["centralized_root_access"]["status"] == "fail"
        assert "ServiceAccessNotEnabledException" in checks["centralized_root_access"]["evidence"]["reason"]
        assert checks["identity_center_in_use"]["status"] == "pass"
        assert checks["no_console_users"]["status"] == "fail"  # the credential report was read: admin signs in
        # Row 45 (F): no root session without RootSessions: each member account named with STS's code and what to
        # enable; the management account is never a target.
        roots = _refused(result, "F root credentials")
        assert sorted((f["account_name"], f["error_code"], f["operation"]) for f in roots["failed_accounts"]) == [
            ("dev", "AccessDenied", "AssumeRoot"), ("prod", "AccessDenied", "AssumeRoot"),
            ("staging", "AccessDenied", "AssumeRoot")]
        assert "centralized root access must be enabled" in roots["msg"]

        # Rows 1, 3, 5 (MR): DescribeOrganization answers, the tree does not; refused with what to change.
        for task, operation in (("MR organization_info", "ListRoots"),
                                ("MR organization", "ListAWSServiceAccessForOrganization"),
                                ("MR posture of every account", "ListAccounts")):
            refused = _refused(result, task)
            assert (f"AWS Organizations refused {operation} (AccessDeniedException): it answers only the management "
                    f"account ({management}) and delegated administrators. Run this with the management account's "
                    "credentials or a delegated administrator's") in refused["msg"], refused["msg"]
        # Rows 11, 16, 19, 20, 31 (MR, issue 12's first input): every check comes back; the organisation-level ones
        # are unknown with the reason, not failed.
        checks = _checks(result.task("MR posture"))
        assert result.task("MR posture")["account_id"] == prod
        assert checks["centralized_root_access"]["status"] == "unknown"
        assert "AccountNotManagementOrDelegatedAdministratorException" in checks["centralized_root_access"][
            "evidence"]["reason"]
        assert checks["identity_center_in_use"]["status"] == "unknown"
        assert "does not administer IAM Identity Center" in checks["identity_center_in_use"]["evidence"]["reason"]
        assert checks["no_admin_users"]["status"] == "fail"  # prod-admin holds AdministratorAccess
        assert checks["security_contact"]["status"] == "fail"  # read without AccountId: not set
        # Row 31 (MR): the instance exists, in the management account; said so instead of "enable it".
        instance = _refused(result, "MR instance")
        assert (f"No IAM Identity Center instance is visible to account {prod} in region {sandbox_tool.REGION}. It "
                f"is a member account of the organization, and AWS shows the organization instance only to the "
                f"management account ({management})") in instance["msg"]
        # Rows 31-40 (MR): every module that discovers the instance (modules.discover: the identity store, the
        # permission sets, the assignments) is refused before any other Identity Center call with the same message.
        for task in ("MR identity store", "MR permission sets", "MR single permission set", "MR assignments"):
            message = _refused(result, task)["msg"]
            assert message.startswith(f"No IAM Identity Center instance is visible to account {prod} in region "
                                      f"{sandbox_tool.REGION}. It is a member account of the organization, and AWS "
                                      f"shows the organization instance only to the management account "
                                      f"({management})"), (task, message)
            assert "Enable with AWS Organizations" not in message, task
        # Rows 16-17 (MR): refused naming who may change the features.
        assert ("the caller is a member account: only the management account can enable or disable these features"
                in _refused(result, "MR root access")["msg"])
        # Rows 12, 42 (MR): AccountId refused, the member-role fallback refused (the role trusts the management
        # account only): the account is named with STS's code and what to set.
        contacts = _refused(result, "MR contacts")
        assert [(f["account_id"], f["error_code"]) for f in contacts["failed_accounts"]] == [
            (box.accounts["dev"], "AccessDenied")]
        assert "set member_role_name to the role your organization uses" in contacts["msg"]

        # Rows 5, 10 (F, MR): the inventory plugin reads the tree and tags from the management account; from a
        # member account the parse fails with what to change.
        code, listing, dummy = _inventory(box, tmp_path)
        hosts = sorted(json.loads(listing)["aws_accounts"]["hosts"])
        assert code == 0 and hosts == ["dev", "master", "prod", "staging"]
        code, dummy, errors = _inventory(box, tmp_path, member)
        assert code != 0 and "Traceback" not in errors
        assert "organization_accounts: AWS Organizations refused ListRoots (AccessDeniedException)" in " ".join(
            errors.split())


def test_delegated_administrators_of_identity_center_and_of_iam(tmp_path_factory, tmp_path):
    for box, run in private_estate(tmp_path_factory, "contexts-delegated", delegated_admin="dev", root_access=True):
        management, dev, staging = box.accounts["management"], box.accounts["dev"], box.accounts["staging"]
        box.client("organizations").register_delegated_administrator(AccountId=staging,
                                                                     ServicePrincipal="iam.amazonaws.com")
        delegated = sandbox_tool.member_credentials(box.endpoint, dev)
        iam_delegated = sandbox_tool.member_credentials(box.endpoint, staging)
        # The management account's own access: a permission set provisioned there (by an assignment in it), which AWS
        # lets only the management account change, assign or provision; and one provisioned nowhere.
        sso, instance = box.client("sso-admin"), box.state["instance_arn"]
        group = box.client("identitystore").create_group(IdentityStoreId=box.state["identity_store_id"],
                                                         DisplayName="mgmt-admins")["GroupId"]
        theirs = sso.create_permission_set(InstanceArn=instance, Name="MgmtOnly", Description="by management")[
            "PermissionSet"]["PermissionSetArn"]
        sso.create_account_assignment(InstanceArn=instance, TargetId=management, TargetType="AWS_ACCOUNT",
                                      PermissionSetArn=theirs, PrincipalType="GROUP", PrincipalId=group)
        sso.create_permission_set(InstanceArn=instance, Name="Unprovisioned")
        changed_theirs = {"name": "MgmtOnly", "description": "changed by the delegated administrator"}
        plays = [
            _play("DA: the delegated administrator of IAM Identity Center", [
                _task("DA organization_info", "organization_info"),
                _task("DA organization enabled", "organization",
                      {"trusted_services": ["sso.amazonaws.com", "iam.amazonaws.com"]}),
                _task("DA organization missing", "organization",
                      {"trusted_services": ["sso.amazonaws.com", "account.amazonaws.com"]}, expect_failure=True),
                _task("DA instance", "instance_info"),
                _task("DA posture", "account_security_info"),
                _task("DA root access", "root_access_management", expect_failure=True),
                _task("DA contacts", "alternate_contact",
                      {"account_ids": [box.accounts["prod"]], "contact_type": "security", "name": "Security",
                       "title": "Security", "email": "security@example.com", "phone": "+1 555 0100",
                       "member_role_name": sandbox_tool.OPERATOR_ROLE}, check=True),
                _task("DA permission sets: one provisioned to the management account", "permission_sets",
                      {"permission_sets": [changed_theirs]}, expect_failure=True),
                _task("DA assignments: one in the management account", "account_assignments",
                      {"assignments": [{"group": "mgmt-admins", "permission_sets": ["Unprovisioned"],
                                        "targets": {"accounts": ["management", "prod"]}}]}, expect_failure=True),
                _task("DA single permission set provisioned to the management account", "permission_set",
                      changed_theirs, expect_failure=True),
                _task("DA single permission set provisioned to the management account, deleted", "permission_set",
                      {"name": "MgmtOnly", "state": "absent", "force": True}, expect_failure=True),
                _task("DA provisioning of a set provisioned to the management account", "permission_set_provisioning",
                      {"names": ["Unprovisioned", "MgmtOnly"], "only_outdated": False}, expect_failure=True),
                _task("DA assignment of a set provisioned to the management account", "account_assignments",
                      {"assignments": [{"group": "mgmt-admins", "permission_sets": ["MgmtOnly"],
                                        "targets": {"accounts": ["prod"]}}]}, expect_failure=True),
                _task("DA purge of a set provisioned to the management account", "account_assignments",
                      {"assignments": [{"group": "mgmt-admins", "permission_sets": ["Unprovisioned", "MgmtOnly"],
                                        "targets": {"accounts": ["staging"]}}], "purge": True},
                      check=True, expect_failure=True),
                _task("DA access model: a set provisioned to the management account", "access_model_validate",
                      {"identity_center": {"assignments": [
                          {"group": "mgmt-admins", "permission_sets": ["Unprovisioned"],
                           "targets": {"accounts": ["prod"]}},
                          {"group": "mgmt-admins", "permission_sets": ["MgmtOnly", "Unprovisioned"],
                           "targets": {"accounts": ["staging"]}}]}}, expect_failure=True),
                _task("DA assignments of a set provisioned elsewhere", "account_assignments",
                      {"assignments": [{"group": "mgmt-admins", "permission_sets": ["Unprovisioned"],
                                        "targets": {"accounts": ["prod"]}},
                                       {"group": "mgmt-admins", "permission_sets": ["Unprovisioned"],
                                        "targets": {"accounts": ["staging"]}}]}, check=True),
            ], credentials=delegated),
            _play("IAM's delegated administrator", [
                _task("IAM-DA root access absent", "root_access_management", {"state": "absent"},
                      expect_failure=True),
                _task("IAM-DA posture, features readable", "account_security_info"),
            ], credentials=iam_delegated),
        ]
        with box.record() as recording:
            result = run(plays)
        # Every refusal came before any write: nothing was sent, the estate is as it was.
        assert recording.writes == [], recording.writes
        assert sso.describe_permission_set(InstanceArn=instance, PermissionSetArn=theirs)["PermissionSet"][
            "Description"] == "by management"
        assert sso.list_accounts_for_provisioned_permission_set(InstanceArn=instance, PermissionSetArn=theirs)[
            "AccountIds"] == [management]
        assert "Traceback" not in result.stdout + result.stderr

        # Rows 1, 3, 5-9 (DA): the delegated administrator reads the organisation.
        info = result.task("DA organization_info")
        assert {"id": dev, "name": "dev", "services": ["sso.amazonaws.com"]} in info["delegated_administrators"]
        assert info["trusted_services"] == ["iam.amazonaws.com", "sso.amazonaws.com"]
        # Row 4 (DA): nothing to enable is no change; a service to enable is refused before any write.
        assert result.task("DA organization enabled")["changed"] is False
        missing = _refused(result, "DA organization missing")
        assert (f"trusted_services: trusted access is missing for account.amazonaws.com, and only the management "
                f"account ({management}) can enable it: the caller ({dev}) is a member account") in missing["msg"]
        # Row 31 (DA): the organisation's instance.
        assert result.task("DA instance")["instance"]["instance_arn"] == box.state["instance_arn"]
        # Rows 16, 31 (DA): root access unknown with the reason (not IAM's delegated administrator), Identity Center
        # in use (this account administers it).
        checks = _checks(result.task("DA posture"))
        assert checks["centralized_root_access"]["status"] == "unknown"
        assert checks["identity_center_in_use"]["status"] == "pass"
        # Rows 16-17 (DA): refused naming the management account's role.
        assert "only the management account can enable or disable" in _refused(result, "DA root access")["msg"]
        # Rows 12-13 (DA): Account Management refuses AccountId; the contact is planned through the member role the
        # operator controls.
        contacts = result.task("DA contacts")
        assert contacts["changed"] is True and "failed_accounts" not in contacts

        # Rows 17-18 (IAM's delegated administrator): it reads the features, and a change is refused before any
        # write, naming the management account.
        refused = _refused(result, "IAM-DA root access absent")
        assert (f"centralized root access: the caller ({staging}) is not the management account ({management}); only "
                "the management account can disable RootCredentialsManagement and RootSessions") in refused["msg"]
        assert _checks(result.task("IAM-DA posture, features readable"))["centralized_root_access"]["status"] == "pass"

        # Rows 36-38 (DA): the migration's modules refuse the management account's access before any write, saying
        # why and what to do ...
        refused = _refused(result, "DA permission sets: one provisioned to the management account")
        assert (f"permission_sets (MgmtOnly): the caller ({dev}) is a delegated administrator of IAM Identity Center, "
                f"not the management account ({management}): AWS refuses changes to a permission set provisioned to "
                "the management account from a delegated administrator; make this change from the management "
                "account") in refused["msg"]
        refused = _refused(result, "DA assignments: one in the management account")
        assert (f"assignments[0] (group:mgmt-admins).targets: the caller ({dev}) is a delegated administrator of IAM "
                f"Identity Center, not the management account ({management}): AWS refuses account assignments in "
                "the management account") in refused["msg"], refused["msg"]
        assert len(refused["problems"]) == 1  # Unprovisioned is provisioned nowhere: only the target is refused
        # Rows 36-37 (DA): the single-set modules share the engine's refusal: a change, a deletion or a provisioning of
        # a set provisioned to the management account, named, with why and what to do.
        refusal = (f"permission set 'MgmtOnly': the caller ({dev}) is a delegated administrator of IAM Identity Center, "
                   f"not the management account ({management}): AWS refuses changes to a permission set provisioned "
                   "to the management account from a delegated administrator; make this change from the management "
                   "account, or remove the set's assignments in the management account first")
        for name in ("DA single permission set provisioned to the management account",
                     "DA single permission set provisioned to the management account, deleted",
                     "DA provisioning of a set provisioned to the management account"):
            refused = _refused(result, name)
            assert refused["problems"] == [refusal], (name, refused["msg"])
            assert "AccessDeniedException" not in json.dumps(refused), name
        # Rows 38-39 (DA): an assignment (or a purge) of a set provisioned to the management account, in a member
        # account, is refused before any write, naming the entry and the set; the whole model says so first.
        assignment_refusal = (f"the caller ({dev}) is a delegated administrator of IAM Identity Center, not the "
                              f"management account ({management}): AWS refuses account assignments (created or "
                              "deleted, in any account) of a permission set provisioned to the management account "
                              "from a delegated administrator; make this change from the management account, or "
                              "remove the set's assignments in the management account first")
        for name in ("DA assignment of a set provisioned to the management account",
                     "DA purge of a set provisioned to the management account"):
            refused = _refused(result, name)
            assert refused["problems"] == [
                f"assignments[0] (group:mgmt-admins).permission_sets (MgmtOnly): {assignment_refusal}"], refused["msg"]
            assert "AccessDeniedException" not in json.dumps(refused), name
        refused = _refused(result, "DA access model: a set provisioned to the management account")
        assert refused["problems"] == [
            f"identity_center.assignments[1].permission_sets (MgmtOnly): {assignment_refusal}"], refused["msg"]
        # ... one ListAccountsForProvisionedPermissionSet per permission set named, not per entry; a set provisioned
        # elsewhere is planned as from the management account.
        elsewhere = result.task("DA assignments of a set provisioned elsewhere")
        assert elsewhere["counts"]["created"] == 2, elsewhere
        assert elsewhere["api_calls"]["ListAccountsForProvisionedPermissionSet"] == 1, elsewhere["api_calls"]

        # Rows 5, 10 (DA): the inventory plugin reads the tree and the tags from the delegated administrator.
        code, listing, errors = _inventory(box, tmp_path, delegated)
        assert code == 0, errors
        assert sorted(json.loads(listing)["aws_accounts"]["hosts"]) == ["dev", "master", "prod", "staging"]
