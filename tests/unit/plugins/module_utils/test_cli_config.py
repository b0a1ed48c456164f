"""AWS CLI config files: parsing, merging and writing managed SSO sections."""

import configparser
import os
import stat

import pytest

from ansible_collections.ssoshift.identity_center.plugins.module_utils import cli_config as cli

START_URL = "https://d-1234567890.awsapps.com/start"
DEV_ADMIN = {"account_id": "111111111111", "account_name": "dev", "permission_set": "AdministratorAccess"}
PROD_READ = {"account_id": "222222222222", "account_name": "prod", "permission_set": "ReadOnlyAccess"}

HAND_WRITTEN = (
    "; my settings, tabs and odd spacing on purpose\n"
    "[default]\n"
    "region=eu-west-1\n"
    "\n"
    "\n"
    "#   personal account\n"
    "[profile personal]\n"
    "aws_access_key_id   =    AKIAEXAMPLE\n"
    "\tregion = us-west-2  \n"
    "s3 =\n"
    "  max_concurrent_requests = 20\n"
    "\n"
    "[services local]\n"
    "s3 =\n"
    "  endpoint_url = http://localhost:4566\n"
)


def sections(profiles, session="ssoshift", template=cli.DEFAULT_TEMPLATE):
    built, problems = cli.build_profiles(profiles, template, "eu-west-1", "json", session)
    assert problems == []
    return cli.desired_sections(session, START_URL, "eu-west-1", ["sso:account:access"], built)


def merged(text, profiles, session="ssoshift"):
    new, plan, problems = cli.merge(text, session, sections(profiles, session))
    assert problems == []
    return new, plan


def without_managed(text):
    return "".join(chunk.text for chunk in cli.parse(text) if not chunk.managed)


def test_parse_is_lossless_and_finds_managed_sections():
    text, dummy = merged(HAND_WRITTEN, [DEV_ADMIN])
    chunks = cli.parse(text)
    assert "".join(c.text for c in chunks) == text
    assert [c.key for c in chunks if c.managed] == [("sso-session", "ssoshift"), ("profile", "dev-administratoraccess")]
    assert "".join(c.text for c in cli.parse(HAND_WRITTEN)) == HAND_WRITTEN
    assert not any(c.managed for c in cli.parse(HAND_WRITTEN))


def test_unmanaged_text_survives_byte_for_byte_and_a_second_merge_changes_nothing():
    first, plan = merged(HAND_WRITTEN, [DEV_ADMIN, PROD_READ])
    assert first.startswith(HAND_WRITTEN)
    assert plan == {"added": ["sso-session 'ssoshift'", "profile 'dev-administratoraccess'",
                              "profile 'prod-readonlyaccess'"], "updated": [], "removed": []}
    assert without_managed(first) == HAND_WRITTEN + "\n"  # one blank line separates our block
    second, plan = merged(first, [PROD_READ, DEV_ADMIN])
    assert second == first
    assert plan == {"added": [], "updated": [], "removed": []}


def test_rendered_sections_are_what_the_cli_reads():
    text, dummy = merged("", [DEV_ADMIN])
    assert text == (
        "# managed by ssoshift.identity_center (sso-session ssoshift)\n"
        "[sso-session ssoshift]\n"
        f"sso_start_url = {START_URL}\n"
        "sso_region = eu-west-1\n"
        "sso_registration_scopes = sso:account:access\n"
        "\n"
        "# managed by ssoshift.identity_center (sso-session ssoshift)\n"
        "[profile dev-administratoraccess]\n"
        "sso_session = ssoshift\n"
        "sso_account_id = 111111111111\n"
        "sso_role_name = AdministratorAccess\n"
        "region = eu-west-1\n"
        "output = json\n"
        "\n")
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    assert parser["profile dev-administratoraccess"]["sso_session"] == "ssoshift"


def test_a_removed_assignment_removes_only_its_section():
    both, dummy = merged(HAND_WRITTEN, [DEV_ADMIN, PROD_READ])
    # A comment the user put after our block, and their own profile after it, stay.
    both += "# keep me\n[profile after]\nregion = us-east-1\n"
    one, plan = merged(both, [DEV_ADMIN])
    assert plan == {"added": [], "updated": [], "removed": ["profile 'prod-readonlyaccess'"]}
    assert "prod-readonlyaccess" not in one and "[profile dev-administratoraccess]" in one
    assert without_managed(one) == without_managed(both)
    assert one.endswith("# keep me\n[profile after]\nregion = us-east-1\n")


def test_comments_after_a_managed_section_belong_to_the_text_that_follows():
    text, dummy = merged("", [DEV_ADMIN])
    text += "# about the next one\n\n[profile mine]\nregion = us-east-1\n"
    chunks = cli.parse(text)
    assert chunks[-2].text == "# about the next one\n\n"
    assert not chunks[-2].managed


def test_interleaved_managed_sections_are_gathered_where_the_first_was():
    text, dummy = merged("[profile a]\nregion = us-east-1\n", [DEV_ADMIN, PROD_READ])
    chunks = cli.parse(text)
    prod = next(c for c in chunks if c.key == ("profile", "prod-readonlyaccess"))
    moved = text.replace(prod.text, "") + prod.text.rstrip("\n") + "\n\n[profile z]\nregion = us-east-1\n"
    again, plan = merged(moved, [DEV_ADMIN, PROD_READ])
    assert plan == {"added": [], "updated": [], "removed": []}
    assert again == text + "[profile z]\nregion = us-east-1\n"


def test_state_absent_removes_every_managed_section_of_the_session_only():
    text, dummy = merged(HAND_WRITTEN, [DEV_ADMIN])
    other, dummy = merged(text, [PROD_READ], session="other")
    removed, plan, problems = cli.merge(other, "ssoshift", [])
    assert problems == []
    assert plan["removed"] == ["sso-session 'ssoshift'", "profile 'dev-administratoraccess'"]
    assert "sso-session ssoshift" not in removed and "[sso-session other]" in removed
    assert removed.startswith(HAND_WRITTEN)


def test_a_hand_written_profile_of_the_same_name_is_not_overwritten_but_named():
    text = HAND_WRITTEN + "\n[profile  dev-administratoraccess]\nsso_account_id = 999999999999\n"
    new, plan, problems = cli.merge(text, "ssoshift", sections([DEV_ADMIN]), path="/tmp/config")
    assert new == text
    assert problems == ["/tmp/config: profile 'dev-administratoraccess' is hand-written (section "
                        "[profile  dev-administratoraccess] has no '# managed by ssoshift.identity_center "
                        "(sso-session ssoshift)' line above it); it is left alone: rename or remove it, or "
                        "choose another profile name"]


def test_a_section_managed_for_another_session_is_a_conflict():
    text, dummy = merged("", [DEV_ADMIN], session="other")
    new, plan, problems = cli.merge(text, "ssoshift", sections([DEV_ADMIN]))
    assert new == text
    assert problems == ["config: profile 'dev-administratoraccess' is managed for sso-session 'other', "
                        "not 'ssoshift'; choose another profile name"]


def test_a_marker_not_directly_above_a_header_is_an_ordinary_comment():
    text = "# managed by ssoshift.identity_center (sso-session ssoshift)\n\n[profile dev-administratoraccess]\n"
    dummy, dummy2, problems = cli.merge(text, "ssoshift", sections([DEV_ADMIN]))
    assert problems and "hand-written" in problems[0]


def test_file_without_final_newline_gets_one_before_our_block():
    new, dummy = merged("[default]\nregion = eu-west-1", [DEV_ADMIN])
    assert new.startswith("[default]\nregion = eu-west-1\n\n# managed by")


def test_crlf_text_is_preserved():
    text = "[default]\r\nregion = eu-west-1\r\n"
    new, dummy = merged(text, [DEV_ADMIN])
    assert new.startswith(text)
    again, plan = merged(new, [DEV_ADMIN])
    assert again == new and plan["updated"] == []


@pytest.mark.parametrize("raw, expected", [
    ("Prod Account-AdministratorAccess", "prod-account-administratoraccess"),
    ("dev/ops--x", "dev-ops--x"),
    ("  ünïcode name!  ", "n-code-name"),
    ("a.b_c", "a.b_c"),
])
def test_name_sanitising(raw, expected):
    assert cli.sanitize_name(raw) == expected


def test_template_fields_and_lower_case():
    built, problems = cli.build_profiles([dict(DEV_ADMIN, account_name="Dev Team")],
                                         "{sso_session}_{account_id}.{permission_set}", None, "json", "Acme")
    assert problems == [] and built[0]["name"] == "acme_111111111111.administratoraccess"
    assert built[0]["region"] is None


@pytest.mark.parametrize("template, message", [
    ("{account}-{permission_set}", "profile_name_template: unknown field {account} in '{account}-{permission_set}'"),
    ("{account_name.__class__}", "unknown field {account_name.__class__}"),
    ("{account_name", "is not a valid template"),
    ("static", "names neither the account nor the permission set"),
    ("", "must be a non-empty string"),
])
def test_template_validation_names_the_template(template, message):
    dummy, problems = cli.build_profiles([DEV_ADMIN], template)
    assert len(problems) == 1 and message in problems[0]


def test_account_assignments_info_output_feeds_profiles_and_duplicates_collapse():
    assignment = dict(DEV_ADMIN, permission_set_arn="arn:aws:sso:::permissionSet/ssoins-1/ps-1",
                      principal_type="GROUP", principal_id="g-1", principal="group:admins")
    direct = dict(assignment, principal_type="USER", principal_id="u-1", principal="user:alice")
    built, problems = cli.build_profiles([assignment, direct])
    assert problems == [] and [p["name"] for p in built] == ["dev-administratoraccess"]


def test_bad_entries_are_all_named():
    entries = [{"account_id": "12345", "permission_set": "Admin Access", "acount_name": "x"},
               dict(DEV_ADMIN, region="mars-1", output="xml", name="bad name")]
    dummy, problems = cli.build_profiles(entries)
    assert problems == [
        "profiles[0]: unknown option 'acount_name' (expected one of account_id, account_name, name, output, "
        "permission_set, region)",
        "profiles[0].account_id: must be 12 digits, got '12345'",
        "profiles[0].permission_set: not a permission set name, got 'Admin Access'",
        "profiles[1].region: not an AWS region, got 'mars-1'",
        "profiles[1].output: must be one of json, yaml, yaml-stream, text, table, got 'xml'",
        "profiles[1].name: must be letters, digits, '.', '_' or '-', got 'bad name'",
    ]


def test_two_entries_with_one_name_are_refused():
    dummy, problems = cli.build_profiles([DEV_ADMIN, dict(DEV_ADMIN, account_id="333333333333")])
    assert problems == ["profiles[1]: profile name 'dev-administratoraccess' is also the name of profiles[0] "
                        "(account 111111111111, permission set AdministratorAccess); set name or make "
                        "profile_name_template tell them apart, e.g. with {account_id}"]


def test_default_is_reserved_and_explicit_names_are_kept():
    dummy, problems = cli.build_profiles([dict(DEV_ADMIN, name="default")])
    assert "reserved" in problems[0]
    built, problems = cli.build_profiles([dict(DEV_ADMIN, name="Dev-Admin", region="us-east-2", output="yaml")])
    assert problems == [] and built[0] == {
        "name": "Dev-Admin", "account_id": "111111111111", "account_name": "dev",
        "permission_set": "AdministratorAccess", "region": "us-east-2", "output": "yaml"}


def test_session_problems():
    assert cli.session_problems("ssoshift", START_URL, "us-east-1", ["sso:account:access"]) == []
    assert cli.session_problems("bad name", "http://x\n[y]", "nowhere", []) == [
        "sso_session: must be letters, digits, '.', '_' or '-', got 'bad name'",
        "start_url: must be an https:// URL such as https://d-1234567890.awsapps.com/start, got 'http://x\n[y]'",
        "sso_region: not an AWS region, got 'nowhere'",
        "registration_scopes: must list at least one scope, such as sso:account:access",
    ]


def test_write_atomically_creates_a_private_folder_and_file(tmp_path):
    path = tmp_path / "new" / "config"
    cli.write_atomically(str(path), "[default]\n")
    assert path.read_text() == "[default]\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    path.chmod(0o644)
    cli.write_atomically(str(path), "x")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_text() == "x"
    assert os.listdir(path.parent) == ["config"]  # no temporary file left behind


def test_read_text(tmp_path):
    assert cli.read_text(str(tmp_path / "none")) == ("", False, None)
    path = tmp_path / "config"
    path.write_bytes(b"[default]\r\n")
    path.chmod(0o640)
    assert cli.read_text(str(path)) == ("[default]\r\n", True, 0o640)


def test_extra_blank_lines_after_a_managed_section_are_the_files_own():
    text, dummy = merged("", [DEV_ADMIN, PROD_READ])
    text += "\n\n# mine\n[profile mine]\n"
    new, plan = merged(text, [PROD_READ])
    assert plan["removed"] == ["profile 'dev-administratoraccess'"]
    assert new.endswith("output = json\n\n\n\n# mine\n[profile mine]\n")
    assert merged(new, [PROD_READ])[0] == new
