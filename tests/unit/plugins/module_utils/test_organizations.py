"""Accounts named by ID, by Organizations name, or by the `management` alias."""

from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import account_reference_map

LISTED = [
    {"Id": "123456789012", "Name": "master", "Arn": "arn:aws:organizations::123456789012:account/o-x/123456789012",
     "Email": "root@example.com", "Status": "ACTIVE"},
    {"Id": "210987654321", "Name": "prod", "Arn": "arn:aws:organizations::123456789012:account/o-x/210987654321",
     "Email": "prod@example.com", "Status": "ACTIVE"},
    {"Id": "111111111111", "Name": "sandbox", "Arn": "arn:aws:organizations::123456789012:account/o-x/111111111111",
     "Email": "s1@example.com", "Status": "ACTIVE"},
    {"Id": "222222222222", "Name": "sandbox", "Arn": "arn:aws:organizations::123456789012:account/o-x/222222222222",
     "Email": "s2@example.com", "Status": "ACTIVE"},
]


def test_reference_map_leaves_out_ambiguous_names_and_adds_the_alias():
    listed = [{"id": a["Id"], "name": a["Name"]} for a in LISTED]
    references = account_reference_map(listed, "123456789012")
    assert references["prod"] == "210987654321"
    assert references["management"] == "123456789012"
    assert "sandbox" not in references
    assert references["222222222222"] == "222222222222"


def test_reference_map_prefers_a_real_account_named_management():
    listed = [{"id": "123456789012", "name": "root-org"}, {"id": "333333333333", "name": "management"}]
    assert account_reference_map(listed, "123456789012")["management"] == "333333333333"
