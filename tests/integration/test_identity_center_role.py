"""The identity_center role: whole-model validation first, then convergence."""

ROLE = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: role
      ansible.builtin.include_role:
        name: ssoshift.identity_center.identity_center
"""

GOOD_USER = {"user_name": "role-ann", "given_name": "Ann", "family_name": "Lee", "email": "ann@example.com"}


def test_every_problem_is_listed_once_and_nothing_is_written(sandbox, run_playbook):
    model = {
        "users": [GOOD_USER, dict(GOOD_USER, email="second@example.com")],
        "groups": [{"name": "role-g", "members": ["role-ann", "role-nobody"]}],
        "permission_sets": [
            {"name": "RoleOk", "managed_policies": ["ReadOnlyAccess"]},
            {"name": "RoleBad", "session_duration": "PT13H", "inline_policy": "{oops"},
        ],
    }
    with sandbox.record() as recording:
        run = run_playbook(ROLE, {"identity_center": model})
    assert run.returncode != 0
    [(task, message)] = run.failures
    assert task.endswith("Check the users, groups and permission sets of the access model before any change")
    for expected in ("identity_center.users: user_name 'role-ann' is listed more than once",
                     "identity_center.groups[0] (role-g).members: user 'role-nobody' is not in the identity store",
                     "identity_center.permission_sets[1] (RoleBad).session_duration: must be between PT1H and PT12H",
                     "identity_center.permission_sets[1] (RoleBad).inline_policy: not valid JSON"):
        assert expected in message
    assert "4 problem(s); nothing was changed" in message
    assert recording.writes == []


def test_external_identity_provider_mode_only_looks_principals_up(sandbox, run_playbook):
    client = sandbox.client("identitystore")
    store = sandbox.state["identity_store_id"]
    client.create_user(IdentityStoreId=store, UserName="scim-user", DisplayName="Scim User",
                       Name={"GivenName": "Scim", "FamilyName": "User"})
    client.create_group(IdentityStoreId=store, DisplayName="scim-group")
    model = {"users": [{"user_name": "scim-user"}], "groups": [{"name": "scim-group", "members": ["scim-user"]}],
             "permission_sets": [{"name": "ScimRead", "managed_policies": ["ReadOnlyAccess"]}]}
    with sandbox.record() as recording:
        run = run_playbook(ROLE, {"identity_center": model, "identity_center_manage_directory": False})
    assert run.returncode == 0, run.failures
    directory_writes = [op for op in recording.writes if op in (
        "CreateUser", "CreateGroup", "CreateGroupMembership", "DeleteGroupMembership", "UpdateUser")]
    assert directory_writes == [] and "CreatePermissionSet" in recording.writes

    missing = dict(model, users=[{"user_name": "scim-absent"}])
    with sandbox.record() as recording:
        refused = run_playbook(ROLE, {"identity_center": missing, "identity_center_manage_directory": False})
    assert refused.returncode != 0 and recording.writes == []
    assert ("identity_center.users[0] (scim-absent): user 'scim-absent' is not in the identity store"
            in refused.failures[0][1])


def test_role_converges_then_changes_nothing(sandbox, run_playbook):
    model = {"users": [dict(GOOD_USER, user_name="role-conv")],
             "groups": [{"name": "role-conv-g", "members": ["role-conv"]}],
             "permission_sets": [{"name": "RoleConv", "session_duration": "PT2H",
                                  "managed_policies": ["ReadOnlyAccess"]}]}
    first = run_playbook(ROLE, {"identity_center": model})
    # One task for the whole directory, one for every permission set.
    assert first.returncode == 0 and first.stats["changed"] == 2
    directory = first.task("Users, groups and their members")
    assert directory["users"]["created"] == ["role-conv"] and directory["groups"]["created"] == ["role-conv-g"]
    assert directory["memberships"]["added"] == [{"group": "role-conv-g", "user": "role-conv"}]
    assert first.task("Permission sets, each provisioned once at the end")["created"] == ["RoleConv"]
    second = run_playbook(ROLE, {"identity_center": model})
    assert second.returncode == 0 and second.stats["changed"] == 0
