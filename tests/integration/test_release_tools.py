"""The release checks in tools/: check_tarball.py (what a tarball must not hold), return_docs.py (RETURN
describes every dictionary and list) and galaxy_importer.py (what counts as a failed import).

Secret-looking strings are put together at run time: this file is itself in the tarball it checks."""

import io
import json
import os
import subprocess
import sys
import tarfile

import pytest

import check_tarball
import galaxy_importer
import return_docs
from conftest import COLLECTIONS, REPO

BIN = os.path.dirname(sys.executable)


def make_tarball(path, files):
    """A .tar.gz with `files` ({name: text}) under ./, as ansible-galaxy writes them."""
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo("./" + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return str(path)


CLEAN = {
    "MANIFEST.json": "{}",
    "FILES.json": "{}",
    "README.md": "# readme\n",
    "plugins/modules/thing.py": "DOCUMENTATION = ''\n",
    # AWS's documented example keys and the sandbox's credentials are not secrets.
    "docs/credentials-example.md": "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
                                   "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
                                   "AWS_SECRET_ACCESS_KEY=testing\n",
}


def test_a_clean_tarball_passes(tmp_path):
    problems, files = check_tarball.check(make_tarball(tmp_path / "c.tar.gz", CLEAN))
    assert problems == []
    assert files == len(CLEAN)


@pytest.mark.parametrize("name, kind", [
    ("tests/output/junit/python3.11.xml", "test output"),
    (".pytest_cache/v/cache/nodeids", "test output"),
    ("tests/unit/.pytest_cache/README.md", "test output"),
    ("molecule.log", "test output"),
    ("build/collections/ansible_collections/x.py", "build folder"),
    ("out/demo/report.html", "demo output"),
    ("build/dist/ssoshift-identity_center-0.0.1.tar.gz", "build folder"),
    ("old/ssoshift-identity_center-0.0.1.tar.gz", "build artifact"),
    (".venv/pyvenv.cfg", "virtualenv"),
    ("env311/pyvenv.cfg", "virtualenv"),
    ("myenv/bin/activate", "virtualenv"),
    ("plugins/modules/__pycache__/thing.cpython-311.pyc", "cache"),
    ("plugins/module_utils/common.pyc", "cache"),
    (".ansible/collections/ansible_collections/x/y/z.py", "cache"),
    ("extensions/molecule/default/.ansible/roles/r.yml", "cache"),
    (".env", "secret"),
    ("build.env", "secret"),
    ("examples/.aws/credentials", "secret"),
    ("credentials", "secret"),
    ("extensions/ee/deploy.pem", "secret"),
    ("roles/x/files/id_rsa", "secret"),
    ("state/terraform.tfstate", "secret"),
])
def test_what_a_tarball_must_not_hold_is_reported_by_path(tmp_path, name, kind):
    problems, dummy = check_tarball.check(make_tarball(tmp_path / "t.tar.gz", dict(CLEAN, **{name: "x\n"})))
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{name}: {kind} ")
    assert "build_ignore" in problems[0]


@pytest.mark.parametrize("text, what", [
    ("key = " + "AKIA" + "Z7Q2" * 4 + "\n", "an AWS access key ID"),
    ("export AWS_ACCESS_KEY_ID=" + "ASIA" + "K3LM" * 4, "an AWS access key ID"),
    ("aws_secret_access_key" + " = " + "Ab1/" * 10 + "\n", "an AWS secret access key"),
    ('{"aws_secret_access_key"' + ': "' + "x9Y+" * 10 + '"}', "an AWS secret access key"),
    ("-----BEGIN " + "OPENSSH PRIVATE KEY-----\nabc\n", "a private key"),
    ("-----BEGIN " + "PRIVATE KEY-----\nabc\n", "a private key"),
    ("token: " + "ghp_" + "a1B2" * 9 + "\n", "a GitHub token"),
])
def test_a_secret_in_a_file_is_reported_with_the_file(tmp_path, text, what):
    tarball = make_tarball(tmp_path / "s.tar.gz", dict(CLEAN, **{"roles/x/defaults/main.yml": text}))
    problems, dummy = check_tarball.check(tarball)
    assert problems == [f"roles/x/defaults/main.yml: holds {what}"]


def test_a_key_id_inside_a_longer_word_is_not_a_secret(tmp_path):
    text = "id: X" + "AKIA" + "Z7Q2" * 4 + "\nref: " + "AKIA" + "Z7Q2" * 5 + "\n"
    problems, dummy = check_tarball.check(make_tarball(tmp_path / "w.tar.gz", dict(CLEAN, **{"a.txt": text})))
    assert problems == []


def test_with_a_source_only_tracked_and_generated_files_pass(tmp_path):
    source = tmp_path / "repo"
    source.mkdir()
    subprocess.run(["git", "init", "-q", str(source)], check=True)
    for name in ("README.md", "plugins/modules/thing.py"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text("x\n")
    subprocess.run(["git", "-C", str(source), "add", "README.md", "plugins/modules/thing.py"], check=True)
    files = {"MANIFEST.json": "{}", "FILES.json": "{}", "README.md": "x\n", "plugins/modules/thing.py": "x\n",
             "CHANGELOG.rst": "v0.1.0\n======\n", "notes-to-self.txt": "x\n"}
    problems, dummy = check_tarball.check(make_tarball(tmp_path / "r.tar.gz", files), source=str(source),
                                          generated=["CHANGELOG.rst"])
    assert problems == [f"notes-to-self.txt: not tracked by git in {source}; a release holds only committed files"]


def test_a_release_needs_its_changelog(tmp_path):
    changelog = "ancestor: null\nreleases:\n  0.1.0:\n    release_date: '2026-11-30'\n"
    good = dict(CLEAN, **{"changelogs/changelog.yaml": changelog, "CHANGELOG.rst": "Notes\n\nv0.1.0\n======\n"})
    problems, dummy = check_tarball.check(make_tarball(tmp_path / "g.tar.gz", good), required=["CHANGELOG.rst"],
                                          changelog_version="0.1.0")
    assert problems == []
    problems, dummy = check_tarball.check(make_tarball(tmp_path / "g.tar.gz", good), changelog_version="0.2.0")
    assert problems == ["changelogs/changelog.yaml: no release 0.2.0 (run antsibull-changelog release)",
                        "CHANGELOG.rst: no section v0.2.0"]
    problems, dummy = check_tarball.check(make_tarball(tmp_path / "n.tar.gz", CLEAN), required=["CHANGELOG.rst"],
                                          changelog_version="0.1.0")
    assert problems == ["CHANGELOG.rst: missing", "changelogs/changelog.yaml: missing, so no release 0.1.0 in it"]


def test_the_collection_tarball_built_by_make_install_is_clean():
    dist = os.path.join(REPO, "build", "dist")
    tarballs = [name for name in os.listdir(dist) if name.endswith(".tar.gz")]
    assert len(tarballs) == 1, tarballs
    problems, files = check_tarball.check(os.path.join(dist, tarballs[0]))
    assert problems == []
    assert files > 100


# ------------------------------------------------------------------ return_docs

def test_return_values_must_describe_every_dictionary_and_list():
    values = {
        "ok_str": {"type": "str"},
        "ok_dict": {"type": "dict", "contains": {"a": {"type": "int"}}},
        "ok_list": {"type": "list", "elements": "str"},
        "bare_dict": {"type": "dict"},
        "bare_complex": {"type": "complex"},
        "bare_list": {"type": "list"},
        "list_of_dicts": {"type": "list", "elements": "dict"},
        "deep": {"type": "dict", "contains": {"items": {"type": "list", "elements": "dict", "contains": {
            "inner": {"type": "dict"}}}}},
    }
    assert sorted(return_docs.shape_problems(values)) == [
        ("bare_complex", return_docs.DICT_WITHOUT_CONTAINS),
        ("bare_dict", return_docs.DICT_WITHOUT_CONTAINS),
        ("bare_list", "type list without elements"),
        ("deep.items.inner", return_docs.DICT_WITHOUT_CONTAINS),
        ("list_of_dicts", "list of dict without contains"),
    ]


def test_free_form_mappings_are_exempt_only_as_dictionaries():
    dump = {"all": {
        "module": {"ns.col.thing": {"doc": {}, "return": {
            "tags": {"type": "dict"},
            "state": {"type": "dict", "contains": {"tags": {"type": "dict"}, "evidence": {"type": "dict"}}},
            "evidence": {"type": "dict"},
            "policies": {"type": "list", "elements": "dict"},
        }}},
        "filter": {"ns.col.shape": {"return": {"_value": {"type": "list", "elements": "dict"}}},
                   "ns.col.broken": {"error": "unknown doc_fragment(s)"}},
        "role": {"ns.col.role": {"entry_points": {}}},
    }}
    lines = return_docs.collection_problems(dump, free_form={"module ns.col.thing: evidence": "by check"},
                                            free_form_names={"tags": "AWS tags", "policies": "not for lists"})
    assert lines == [
        "filter ns.col.broken: ansible-doc: unknown doc_fragment(s)",
        "filter ns.col.shape: RETURN _value: list of dict without contains",
        "module ns.col.thing: RETURN policies: list of dict without contains",
    ]


def test_every_plugin_of_the_installed_collection_describes_its_return_values():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS)
    completed = subprocess.run([sys.executable, os.path.join(REPO, "tools", "return_docs.py")], env=env,
                               capture_output=True, text=True, check=False, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.strip().endswith(", 0 problem(s)")


# ------------------------------------------------------------------ galaxy_importer

CLEAN_LOG = """Importing with galaxy-importer 0.4.44
Getting doc strings via ansible-doc
Linting module thing via flake8...
...ansible-lint run complete
Collection loading complete
Importer processing completed successfully
"""


def test_an_importer_run_with_no_warning_passes():
    assert galaxy_importer.problems_in(CLEAN_LOG, 0) == []


def test_any_warning_or_error_of_the_importer_fails_the_run():
    log = CLEAN_LOG.replace("...ansible-lint", "WARNING: roles/x/tasks/main.yml:3: name[missing]\n...ansible-lint")
    log = log.replace("Collection loading", "ERROR: Error running ansible-doc: rc=1\nCollection loading")
    assert galaxy_importer.problems_in(log, 0) == ["WARNING: roles/x/tasks/main.yml:3: name[missing]",
                                                   "ERROR: Error running ansible-doc: rc=1"]


def test_an_importer_run_that_did_not_complete_fails():
    log = "Importing with galaxy-importer 0.4.44\nERROR: The import failed for the following reason: bad tag\n"
    assert galaxy_importer.problems_in(log, 1) == [
        "ERROR: The import failed for the following reason: bad tag",
        "galaxy-importer exited with status 1",
        "galaxy-importer did not report 'Importer processing completed successfully'"]


def test_the_summary_counts_what_the_importer_found():
    result = {"metadata": {"namespace": "ns", "name": "col", "version": "0.1.0", "tags": ["aws", "cloud"],
                           "dependencies": {"amazon.aws": ">=10.0.0,<11.0.0"}},
              "requires_ansible": ">=2.19.0",
              "contents": [{"content_type": "module"}, {"content_type": "module"}, {"content_type": "role"}],
              "docs_blob": {"documentation_files": [{"name": "a.md"}],
                            "contents": [{"doc_strings": {"doc": {}}}, {"doc_strings": None}]}}
    assert galaxy_importer.summary(json.loads(json.dumps(result))).splitlines() == [
        "ns.col 0.1.0: requires_ansible >=2.19.0, depends on amazon.aws >=10.0.0,<11.0.0",
        "contents: 2 module, 1 role",
        "documentation: 1 plugins with ansible-doc docs, 1 files in docs/ rendered",
        "tags: aws, cloud",
    ]
