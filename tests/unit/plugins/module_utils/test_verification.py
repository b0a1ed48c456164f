"""The verification gate: administrator coverage and the gate's problems (module_utils/verification.py)."""

from ansible_collections.ssoshift.identity_center.plugins.module_utils.verification import admin_gaps
from ansible_collections.ssoshift.identity_center.plugins.module_utils.verification import gate_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.verification import holders_of

MEMBERS = {"g-admins": {"alice"}, "g-empty": set()}
ACCOUNTS = ["111111111111", "222222222222", "333333333333"]


def test_direct_and_group_assignments_cover_and_gaps_are_listed_in_order():
    holders = holders_of([("GROUP", "g-admins", "111111111111"), ("USER", "bob", "222222222222"),
                          ("GROUP", "g-empty", "333333333333")], MEMBERS)
    gaps = admin_gaps(holders, ["alice", "bob"], ACCOUNTS)
    assert gaps == [{"user": "alice", "account_id": "222222222222"}, {"user": "alice", "account_id": "333333333333"},
                    {"user": "bob", "account_id": "111111111111"}, {"user": "bob", "account_id": "333333333333"}]


def test_a_group_unknown_to_the_directory_covers_nobody():
    assert admin_gaps(holders_of([("GROUP", "ghosts", "111111111111")], MEMBERS), ["alice"], ["111111111111"]) == [
        {"user": "alice", "account_id": "111111111111"}]


def test_the_gate_opens_only_without_a_problem_and_says_each_in_order():
    names = {"111111111111": "dev"}
    assert gate_problems(["alice"], "AdministratorAccess", True, [], [], [], [], [], names) == []
    problems = gate_problems(
        [], "AdminX", False, [], ["verification.accounts: no account with ID or name 'qa' in the organization"],
        [{"principal": "group:ops", "permission_set": "ReadOnly", "account_name": "dev", "account_id": "111111111111"}],
        ["ReadOnly"], [{"user": "alice", "account_id": "111111111111"}], names)
    assert problems == [
        "verification.administrators is empty: name the Identity Center users who replace the legacy admins",
        "verification.permission_set: 'AdminX' does not exist in Identity Center",
        "verification.accounts: no account with ID or name 'qa' in the organization",
        "assignment missing: group:ops / ReadOnly / dev",
        "permission set not provisioned with its latest version: ReadOnly"]


def test_an_unknown_administrator_is_named_once_not_once_per_account():
    gaps = admin_gaps(set(), ["ghost"], ACCOUNTS)
    problems = gate_problems(["ghost"], "AdministratorAccess", True, ["ghost"], [], [], [], gaps, {})
    assert problems == ["verification.administrators: 'ghost' is not in the identity store"]
