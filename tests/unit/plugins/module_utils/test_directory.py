"""Identity store look-ups and user/group reconciliation (AWS answers encoded with Stubber)."""

import pytest

from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.directory import IdentityStore

from .stubbed import stubbed_client


def _user_identifier(name):
    return {"IdentityStoreId": "d-1111111111",
            "AlternateIdentifier": {"UniqueAttribute": {"AttributePath": "userName", "AttributeValue": name}}}


def test_directory_resolves_users_and_groups_once():
    identitystore, stubber = stubbed_client("identitystore")
    user_arn = "arn:aws:identitystore::123456789012:identitystore/d-1111111111/user/u-alice-0000000000"
    group_arn = "arn:aws:identitystore::123456789012:identitystore/d-1111111111/group/g-admins-00000000000"
    stubber.add_response("get_user_id", {"IdentityStoreId": "d-1111111111", "UserId": "u-alice", "UserArn": user_arn},
                         _user_identifier("alice"))
    stubber.add_response(
        "get_group_id",
        {"IdentityStoreId": "d-1111111111", "GroupId": "g-admins", "GroupArn": group_arn},
        {"IdentityStoreId": "d-1111111111",
         "AlternateIdentifier": {"UniqueAttribute": {"AttributePath": "displayName", "AttributeValue": "platform-admins"}}},
    )
    directory = IdentityStore(identitystore, "d-1111111111")
    assert directory.user_id("alice") == "u-alice"
    assert directory.user_id("alice") == "u-alice"  # cached: the Stubber has no second answer
    assert directory.group_id("platform-admins") == "g-admins"
    stubber.assert_no_pending_responses()


def test_directory_lists_every_missing_principal():
    identitystore, stubber = stubbed_client("identitystore")
    stubber.add_client_error("get_user_id", service_error_code="ResourceNotFoundException", http_status_code=400)
    stubber.add_client_error("get_user_id", service_error_code="ResourceNotFoundException", http_status_code=400)
    stubber.add_client_error("get_group_id", service_error_code="ResourceNotFoundException", http_status_code=400)
    directory = IdentityStore(identitystore, "d-1111111111")
    with pytest.raises(SsoShiftError) as error:
        directory.resolve(users=["carol", "dave"], groups=["auditors"])
    assert error.value.problems == [
        "user 'carol' does not exist in identity store d-1111111111",
        "user 'dave' does not exist in identity store d-1111111111",
        "group 'auditors' does not exist in identity store d-1111111111",
    ]


def test_directory_remember_avoids_a_lookup():
    identitystore, stubber = stubbed_client("identitystore")
    directory = IdentityStore(identitystore, "d-1111111111")
    directory.remember("USER", "erin", "u-erin")
    assert directory.user_id("erin") == "u-erin"
    stubber.assert_no_pending_responses()


STORE = "d-1111111111"
ALICE = {"IdentityStoreId": STORE, "UserId": "u-alice", "UserName": "alice", "DisplayName": "Alice Doe",
         "Name": {"GivenName": "Alice", "FamilyName": "Doe"},
         "Emails": [{"Value": "alice@example.com", "Type": "work", "Primary": True}], "Title": "Engineer",
         "UserArn": "arn:aws:identitystore::123456789012:identitystore/d-1111111111/user/u-alice-0000000000",
         "Revision": "1"}
USER_ARN = ALICE["UserArn"]
UPDATED_USER = {"IdentityStoreId": STORE, "UserId": "u-alice", "UserArn": USER_ARN, "Revision": "2"}


def _store_with_alice(check_mode=False):
    identitystore, stubber = stubbed_client("identitystore")
    stubber.add_response("get_user_id", {"IdentityStoreId": STORE, "UserId": "u-alice", "UserArn": USER_ARN})
    stubber.add_response("describe_user", ALICE, {"IdentityStoreId": STORE, "UserId": "u-alice"})
    return IdentityStore(identitystore, STORE, check_mode), stubber


def test_existing_user_is_updated_in_place_with_attribute_operations():
    # moto lacks UpdateUser. AWS's contract: one UpdateUser call, a list of AttributePath/AttributeValue
    # operations, emails as the whole multi-valued attribute; the user ID never changes.
    store, stubber = _store_with_alice()
    stubber.add_response("update_user", UPDATED_USER, {
        "IdentityStoreId": STORE, "UserId": "u-alice",
        "Operations": [{"AttributePath": "title", "AttributeValue": "Platform engineer"},
                       {"AttributePath": "emails",
                        "AttributeValue": [{"Value": "alice@corp.example", "Type": "work", "Primary": True}]}]})
    changed, before, after, changes = store.ensure_user(
        {"user_name": "alice", "title": "Platform engineer", "email": "alice@corp.example", "given_name": "Alice"})
    assert changed is True
    assert before["title"] == "Engineer" and after["title"] == "Platform engineer"
    assert after["user_id"] == "u-alice"
    assert [c["attribute"] for c in changes] == ["title", "email"]
    stubber.assert_no_pending_responses()


def test_unchanged_user_makes_no_write():
    store, stubber = _store_with_alice()
    changed, before, after, changes = store.ensure_user(
        {"user_name": "alice", "given_name": "Alice", "family_name": "Doe", "email": "alice@example.com"})
    assert (changed, changes) == (False, [])
    assert before == after
    stubber.assert_no_pending_responses()


def test_check_mode_reports_the_update_without_calling_update_user():
    store, stubber = _store_with_alice(check_mode=True)
    changed, dummy, after, changes = store.ensure_user({"user_name": "alice", "nickname": "Al"})
    assert changed is True and after["nickname"] == "Al" and changes[0]["attribute"] == "nickname"
    stubber.assert_no_pending_responses()  # an update_user call would have found no stubbed answer


def test_creating_a_user_needs_names_and_email():
    identitystore, stubber = stubbed_client("identitystore")
    stubber.add_client_error("get_user_id", service_error_code="ResourceNotFoundException", http_status_code=400)
    with pytest.raises(SsoShiftError, match="user 'carol' does not exist; creating it needs family_name, email"):
        IdentityStore(identitystore, STORE).ensure_user({"user_name": "carol", "given_name": "Carol"})


def test_group_description_is_updated_with_update_group():
    # moto lacks UpdateGroup; AWS updates the description with one attribute operation.
    identitystore, stubber = stubbed_client("identitystore")
    group_arn = "arn:aws:identitystore::123456789012:identitystore/d-1111111111/group/g-admins-00000000000"
    stubber.add_response("get_group_id", {"IdentityStoreId": STORE, "GroupId": "g-admins", "GroupArn": group_arn})
    stubber.add_response("describe_group", {"IdentityStoreId": STORE, "GroupId": "g-admins", "GroupArn": group_arn,
                                            "Revision": "1", "DisplayName": "admins", "Description": "old"})
    stubber.add_response("list_group_memberships", {"GroupMemberships": []})
    stubber.add_response("update_group", {"IdentityStoreId": STORE, "GroupId": "g-admins", "GroupArn": group_arn,
                                          "Revision": "2"}, {
        "IdentityStoreId": STORE, "GroupId": "g-admins",
        "Operations": [{"AttributePath": "description",
                        "AttributeValue": "new (managed by ssoshift.identity_center)"}]})
    result = IdentityStore(identitystore, STORE).ensure_group("admins", description="new")
    assert result["changed"] is True and result["ownership"] == "adopted"  # "old" carried no mark
    assert result["before"]["description"] == "old" and result["after"]["description"] == "new"
    stubber.assert_no_pending_responses()


def test_purge_members_without_a_member_list_removes_nobody():
    identitystore, stubber = stubbed_client("identitystore")
    group_arn = "arn:aws:identitystore::123456789012:identitystore/d-1111111111/group/g-admins-00000000000"
    stubber.add_response("get_group_id", {"IdentityStoreId": STORE, "GroupId": "g-admins", "GroupArn": group_arn})
    stubber.add_response("describe_group", {"IdentityStoreId": STORE, "GroupId": "g-admins", "GroupArn": group_arn,
                                            "Revision": "1", "DisplayName": "admins"})
    stubber.add_response("list_group_memberships", {"GroupMemberships": [
        {"IdentityStoreId": STORE, "MembershipId": "m-1", "GroupId": "g-admins", "MemberId": {"UserId": "u-alice"},
         "MembershipArn": "arn:aws:identitystore::123456789012:identitystore/d-1111111111/membership/m-1-000000000000"}]})
    stubber.add_response("describe_user", ALICE)
    result = IdentityStore(identitystore, STORE).ensure_group("admins", members=None, purge_members=True)
    assert result["changed"] is False and result["members_removed"] == []
    stubber.assert_no_pending_responses()  # a delete_group_membership call would have had no answer


def test_principal_labels_are_cached_and_mark_deleted_principals():
    identitystore, stubber = stubbed_client("identitystore")
    group_arn = "arn:aws:identitystore::123456789012:identitystore/d-1111111111/group/g-admins-00000000000"
    stubber.add_response("describe_group", {"IdentityStoreId": STORE, "GroupId": "g-admins", "GroupArn": group_arn,
                                            "Revision": "1", "DisplayName": "admins"})
    stubber.add_client_error("describe_user", service_error_code="ResourceNotFoundException", http_status_code=400)
    store = IdentityStore(identitystore, STORE)
    assert store.principal_label("GROUP", "g-admins") == "group:admins"
    assert store.principal_label("GROUP", "g-admins") == "group:admins"  # no second call: the Stubber has none
    assert store.principal_label("USER", "u-gone") == "user:u-gone (deleted)"
    stubber.assert_no_pending_responses()


# --------------------------------------------------------------------------- the bulk engine

from ansible_collections.ssoshift.identity_center.plugins.module_utils.directory import MARK  # noqa: E402
from ansible_collections.ssoshift.identity_center.plugins.module_utils.directory import converge_directory  # noqa: E402
from ansible_collections.ssoshift.identity_center.plugins.module_utils.directory import split_description  # noqa: E402

GROUP_ARN = "arn:aws:identitystore::123456789012:identitystore/d-1111111111/group/g-admins-00000000000"


def _listing(stubber, users, groups):
    stubber.add_response("list_users", {"Users": users}, {"IdentityStoreId": STORE, "MaxResults": 100})
    stubber.add_response("list_groups", {"Groups": groups}, {"IdentityStoreId": STORE, "MaxResults": 100})


def test_the_mark_is_stripped_and_recognised():
    assert split_description(MARK) == (None, True)
    assert split_description("Admins (managed by ssoshift.identity_center)") == ("Admins", True)
    assert split_description("Made by hand") == ("Made by hand", False)


def test_bulk_engine_updates_users_in_place_and_reads_members_once_per_group():
    # moto lacks UpdateUser: AWS's contract is one UpdateUser with the attribute operations, the ID kept.
    identitystore, stubber = stubbed_client("identitystore")
    _listing(stubber, [ALICE], [{"IdentityStoreId": STORE, "GroupId": "g-admins", "DisplayName": "admins",
                                 "Description": MARK, "GroupArn": GROUP_ARN, "Revision": "1"}])
    stubber.add_response("list_group_memberships", {"GroupMemberships": [
        {"IdentityStoreId": STORE, "MembershipId": "m-1", "GroupId": "g-admins", "MemberId": {"UserId": "u-alice"},
         "MembershipArn": "arn:aws:identitystore::123456789012:identitystore/d-1111111111/membership/m-1-000000000000"}]},
        {"IdentityStoreId": STORE, "GroupId": "g-admins", "MaxResults": 100})
    stubber.add_response("update_user", UPDATED_USER, {"IdentityStoreId": STORE, "UserId": "u-alice", "Operations": [
        {"AttributePath": "title", "AttributeValue": "Staff engineer"}]})
    store = IdentityStore(identitystore, STORE)
    result = converge_directory(store, [{"user_name": "alice", "title": "Staff engineer"}],
                                [{"name": "admins", "members": ["alice"]}])
    assert result["users"]["updated"] == [{"user_name": "alice", "changes": [
        {"attribute": "title", "before": "Engineer", "after": "Staff engineer"}]}]
    assert result["ownership"] == {"admins": "managed"} and result["adopted"] == []
    assert result["memberships"] == {"added": [], "removed": []}
    stubber.assert_no_pending_responses()


def test_a_create_answered_already_exists_is_read_back_and_counted_as_done():
    # A CreateUser repeated after a dropped connection: AWS answers ConflictException with
    # Reason UNIQUENESS_CONSTRAINT_VIOLATION (not retried); the engine reads the user's ID and goes on.
    identitystore, stubber = stubbed_client("identitystore")
    _listing(stubber, [], [])
    stubber.add_client_error("create_user", service_error_code="ConflictException", http_status_code=400,
                             service_message="Duplicate UserName",
                             modeled_fields={"Reason": "UNIQUENESS_CONSTRAINT_VIOLATION"})
    stubber.add_response("get_user_id", {"IdentityStoreId": STORE, "UserId": "u-carol", "UserArn": USER_ARN},
                         _user_identifier("carol"))
    stubber.add_response("create_group", {"IdentityStoreId": STORE, "GroupId": "g-new", "GroupArn": GROUP_ARN,
                                          "Revision": "1"},
                         {"IdentityStoreId": STORE, "DisplayName": "new", "Description": MARK})
    stubber.add_client_error("create_group_membership", service_error_code="ConflictException",
                             http_status_code=400, service_message="Membership exists",
                             modeled_fields={"Reason": "UNIQUENESS_CONSTRAINT_VIOLATION"})
    store = IdentityStore(identitystore, STORE)
    result = converge_directory(store, [{"user_name": "carol", "given_name": "C", "family_name": "D",
                                         "email": "c@example.com"}],
                                [{"name": "new", "members": ["carol"]}], workers=1)
    assert result["users"]["created"] == ["carol"] and store.user_id("carol") == "u-carol"
    assert result["memberships"]["added"] == [{"group": "new", "user": "carol"}]
    stubber.assert_no_pending_responses()


def test_check_mode_plans_members_of_users_to_be_created_and_writes_nothing():
    identitystore, stubber = stubbed_client("identitystore")
    _listing(stubber, [], [])
    store = IdentityStore(identitystore, STORE, check_mode=True)
    result = converge_directory(store, [{"user_name": "dave", "given_name": "D", "family_name": "E",
                                         "email": "d@example.com"}], [{"name": "ops", "members": ["dave"]}])
    assert result["changed"] is True and result["groups"]["created"] == ["ops"]
    assert result["diff"]["after"]["groups"]["ops"]["members"] == ["dave"]
    stubber.assert_no_pending_responses()  # any write would have found no stubbed answer


def test_unknown_members_and_missing_attributes_fail_before_any_write():
    identitystore, stubber = stubbed_client("identitystore")
    _listing(stubber, [], [])
    with pytest.raises(SsoShiftError) as error:
        converge_directory(IdentityStore(identitystore, STORE), [{"user_name": "erin", "given_name": "E"}],
                           [{"name": "ops", "members": ["erin", "ghost"]}])
    assert error.value.problems == [
        "users[0] (erin): user 'erin' does not exist; creating it needs family_name, email",
        "groups[0] (ops).members: user 'ghost' is not in the identity store d-1111111111 nor in users"]
