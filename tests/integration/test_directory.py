"""identitystore_user / identitystore_group / identitystore_info against the sandbox."""

USER = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: user
      ssoshift.identity_center.identitystore_user:
        user_name: "{{ name }}"
        given_name: "{{ given | default(omit) }}"
        family_name: Tester
        email: "{{ name }}@example.com"
        state: "{{ state | default('present') }}"
"""

GROUP = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: group
      ssoshift.identity_center.identitystore_group:
        display_name: "{{ name }}"
        description: "{{ description | default(omit) }}"
        members: "{{ members | default(omit) }}"
        purge_members: "{{ purge | default(false) }}"
        state: "{{ state | default('present') }}"
"""


def _store(sandbox):
    return sandbox.client("identitystore"), sandbox.state["identity_store_id"]


def _user_id(sandbox, name):
    client, store = _store(sandbox)
    users = client.list_users(IdentityStoreId=store)["Users"]
    return next((u["UserId"] for u in users if u["UserName"] == name), None)


def test_user_lifecycle_check_mode_idempotence_and_diff(sandbox, run_playbook):
    with sandbox.record() as recording:
        checked = run_playbook(USER, {"name": "it-user-1", "given": "Ivy"}, check=True, diff=True).task("user")
    assert checked["changed"] is True and checked["user_id"] is None
    assert recording.writes == []
    assert _user_id(sandbox, "it-user-1") is None

    created = run_playbook(USER, {"name": "it-user-1", "given": "Ivy"}, diff=True).task("user")
    assert created["changed"] is True
    assert created["user_id"] == _user_id(sandbox, "it-user-1")
    assert created["diff"]["before"] == {} and created["diff"]["after"]["display_name"] == "Ivy Tester"

    with sandbox.record() as recording:
        again = run_playbook(USER, {"name": "it-user-1", "given": "Ivy"}).task("user")
    assert again["changed"] is False and again["user_id"] == created["user_id"]
    assert recording.writes == []

    removed = run_playbook(USER, {"name": "it-user-1", "state": "absent"}).task("user")
    assert removed["changed"] is True and _user_id(sandbox, "it-user-1") is None
    assert run_playbook(USER, {"name": "it-user-1", "state": "absent"}).task("user")["changed"] is False


def test_group_members_are_added_kept_and_purged(sandbox, run_playbook):
    for name in ("it-gm-a", "it-gm-b"):
        run_playbook(USER, {"name": name, "given": "G"})
    created = run_playbook(GROUP, {"name": "it-group-1", "description": "first", "members": ["it-gm-a"]}).task("group")
    assert created["changed"] is True and created["members_added"] == ["it-gm-a"]
    client, store = _store(sandbox)
    memberships = client.list_group_memberships(IdentityStoreId=store, GroupId=created["group_id"])
    assert [m["MemberId"]["UserId"] for m in memberships["GroupMemberships"]] == [_user_id(sandbox, "it-gm-a")]

    again = run_playbook(GROUP, {"name": "it-group-1", "description": "first", "members": ["it-gm-a"]}).task("group")
    assert again["changed"] is False

    added = run_playbook(GROUP, {"name": "it-group-1", "members": ["it-gm-b"]}).task("group")
    assert added["members_added"] == ["it-gm-b"] and added["members_removed"] == []
    assert added["group"]["members"] == ["it-gm-a", "it-gm-b"]

    with sandbox.record() as recording:
        would = run_playbook(GROUP, {"name": "it-group-1", "members": ["it-gm-b"], "purge": True},
                             check=True).task("group")
    assert would["members_removed"] == ["it-gm-a"] and recording.writes == []

    purged = run_playbook(GROUP, {"name": "it-group-1", "members": ["it-gm-b"], "purge": True}).task("group")
    assert purged["members_removed"] == ["it-gm-a"] and purged["group"]["members"] == ["it-gm-b"]

    gone = run_playbook(GROUP, {"name": "it-group-1", "state": "absent"}).task("group")
    assert gone["changed"] is True
    assert not [g for g in client.list_groups(IdentityStoreId=store)["Groups"] if g["DisplayName"] == "it-group-1"]


def test_unknown_members_are_all_named_and_nothing_is_written(sandbox, run_playbook):
    with sandbox.record() as recording:
        run = run_playbook(GROUP, {"name": "it-group-2", "members": ["nobody-1", "nobody-2"]})
    result = run.task("group")
    assert result["failed"] is True
    assert "user 'nobody-1' does not exist" in result["msg"] and "user 'nobody-2' does not exist" in result["msg"]
    assert recording.writes == []


def test_info_reads_everything_or_named_principals(sandbox, run_playbook):
    run_playbook(USER, {"name": "it-info-user", "given": "In"})
    run_playbook(GROUP, {"name": "it-info-group", "members": ["it-info-user"]})
    run = run_playbook("""
    - hosts: localhost
      gather_facts: false
      tasks:
        - name: all
          ssoshift.identity_center.identitystore_info:
        - name: named
          ssoshift.identity_center.identitystore_info:
            user_names: [it-info-user, it-ghost]
            group_names: [it-info-group]
        - name: strict
          ssoshift.identity_center.identitystore_info:
            user_names: [it-ghost]
            fail_on_missing: true
          ignore_errors: true
    """)
    everything = run.task("all")
    assert "it-info-user" in [u["user_name"] for u in everything["users"]]
    group = next(g for g in everything["groups"] if g["display_name"] == "it-info-group")
    assert group["members"] == ["it-info-user"]
    named = run.task("named")
    assert [u["user_name"] for u in named["users"]] == ["it-info-user"]
    assert named["missing"] == {"users": ["it-ghost"], "groups": []}
    assert "user 'it-ghost' does not exist" in run.task("strict")["msg"]
