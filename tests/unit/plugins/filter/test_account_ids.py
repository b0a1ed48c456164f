from ansible_collections.ssoshift.identity_center.plugins.filter.account_ids import FilterModule


def test_filter_is_registered_under_its_documented_name():
    account_ids = FilterModule().filters()["account_ids"]
    assert account_ids([{"id": "210987654321", "name": "prod"}], "123456789012") == {
        "prod": "210987654321", "management": "123456789012", "210987654321": "210987654321"}
