"""playbooks/migrate.yml run the way AWX runs a job template: ansible-runner with a private data dir, the
survey answers and the access model as extra vars, an inventory like AWX's Demo Inventory, and the AWS
credential only as environment variables, rendered from the credential type in extensions/awx. A private
sandbox, because the job changes the estate; a role of its own gives temporary credentials, so
AWS_SESSION_TOKEN really carries something and the sandbox's request log shows it on every call."""

import json
import os
import stat
import sys

import ansible_runner
import jinja2
import pytest
import yaml

from conftest import COLLECTIONS, REPO, Sandbox, sandbox_tool

MIGRATE = os.path.join(REPO, "playbooks", "migrate.yml")
AUDIT = os.path.join(REPO, "playbooks", "audit.yml")
AWX = os.path.join(REPO, "extensions", "awx")
JOB_ROLE = "awx-job"
PHASE_ROLES = ("organization", "root_account", "identity_center", "verification", "cli_profiles",
               "iam_user_retirement")
# AWX's Demo Inventory: localhost, local connection, the EE's own Python.
INVENTORY = {"all": {"hosts": {"localhost": {"ansible_connection": "local",
                                             "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}}


def _json(name):
    with open(os.path.join(AWX, name)) as handle:
        return json.load(handle)


def _survey_answers(name, **answers):
    """The extra vars AWX sends for a survey: each question's default unless answered."""
    spec = _json(name)["spec"]
    values = {q["variable"]: q["default"] for q in spec}
    assert set(answers) <= set(values), answers
    values.update(answers)
    return values


def _credential_env(credentials):
    """What AWX injects for a credential of the shipped credential type (its env injector templates)."""
    credential_type = _json("credential-type-aws-session.json")
    inputs = {"access_key_id": credentials["AccessKeyId"], "secret_access_key": credentials["SecretAccessKey"],
              "session_token": credentials["SessionToken"]}
    return {name: jinja2.Template(template).render(**inputs)
            for name, template in credential_type["injectors"]["env"].items()}


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("awx-sandbox"))
    box = Sandbox(sandbox_tool.start(directory), directory)
    try:
        iam = box.client("iam")
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{sandbox_tool.MANAGEMENT_ACCOUNT_ID}:root"},
            "Action": "sts:AssumeRole"}]}
        iam.create_role(RoleName=JOB_ROLE, AssumeRolePolicyDocument=json.dumps(trust))
        iam.attach_role_policy(RoleName=JOB_ROLE, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        credentials = box.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{sandbox_tool.MANAGEMENT_ACCOUNT_ID}:role/{JOB_ROLE}",
            RoleSessionName="awx-job")["Credentials"]
        yield box, credentials
    finally:
        sandbox_tool.stop(directory)


@pytest.fixture(scope="module")
def clean_environ():
    """ansible-runner seeds the job's environment with its own process environment: keep the test's AWS_*,
    ANSIBLE_* and BOTO_* variables out, so the job sees only what AWX would give it."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(("AWS_", "ANSIBLE_", "BOTO_")):
                patch.delenv(name)
        yield


class Job:
    def __init__(self, runner, private_data_dir):
        self.runner = runner
        self.private_data_dir = private_data_dir
        self.events = list(runner.events)

    def ok(self, task):
        """Results of the tasks named `task` that ran (ok or changed)."""
        return [e["event_data"]["res"] for e in self.events
                if e["event"] == "runner_on_ok" and e["event_data"].get("task") == task]

    @property
    def roles_that_ran(self):
        return {e["event_data"].get("role") for e in self.events if e["event"] == "runner_on_ok"}

    @property
    def failures(self):
        return [(e["event_data"].get("task"), e["event_data"]["res"].get("msg")) for e in self.events
                if e["event"] == "runner_on_failed"]


def _run_job(box, credentials, tmp_path, playbook, extravars, tags=None, env=None):
    """One AWX job: a fresh private data dir, extra vars, the Demo Inventory and the credential's env."""
    private_data_dir = tmp_path / f"job-{len(list(tmp_path.glob('job-*')))}"
    private_data_dir.mkdir()
    home = tmp_path / "home"  # the EE's home (/runner); never the real ~/.aws or ~/.ansible
    home.mkdir(exist_ok=True)
    envvars = dict(env if env is not None else _credential_env(credentials))
    envvars.update({
        "AWS_ENDPOINT_URL": box.endpoint,  # the sandbox; AWX would reach AWS itself
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,  # /usr/share/ansible/collections in the EE
        "HOME": str(home),
        "PATH": os.path.dirname(sys.executable) + os.pathsep + "/usr/bin:/bin",
    })
    runner = ansible_runner.run(private_data_dir=str(private_data_dir), playbook=playbook, inventory=INVENTORY,
                                extravars=extravars, envvars=envvars, tags=tags, quiet=True,
                                suppress_env_files=True,  # as AWX: credentials are not written to env/
                                timeout=600)
    return Job(runner, private_data_dir)


def _migrate_vars(tmp_path, **answers):
    with open(os.path.join(REPO, "examples", "access-model.yml")) as handle:
        model = yaml.safe_load(handle)
    out = tmp_path / "out"
    return dict(model, **_survey_answers("survey-migrate.json", **answers),
                ssoshift_output_dir=str(out), cli_profiles_operator_config_path=str(out / "operator-aws-config"))


def _files_holding(root, secrets):
    found = []
    for folder, dummy, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                data = handle.read()
            if any(secret.encode() in data for secret in secrets):
                found.append(os.path.relpath(path, root))
    return found


def _requests(endpoint):
    """Raw requests of moto's recorder (operation and headers)."""
    lines = sandbox_tool._moto_api(endpoint, "download-recording").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _start(endpoint):
    sandbox_tool.start_recording(endpoint)


def _stop(endpoint):
    sandbox_tool._moto_api(endpoint, "stop-recording")
    requests = _requests(endpoint)
    return [(sandbox_tool.operation_of(r), {k.lower(): v for k, v in r["headers"].items()}) for r in requests]


def test_survey_specs_are_awx_surveys_of_variables_the_playbooks_read():
    types = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
    for name in ("survey-migrate.json", "survey-audit.json"):
        survey = _json(name)
        assert survey["name"] and survey["description"] and survey["spec"], name
        for question in survey["spec"]:
            assert {"question_name", "question_description", "required", "type", "variable", "default"} <= set(
                question), question
            assert question["type"] in types
            if question["type"] == "multiplechoice":
                assert question["default"] in question["choices"]
            if question["type"] == "integer":
                assert question["min"] <= question["default"] <= question["max"]
    assert [q["variable"] for q in _json("survey-audit.json")["spec"]] == ["aws_region"]
    migrate = {q["variable"]: q for q in _json("survey-migrate.json")["spec"]}
    assert set(migrate) == {"aws_region", "confirm_portal_sign_in", "iam_user_retirement_quarantine_days"}
    # The confirmation is a string answer; "no" must be the default and the role's `| bool` must read both ways.
    assert migrate["confirm_portal_sign_in"]["choices"] == ["no", "yes"]
    assert migrate["confirm_portal_sign_in"]["default"] == "no"
    with open(os.path.join(REPO, "roles", "iam_user_retirement", "defaults", "main.yml")) as handle:
        defaults = yaml.safe_load(handle)
    assert defaults["iam_user_retirement_confirmed"] == "{{ confirm_portal_sign_in | default(false) }}"
    assert "iam_user_retirement_quarantine_days" in defaults
    for playbook in (MIGRATE, os.path.join(REPO, "playbooks", "audit.yml")):
        with open(playbook) as handle:  # the survey's region reaches the modules through the play's environment
            assert "'AWS_REGION': aws_region" in yaml.safe_load(handle)[0]["environment"]


@pytest.fixture(scope="module")
def first_job(estate, clean_environ, tmp_path_factory):
    """The first run of the migrate template with the survey's defaults, its requests recorded."""
    box, credentials = estate
    tmp_path = tmp_path_factory.mktemp("awx-first")
    extravars = _migrate_vars(tmp_path, aws_region=sandbox_tool.REGION)
    _start(box.endpoint)
    job = _run_job(box, credentials, tmp_path, MIGRATE, extravars)
    return job, _stop(box.endpoint), extravars, tmp_path


def test_migrate_job_runs_every_phase_with_session_credentials_and_leaks_no_secret(estate, first_job):
    box, credentials = estate
    first, requests, extravars, tmp_path = first_job
    assert (first.runner.status, first.runner.rc) == ("successful", 0), first.failures

    # Every phase ran, and the job ended with its summary.
    assert set(PHASE_ROLES) <= first.roles_that_ran
    summary = first.ok("Say where the results are")
    assert summary and summary[0]["msg"][0] == (
        f"Access portal URL: https://{box.state['identity_store_id']}.awsapps.com/start")
    assert summary[0]["msg"][1] == "Verification: passed"
    # The survey's default "no" keeps the gate shut: the legacy users are only audited.
    assert first.ok("Say why the legacy users are only audited")
    assert {k["Status"] for k in box.client("iam").list_access_keys(UserName="admin")["AccessKeyMetadata"]} == {
        "Active"}

    # Every request the job made to the management account was signed with the session credentials.
    assert requests
    own = [(op, h) for op, h in requests if f"Credential={credentials['AccessKeyId']}/" in h.get("authorization", "")]
    assert own and all(h.get("x-amz-security-token") == credentials["SessionToken"] for op, h in own)
    assert "CreateUser" in [op for op, h in own] and "ListInstances" in [op for op, h in own]
    assert not [op for op, h in requests if "Credential=testing/" in h.get("authorization", "")]

    # No secret in the job's output or events. ansible-runner itself writes the job's environment, the
    # credential included, to artifacts/<ident>/command (mode 0600); that file is the only one, and AWX
    # removes the private data dir after the job.
    secrets = [credentials["SecretAccessKey"], credentials["SessionToken"]]
    artifacts = first.private_data_dir / "artifacts"
    assert secrets[0] not in first.runner.stdout.read()
    holding = _files_holding(first.private_data_dir, secrets)
    assert holding == [f"artifacts/{first.runner.config.ident}/command"], holding
    assert stat.S_IMODE(os.stat(artifacts / first.runner.config.ident / "command").st_mode) == 0o600
    assert not (first.private_data_dir / "env").exists()

    # The same job again changes nothing.
    second = _run_job(box, credentials, tmp_path, MIGRATE, extravars)
    assert (second.runner.status, second.runner.rc) == ("successful", 0), second.failures
    assert second.runner.stats["changed"] == {} and second.runner.stats["failures"] == {}
    assert set(PHASE_ROLES) <= second.roles_that_ran


def test_the_string_answer_yes_opens_the_gate_for_the_verify_and_retire_tags(estate, first_job, tmp_path, clean_environ):
    """After the first job (the estate migrated, verification passing): the template's job tags limit the
    phases, and the survey's "yes", a string, opens the gate."""
    box, credentials = estate
    # One legacy user is enough to show the gate open.
    extravars = _migrate_vars(tmp_path, aws_region=sandbox_tool.REGION, confirm_portal_sign_in="yes",
                              iam_user_retirement_quarantine_days=3)
    extravars["legacy_iam_users"] = [{"name": "ci-deployer", "account": "management"}]
    job = _run_job(box, credentials, tmp_path, MIGRATE, extravars, tags="verify,retire")
    assert (job.runner.status, job.runner.rc) == ("successful", 0), job.failures
    assert job.roles_that_ran >= {"verification", "iam_user_retirement"}
    assert not job.roles_that_ran & {"organization", "identity_center", "cli_profiles"}
    assert not job.ok("Say why the legacy users are only audited")
    keys = box.client("iam").list_access_keys(UserName="ci-deployer")["AccessKeyMetadata"]
    assert keys and {k["Status"] for k in keys} == {"Inactive"}
    done = job.ok("Show the legacy users and what the retirement did")[0]["msg"]
    assert len(done) == 1 and done[0].startswith("ci-deployer@master:") and done[0].endswith("-> disabled"), done
    assert list((tmp_path / "out" / "backups").glob("*-ci-deployer-*.json"))


def test_the_builtin_aws_credential_token_is_not_read_by_amazon_aws(estate, tmp_path, clean_environ):
    """AWX's built-in Amazon Web Services credential injects the token as AWS_SECURITY_TOKEN. amazon.aws 10
    reads only AWS_SESSION_TOKEN, and passes the key pair explicitly, so botocore never looks at
    AWS_SECURITY_TOKEN: the requests go out without the token (AWS rejects them). Hence the shipped type."""
    box, credentials = estate
    builtin = {"AWS_ACCESS_KEY_ID": credentials["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
               "AWS_SECURITY_TOKEN": credentials["SessionToken"]}
    playbook = tmp_path / "instance.yml"
    playbook.write_text("- hosts: localhost\n  gather_facts: false\n  environment:\n"
                        "    AWS_REGION: \"{{ aws_region }}\"\n  tasks:\n"
                        "    - ssoshift.identity_center.instance_info:\n")
    for env, token_sent in ((builtin, False), (_credential_env(credentials), True)):
        _start(box.endpoint)
        job = _run_job(box, credentials, tmp_path, str(playbook), {"aws_region": sandbox_tool.REGION}, env=env)
        requests = _stop(box.endpoint)
        assert (job.runner.status, job.runner.rc) == ("successful", 0), job.failures
        assert requests and all(("x-amz-security-token" in h) is token_sent for op, h in requests), env.keys()


def test_audit_job_with_its_survey_writes_the_posture_and_plan_and_nothing_to_aws(estate, tmp_path, clean_environ):
    box, credentials = estate
    with open(os.path.join(REPO, "examples", "access-model.yml")) as handle:
        extravars = dict(yaml.safe_load(handle), **_survey_answers("survey-audit.json", aws_region=sandbox_tool.REGION),
                         ssoshift_output_dir=str(tmp_path / "out"))
    with box.record() as recording:
        job = _run_job(box, credentials, tmp_path, AUDIT, extravars)
    assert (job.runner.status, job.runner.rc) == ("successful", 0), job.failures
    assert recording.writes == []
    audit_file = tmp_path / "out" / "audit.json"
    assert stat.S_IMODE(audit_file.stat().st_mode) == 0o600
    audit = json.loads(audit_file.read_text())
    assert {entry["account_id"] for entry in audit["posture"]} == set(box.accounts.values())
    assert audit["portal_url"] == f"https://{box.state['identity_store_id']}.awsapps.com/start"
    assert len(audit["legacy_iam_users"]) == 3
    assert set(audit["plan"]) == {"trusted_services_to_enable", "permission_sets_to_change", "assignments_to_create",
                                  "assignments_to_delete"}
    assert isinstance(audit["verification"]["passed"], bool)
