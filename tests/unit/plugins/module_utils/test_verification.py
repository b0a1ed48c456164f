"""The verification gate's administrator coverage."""

from ansible_collections.ssoshift.identity_center.plugins.module_utils.verification import admin_gaps

GROUPS = [{"display_name": "platform-admins", "members": ["alice"]}, {"display_name": "empty", "members": []}]


def test_direct_and_group_assignments_cover_and_gaps_are_listed_in_order():
    assignments = [
        {"principal": "group:platform-admins", "account_id": "111111111111"},
        {"principal": "user:bob", "account_id": "222222222222"},
        {"principal": "group:empty", "account_id": "333333333333"},
    ]
    gaps = admin_gaps(assignments, GROUPS, ["alice", "bob"], ["111111111111", "222222222222", "333333333333"])
    assert gaps == [{"user": "alice", "account_id": "222222222222"}, {"user": "alice", "account_id": "333333333333"},
                    {"user": "bob", "account_id": "111111111111"}, {"user": "bob", "account_id": "333333333333"}]


def test_a_group_unknown_to_the_directory_covers_nobody():
    gaps = admin_gaps([{"principal": "group:ghosts", "account_id": "111111111111"}], GROUPS, ["alice"],
                      ["111111111111"])
    assert gaps == [{"user": "alice", "account_id": "111111111111"}]
