"""The execution environment definition (extensions/ee) against what the repository declares, and the
build context ansible-builder renders from it offline (no container engine is needed for `create`)."""

import os
import subprocess
import sys

import yaml

from conftest import COLLECTIONS, REPO

EE_DIR = os.path.join(REPO, "extensions", "ee")
EE_FILE = os.path.join(EE_DIR, "execution-environment.yml")
BIN = os.path.dirname(sys.executable)


def _load(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def _pins():
    """Exact pins of test-requirements.txt: {name: version}."""
    pins = {}
    with open(os.path.join(REPO, "test-requirements.txt")) as handle:
        for line in handle:
            line = line.split("#")[0].strip()
            if "==" in line:
                name, version = line.split("==")
                pins[name.split("[")[0]] = version
    return pins


def test_definition_references_the_repository_files_and_pins_what_the_tests_run():
    definition = _load(EE_FILE)
    assert definition["version"] == 3
    deps = definition["dependencies"]
    # The dependency files resolve from the definition's folder to the repository's own files.
    assert os.path.realpath(os.path.join(EE_DIR, deps["python"])) == os.path.join(REPO, "requirements.txt")
    assert os.path.realpath(os.path.join(EE_DIR, deps["system"])) == os.path.join(REPO, "bindep.txt")
    assert os.path.realpath(os.path.join(EE_DIR, deps["galaxy"])) == os.path.join(EE_DIR, "requirements.yml")
    pins = _pins()
    assert deps["ansible_core"]["package_pip"] == f"ansible-core=={pins['ansible-core']}"
    assert deps["ansible_runner"]["package_pip"] == f"ansible-runner=={pins['ansible-runner']}"
    # The interpreter the base image gets is the one the collection is tested with.
    assert deps["python_interpreter"]["python_path"].endswith("python3.11")
    assert definition["images"]["base_image"]["name"]


def test_galaxy_requirements_match_galaxy_yml():
    galaxy = _load(os.path.join(REPO, "galaxy.yml"))
    wanted = {c["name"]: c.get("version", "*") for c in _load(os.path.join(EE_DIR, "requirements.yml"))["collections"]}
    assert set(wanted) == {f"{galaxy['namespace']}.{galaxy['name']}", *galaxy["dependencies"]}
    # The EE asks for the range galaxy.yml depends on (amazon.aws >=10.0.0 and below the next major).
    for name, versions in galaxy["dependencies"].items():
        assert wanted[name] == versions, (name, wanted[name])
    assert wanted[f"{galaxy['namespace']}.{galaxy['name']}"] == f">={galaxy['version']}"


def test_the_collection_declares_its_dependencies_for_ansible_builder():
    meta = _load(os.path.join(REPO, "meta", "execution-environment.yml"))
    assert meta["dependencies"] == {"python": "requirements.txt", "system": "bindep.txt"}
    for name in ("requirements.txt", "bindep.txt"):
        assert os.path.exists(os.path.join(REPO, name))


def test_ansible_builder_renders_the_build_context_offline(tmp_path):
    context = tmp_path / "context"
    completed = subprocess.run([os.path.join(BIN, "ansible-builder"), "create", "-f", EE_FILE, "-c", str(context),
                                "--output-filename", "Containerfile"],
                               capture_output=True, text=True, check=False, timeout=120)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    containerfile = (context / "Containerfile").read_text()
    assert 'ARG EE_BASE_IMAGE="registry.access.redhat.com/ubi9/ubi:latest"' in containerfile
    assert 'ARG ANSIBLE_INSTALL_REFS="ansible-core==2.19.14 ansible-runner==2.4.3"' in containerfile
    assert 'ARG PYCMD="/usr/bin/python3.11"' in containerfile
    assert "ansible-galaxy collection install" in containerfile
    build = context / "_build"
    with open(os.path.join(REPO, "requirements.txt")) as handle:
        assert (build / "requirements.txt").read_text() == handle.read()
    with open(os.path.join(REPO, "bindep.txt")) as handle:
        assert (build / "bindep.txt").read_text() == handle.read()
    assert _load(build / "requirements.yml") == _load(os.path.join(EE_DIR, "requirements.yml"))


def test_builder_introspection_finds_the_installed_collection_requirements(tmp_path):
    """The script ansible-builder runs inside the image, run here on the installed collection."""
    context = tmp_path / "context"
    subprocess.run([os.path.join(BIN, "ansible-builder"), "create", "-f", EE_FILE, "-c", str(context)],
                   capture_output=True, text=True, check=True, timeout=120)
    completed = subprocess.run([sys.executable, str(context / "_build" / "scripts" / "introspect.py"), "introspect",
                                COLLECTIONS], capture_output=True, text=True, check=True, timeout=120)
    found = yaml.safe_load(completed.stdout)
    assert "boto3>=1.35.68  # from collection ssoshift.identity_center" in found["python"]
    assert "botocore>=1.35.68  # from collection ssoshift.identity_center" in found["python"]
    assert "python3 [platform:rpm]  # from collection ssoshift.identity_center" in found["system"]
