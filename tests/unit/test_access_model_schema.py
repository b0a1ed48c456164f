"""docs/access-model.schema.json describes what the collection accepts: the shipped example
validates, the keys it lists are the keys the validators accept, and a typo is caught."""

import json
import os

import jsonschema
import pytest
import yaml

from ansible_collections.ssoshift.identity_center.plugins.module_utils import access_model
from ansible_collections.ssoshift.identity_center.plugins.module_utils import automation

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCHEMA = json.load(open(os.path.join(ROOT, "docs", "access-model.schema.json")))
EXAMPLE = yaml.safe_load(open(os.path.join(ROOT, "examples", "access-model.yml")))


def test_the_example_model_is_valid():
    jsonschema.validate(EXAMPLE, SCHEMA)


@pytest.mark.parametrize("path,keys", [
    (("identity_center", "users"), access_model.USER_KEYS),
    (("identity_center", "groups"), access_model.GROUP_KEYS),
    (("identity_center", "permission_sets"), access_model.PERMISSION_SET_KEYS),
    (("automation_roles",), automation.AUTOMATION_KEYS),
    (("legacy_iam_users",), access_model.LEGACY_USER_KEYS),
])
def test_schema_keys_match_the_validators(path, keys):
    node = SCHEMA["properties"][path[0]]
    for part in path[1:]:
        node = node["properties"][part]
    assert set(node["items"]["properties"]) == set(keys)


def test_break_glass_keys_match_the_validator():
    assert set(SCHEMA["properties"]["break_glass"]["properties"]) == set(automation.BREAK_GLASS_KEYS)


def test_a_typo_is_caught():
    model = json.loads(json.dumps(EXAMPLE))
    model["identity_center"]["permission_sets"][0]["session_durations"] = "PT4H"
    with pytest.raises(jsonschema.ValidationError, match="session_durations"):
        jsonschema.validate(model, SCHEMA)
