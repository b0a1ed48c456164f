"""Integration harness: a private sandbox (moto server on loopback) per test worker, and
helpers that run real playbooks against it with ansible-playbook and read moto's request log."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tools"))

import sandbox as sandbox_tool  # noqa: E402  (tools/ is not a package)

COLLECTIONS = os.path.join(REPO, "build", "collections")
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

# `make test` runs each module's tests on one worker (pytest-xdist --dist loadscope: a module's fixtures - private
# sandboxes, AWX's runner setup - are built once) and hands the workers the modules in collection order. These modules
# take a minute or more each (about 6 minutes for test_migrate, 1-3 for the others, on two cores): they start first,
# longest first, so that no long module starts last while the other workers sit idle. The others follow in
# collection order.
LONGEST_FIRST = (
    "test_migrate.py", "test_root_account.py", "test_identity_bulk.py", "test_fault_run.py", "test_awx_runner.py",
    "test_retirement.py", "test_organisation_scale.py", "test_member_accounts.py", "test_account_assignments.py",
    "test_cli_profiles.py", "test_bad_input.py", "test_kills.py", "test_closed_accounts.py", "test_caller_contexts.py",
    "test_automation_roles.py",
)


def pytest_collection_modifyitems(config, items):
    """LONGEST_FIRST's modules first, in its order; the order of the tests inside a module is kept."""
    rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(os.path.basename(str(item.path)), len(rank)))


class Sandbox:
    def __init__(self, state, directory):
        self.state = state
        self.directory = directory
        self.endpoint = state["endpoint"]
        self.accounts = state.get("accounts", {})

    def env(self, **overrides):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(sandbox_tool.env_for(self.endpoint))
        env.update({
            # A HOME of the sandbox's own: nothing a playbook writes under ~ (~/.aws/config above all, which
            # ansible-test refuses to run beside) reaches the developer's or the CI machine's home.
            "HOME": os.path.join(self.directory, "home"),
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_NOCOLOR": "1",
        })
        for key, value in overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def client(self, service, account=None):
        import boto3

        credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        if account and self.accounts[account] != sandbox_tool.MANAGEMENT_ACCOUNT_ID:
            credentials = sandbox_tool.member_credentials(self.endpoint, self.accounts[account])
        return boto3.client(service, region_name=sandbox_tool.REGION, endpoint_url=self.endpoint, **credentials)

    def record(self):
        return Recording(self.endpoint)


class Recording:
    """with sandbox.record() as rec: ...; rec.operations / rec.writes"""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.operations = []

    def __enter__(self):
        sandbox_tool.start_recording(self.endpoint)
        return self

    def __exit__(self, *exc):
        self.entries = sandbox_tool.stop_recording(self.endpoint, entries=True)
        self.operations = [sandbox_tool.operation_of(entry) for entry in self.entries]

    @property
    def actions(self):
        """The IAM actions the recorded requests needed ("sso:ListInstances", ...)."""
        return sorted({sandbox_tool.iam_action_of(entry) for entry in self.entries})

    @property
    def writes(self):
        return sandbox_tool.write_operations(self.operations)


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("sandbox"))
    state = sandbox_tool.start(directory)
    try:
        yield Sandbox(state, directory)
    finally:
        sandbox_tool.stop(directory)


def private_estate(tmp_path_factory, name, **seed_options):
    """(sandbox, run_playbook) on a freshly seeded sandbox of its own, for tests that change the estate
    (retire users, set contacts) and must not disturb the worker's shared one. Use with `yield from`.
    seed_options: tools/sandbox.py seed's (trusted_services, root_access, root_credentials, delegated_admin, ...)."""
    directory = str(tmp_path_factory.mktemp(f"{name}-sandbox"))
    box = Sandbox(sandbox_tool.start(directory, **seed_options), directory)
    try:
        yield box, _runner(box, tmp_path_factory.mktemp(f"{name}-run"))
    finally:
        sandbox_tool.stop(directory)


class PlaybookRun:
    def __init__(self, completed):
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        try:
            self.report = json.loads(completed.stdout)
        except ValueError:
            raise AssertionError(f"ansible-playbook printed no JSON:\n{completed.stdout}\n{completed.stderr}")

    @property
    def stats(self):
        return self.report["stats"]["localhost"]

    def task(self, name):
        """Result of the (last) task whose name ends with `name`."""
        for play in reversed(self.report["plays"]):
            for task in reversed(play["tasks"]):
                if task["task"]["name"].endswith(name):
                    return task["hosts"]["localhost"]
        raise KeyError(f"no task named {name!r}; failures: {self.failures}; stderr: {self.stderr[-2000:]}")

    @property
    def failures(self):
        return [(task["task"]["name"], task["hosts"]["localhost"].get("msg"))
                for play in self.report["plays"] for task in play["tasks"]
                if task["hosts"].get("localhost", {}).get("failed")]


def _runner(sandbox, tmp_path):
    def run(playbook, extra_vars=None, check=False, diff=False, tags=None, env=None, args=()):
        if isinstance(playbook, list):  # plays as data
            path = tmp_path / "playbook.json"
            path.write_text(json.dumps(playbook))
            playbook = str(path)
        elif "\n" in playbook:
            path = tmp_path / "playbook.yml"
            path.write_text(textwrap.dedent(playbook))
            playbook = str(path)
        # Implicit localhost: modules run with this interpreter (the venv), as in `make demo`.
        command = [ANSIBLE_PLAYBOOK, playbook, *args]
        if extra_vars:
            extra = tmp_path / "extra-vars.json"
            extra.write_text(json.dumps(extra_vars))
            command += ["-e", f"@{extra}"]
        if check:
            command.append("--check")
        if diff:
            command.append("--diff")
        if tags:
            command += ["--tags", tags]
        completed = subprocess.run(command, capture_output=True, text=True, env=sandbox.env(**(env or {})), check=False,
                                   cwd=str(tmp_path), timeout=600)
        return PlaybookRun(completed)

    return run


@pytest.fixture
def run_playbook(sandbox, tmp_path):
    """Run a playbook (a path, YAML text, or a list of plays) against the sandbox; returns a PlaybookRun."""
    return _runner(sandbox, tmp_path)


@pytest.fixture(scope="module")
def run_playbook_module(sandbox, tmp_path_factory):
    """run_playbook for module-scoped fixtures."""
    return _runner(sandbox, tmp_path_factory.mktemp("module-run"))
