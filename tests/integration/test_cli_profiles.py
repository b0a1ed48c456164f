"""AWS CLI SSO profiles: the cli_sso_config module and the cli_profiles role against the sandbox,
with botocore's own config loader as the judge of what the AWS tooling reads."""

import os
import stat
import uuid

import botocore.configloader
import botocore.session
import pytest

from conftest import REPO

TAG = uuid.uuid4().hex[:6]
ANN, BEN, DEE = f"cli-ann-{TAG}", f"cli-ben-{TAG}", f"cli-dee-{TAG}"
ADMINS = f"cli-admins-{TAG}"
ADMIN_SET, READ_SET = f"CliAdmin{TAG}", f"CliRead{TAG}"

MODEL = {
    "users": [{"user_name": name, "given_name": name, "family_name": "Cli", "email": f"{name}@example.com"}
              for name in (ANN, BEN, DEE)],
    "groups": [{"name": ADMINS, "members": [ANN]}],
    "permission_sets": [{"name": ADMIN_SET, "managed_policies": ["AdministratorAccess"]},
                        {"name": READ_SET, "managed_policies": ["ReadOnlyAccess"]}],
    "assignments": [
        {"group": ADMINS, "permission_sets": [ADMIN_SET], "targets": {"accounts": ["dev", "prod"]}},
        {"user": ANN, "permission_sets": [READ_SET], "targets": {"accounts": ["staging"]}},
        {"user": BEN, "permission_sets": [READ_SET], "targets": {"accounts": ["dev", "staging"]}},
        {"user": DEE, "permission_sets": [READ_SET], "targets": {"accounts": ["dev", "prod"]}},
    ],
}

IDENTITY_CENTER = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: identity center
      ansible.builtin.include_role:
        name: ssoshift.identity_center.identity_center
"""

ROLE = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: role
      ansible.builtin.include_role:
        name: ssoshift.identity_center.cli_profiles
    - name: snippets
      ansible.builtin.debug:
        var: cli_profiles_snippets
"""

MODULE = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: config
      ssoshift.identity_center.cli_sso_config: "{{ args }}"
"""

HAND_WRITTEN = (
    "# my own settings -- keep them\n"
    "[default]\n"
    "region=eu-west-1\n"
    "\n"
    ";   legacy keys, odd spacing on purpose\n"
    "[profile personal]\n"
    "aws_access_key_id   =   AKIAEXAMPLEEXAMPLE\n"
    "region   =  us-west-2  \n"
    "s3 =\n"
    "  max_concurrent_requests = 20\n"
)

SSO_KEYS = ("sso_session", "sso_account_id", "sso_role_name", "sso_start_url", "sso_region")


@pytest.fixture(scope="module")
def estate(sandbox, run_playbook_module):
    run = run_playbook_module(IDENTITY_CENTER, {"identity_center": MODEL})
    assert run.returncode == 0, run.failures
    return sandbox


@pytest.fixture
def paths(tmp_path):
    return {"output": tmp_path / "out" / "cli-profiles", "operator": tmp_path / "operator" / "config"}


def role_vars(paths, **more):
    return dict({"cli_profiles_users": [ANN, BEN], "cli_profiles_output_dir": str(paths["output"]),
                 "cli_profiles_operator_config_path": str(paths["operator"]), "cli_profiles_operator_user": ANN},
                **more)


def resolved(path, monkeypatch):
    """{profile: the SSO settings botocore resolves for it} for every profile of the file."""
    for variable in list(os.environ):
        if variable.startswith("AWS_"):
            monkeypatch.delenv(variable)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    loaded = botocore.configloader.load_config(str(path))
    result = {}
    for name in loaded["profiles"]:
        if "sso_session" not in loaded["profiles"][name]:
            continue
        session = botocore.session.Session(profile=name)
        scoped = session.get_scoped_config()
        sso = session.full_config["sso_sessions"][scoped["sso_session"]]
        # The credential chain picks the SSO provider for the profile (it would fail on missing settings).
        assert session.get_credentials().method == "sso"
        result[name] = dict({key: scoped[key] for key in ("sso_session", "sso_account_id", "sso_role_name",
                                                          "region", "output")},
                            sso_start_url=sso["sso_start_url"], sso_region=sso["sso_region"],
                            sso_registration_scopes=sso["sso_registration_scopes"])
    return result


def expected(sandbox, pairs):
    portal = f"https://{sandbox.state['identity_store_id']}.awsapps.com/start"
    return {f"{account}-{permission_set.lower()}": {
        "sso_session": "ssoshift", "sso_account_id": sandbox.accounts[account], "sso_role_name": permission_set,
        "region": "us-east-1", "output": "json", "sso_start_url": portal, "sso_region": "us-east-1",
        "sso_registration_scopes": "sso:account:access"} for account, permission_set in pairs}


def test_role_writes_a_snippet_per_user_that_botocore_resolves(estate, run_playbook, paths, monkeypatch):
    with estate.record() as recording:
        run = run_playbook(ROLE, role_vars(paths))
    assert run.returncode == 0, run.failures
    assert recording.writes == []  # it only reads AWS
    ann_profiles = [("dev", ADMIN_SET), ("prod", ADMIN_SET), ("staging", READ_SET)]  # group + direct
    ben_profiles = [("dev", READ_SET), ("staging", READ_SET)]
    ann_file, ben_file = paths["output"] / f"{ANN}.config", paths["output"] / f"{BEN}.config"
    assert resolved(ann_file, monkeypatch) == expected(estate, ann_profiles)
    assert resolved(ben_file, monkeypatch) == expected(estate, ben_profiles)
    assert not (paths["output"] / f"{DEE}.config").exists()  # not among cli_profiles_users
    assert resolved(paths["operator"], monkeypatch) == expected(estate, ann_profiles)  # operator = ann
    for path in (ann_file, ben_file, paths["operator"]):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths["output"].stat().st_mode) == 0o700
    snippets = run.task("snippets")["cli_profiles_snippets"]
    assert [{key: s[key] for key in ("user_name", "path", "profiles", "login_command")} for s in snippets] == [
        {"user_name": ANN, "path": str(ann_file), "profiles": sorted(expected(estate, ann_profiles)),
         "login_command": f"aws sso login --profile dev-{ADMIN_SET.lower()}"},
        {"user_name": BEN, "path": str(ben_file), "profiles": sorted(expected(estate, ben_profiles)),
         "login_command": f"aws sso login --profile dev-{READ_SET.lower()}"},
    ]
    # The group membership that made ann's admin profiles: decided in the module, not in Jinja.
    assert snippets[0]["groups"] and all(s["changed"] for s in snippets)


def test_operator_config_keeps_hand_written_text_and_second_run_changes_nothing(
        estate, run_playbook, paths, monkeypatch):
    paths["operator"].parent.mkdir(parents=True)
    paths["operator"].write_text(HAND_WRITTEN)
    paths["operator"].chmod(0o644)
    first = run_playbook(ROLE, role_vars(paths, cli_profiles_operator_user=""))
    assert first.returncode == 0, first.failures
    text = paths["operator"].read_text()
    assert text.startswith(HAND_WRITTEN + "\n# managed by ssoshift.identity_center (sso-session ssoshift)\n")
    assert stat.S_IMODE(paths["operator"].stat().st_mode) == 0o600
    # Empty operator user: every account and permission set ann or ben can reach.
    profiles = resolved(paths["operator"], monkeypatch)
    assert profiles == expected(estate, [("dev", ADMIN_SET), ("prod", ADMIN_SET), ("staging", READ_SET),
                                         ("dev", READ_SET)])
    assert botocore.configloader.load_config(str(paths["operator"]))["profiles"]["personal"] == {
        "aws_access_key_id": "AKIAEXAMPLEEXAMPLE", "region": "us-west-2", "s3": {"max_concurrent_requests": "20"}}

    before = {path: path.read_bytes() for path in paths["output"].iterdir()}
    second = run_playbook(ROLE, role_vars(paths, cli_profiles_operator_user=""))
    assert second.returncode == 0 and second.stats["changed"] == 0
    assert paths["operator"].read_text() == text
    assert {path: path.read_bytes() for path in paths["output"].iterdir()} == before


def test_check_mode_writes_nothing_and_diff_shows_the_change(estate, run_playbook, paths):
    paths["operator"].parent.mkdir(parents=True)
    paths["operator"].write_text(HAND_WRITTEN)
    run = run_playbook(ROLE, role_vars(paths), check=True, diff=True)
    assert run.returncode == 0, run.failures
    assert paths["operator"].read_text() == HAND_WRITTEN
    assert not paths["output"].exists()
    result = run.task("AWS CLI profiles for every Identity Center user and the operator")
    assert result["changed"] is True and result["operator"]["changed"] is True
    [diff] = [d for d in result["diff"] if d["after_header"] == str(paths["operator"])]
    assert diff["before"] == HAND_WRITTEN
    assert diff["after"].startswith(HAND_WRITTEN + "\n")
    assert f"[profile prod-{ADMIN_SET.lower()}]\n" in diff["after"]
    assert result["operator"]["plan"]["added"][0] == "sso-session 'ssoshift'"


def test_a_removed_assignment_removes_its_profile(estate, run_playbook, paths, monkeypatch):
    variables = role_vars(paths, cli_profiles_users=[DEE], cli_profiles_operator_user=DEE)
    first = run_playbook(ROLE, variables)
    assert first.returncode == 0, first.failures
    dee_file = paths["output"] / f"{DEE}.config"
    assert set(resolved(dee_file, monkeypatch)) == {f"dev-{READ_SET.lower()}", f"prod-{READ_SET.lower()}"}
    with open(dee_file, "a") as handle:
        handle.write("\n# added by dee\n[profile dee-own]\nregion = eu-north-1\n")
    kept = dee_file.read_text()

    removal = run_playbook("""
    - hosts: localhost
      gather_facts: false
      tasks:
        - name: remove
          ssoshift.identity_center.account_assignments:
            state: absent
            assignments: "{{ assignments }}"
    """, {"assignments": [{"user": DEE, "permission_sets": [READ_SET], "targets": {"accounts": ["prod"]}}]})
    assert removal.returncode == 0 and removal.task("remove")["changed"], removal.failures

    second = run_playbook(ROLE, variables)
    assert second.returncode == 0, second.failures
    written = second.task("AWS CLI profiles for every Identity Center user and the operator")["snippets"][0]
    assert written["changed"] and written["plan"]["removed"] == [f"profile 'prod-{READ_SET.lower()}'"]
    assert set(resolved(dee_file, monkeypatch)) == {f"dev-{READ_SET.lower()}"}
    text = dee_file.read_text()
    assert f"prod-{READ_SET.lower()}" not in text
    assert text.endswith("\n# added by dee\n[profile dee-own]\nregion = eu-north-1\n")
    assert botocore.configloader.load_config(str(dee_file))["profiles"]["dee-own"] == {"region": "eu-north-1"}
    assert kept.replace(kept[kept.index("# managed by ssoshift.identity_center (sso-session ssoshift)\n[profile prod"):
                             kept.index("\n# added by dee")], "") == text


def test_unknown_user_fails_naming_it_before_any_file_is_written(estate, run_playbook, paths):
    run = run_playbook(ROLE, role_vars(paths, cli_profiles_users=[ANN, "cli-nobody"]))
    assert run.returncode != 0
    [(task, message)] = run.failures
    assert task.endswith("AWS CLI profiles for every Identity Center user and the operator")
    assert message == "users: user(s) not in the identity store: 'cli-nobody'"
    assert not paths["output"].exists() and not paths["operator"].exists()


# --- the module alone (no AWS call) ---------------------------------------------------------------

PROFILES = [{"account_id": "111111111111", "account_name": "Dev", "permission_set": "AdministratorAccess"},
            {"account_id": "222222222222", "account_name": "Prod", "permission_set": "ReadOnlyAccess",
             "region": "eu-central-1", "output": "table"}]


def module_args(path, **more):
    return {"args": dict({"path": str(path), "start_url": "https://acme.awsapps.com/start", "sso_region": "eu-west-1",
                          "sso_session": "acme", "profiles": PROFILES}, **more)}


def test_module_round_trip_backup_and_absent(sandbox, run_playbook, tmp_path, monkeypatch):
    path = tmp_path / "config"
    path.write_text(HAND_WRITTEN)
    with sandbox.record() as recording:
        first = run_playbook(MODULE, module_args(path, backup=True)).task("config")
    assert recording.writes == []
    assert first["changed"] and first["profiles"] == ["dev-administratoraccess", "prod-readonlyaccess"]
    assert open(first["backup_file"]).read() == HAND_WRITTEN
    profiles = resolved(path, monkeypatch)
    assert profiles["prod-readonlyaccess"] == {
        "sso_session": "acme", "sso_account_id": "222222222222", "sso_role_name": "ReadOnlyAccess",
        "region": "eu-central-1", "output": "table", "sso_start_url": "https://acme.awsapps.com/start",
        "sso_region": "eu-west-1", "sso_registration_scopes": "sso:account:access"}
    assert profiles["dev-administratoraccess"]["region"] == "eu-west-1"  # defaults to the SSO region

    again = run_playbook(MODULE, module_args(path, backup=True)).task("config")
    assert again["changed"] is False and "backup_file" not in again

    renamed = run_playbook(MODULE, module_args(path, profile_name_template="acme-{account_id}")).task("config")
    assert renamed["plan"]["removed"] == ["profile 'dev-administratoraccess'", "profile 'prod-readonlyaccess'"]
    assert set(resolved(path, monkeypatch)) == {"acme-111111111111", "acme-222222222222"}

    absent = run_playbook(MODULE, {"args": {"path": str(path), "sso_session": "acme", "state": "absent"}})
    assert absent.task("config")["changed"]
    assert path.read_text() == HAND_WRITTEN + "\n"  # only the blank line that separated our block remains


def test_module_refuses_to_overwrite_a_hand_written_profile(sandbox, run_playbook, tmp_path):
    path = tmp_path / "config"
    hand = HAND_WRITTEN + "\n[profile prod-readonlyaccess]\nregion = us-east-1\n"
    path.write_text(hand)
    run = run_playbook(MODULE, module_args(path))
    assert run.returncode != 0
    [(dummy, message)] = run.failures
    assert "profile 'prod-readonlyaccess' is hand-written" in message and str(path) in message
    assert path.read_text() == hand


def test_module_bad_input_names_field_and_value(sandbox, run_playbook, tmp_path):
    path = tmp_path / "config"
    run = run_playbook(MODULE, module_args(path, start_url="http://acme", profile_name_template="{acount}",
                                           profiles=[{"account_id": "12", "permission_set": "Admin"}]))
    [(dummy, message)] = run.failures
    assert "start_url: must be an https:// URL such as https://d-1234567890.awsapps.com/start, got 'http://acme'" \
        in message
    assert "profile_name_template: unknown field {acount} in '{acount}'" in message
    assert not path.exists()


def test_module_follows_a_symlink_and_keeps_it(sandbox, run_playbook, tmp_path):
    target = tmp_path / "dotfiles" / "aws-config"
    target.parent.mkdir()
    target.write_text(HAND_WRITTEN)
    link = tmp_path / "config"
    link.symlink_to(target)
    result = run_playbook(MODULE, module_args(link)).task("config")
    assert result["path"] == str(target) and link.is_symlink()
    assert target.read_text().startswith(HAND_WRITTEN)


def test_example_access_model_users_get_profiles(sandbox, run_playbook, tmp_path, monkeypatch):
    """The demo's users: alice through platform-admins, bob through developers."""
    import yaml

    with open(os.path.join(REPO, "examples", "access-model.yml")) as handle:
        model = yaml.safe_load(handle)
    setup = run_playbook(IDENTITY_CENTER, model)
    assert setup.returncode == 0, setup.failures
    out = tmp_path / "out"
    variables = {"ssoshift_output_dir": str(out), "cli_profiles_operator_config_path": str(out / "operator.config")}
    run = run_playbook(ROLE, dict(model, **variables))
    assert run.returncode == 0, run.failures
    alice = resolved(out / "cli-profiles" / "alice.config", monkeypatch)
    bob = resolved(out / "cli-profiles" / "bob.config", monkeypatch)
    # moto names the management account "master".
    assert sorted(alice) == ["dev-administratoraccess", "master-administratoraccess", "prod-administratoraccess",
                             "staging-administratoraccess"]
    assert sorted(bob) == ["dev-developeraccess", "prod-readonlyaccess", "staging-developeraccess"]
    assert len(resolved(out / "operator.config", monkeypatch)) == 7
    assert run_playbook(ROLE, dict(model, **variables)).stats["changed"] == 0
