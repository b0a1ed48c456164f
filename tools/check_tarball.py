"""Check a built collection tarball before it is imported or released (`make importer`, `make release`).

`ansible-galaxy collection build` packs the working tree, not git: whatever lies in the checkout
(test output, a build folder, a virtualenv, caches, a local credentials file) ends up in the tarball
unless galaxy.yml's build_ignore names it. This script fails when the tarball holds:

- test output: tests/output/, .pytest_cache/, .coverage, htmlcov/, *.log, importer_result.json;
- a build folder or build and demo output: build/, dist/, out/, .cache/, a nested *.tar.gz;
- a virtualenv: .venv/, venv/, .tox/, .nox/, or anywhere a pyvenv.cfg, bin/activate or site-packages/;
- caches: __pycache__/, *.pyc, *.pyo, .mypy_cache/, .ruff_cache/, .ansible/;
- a secret, by name (.env, *.env, .aws/, credentials, *.pem, *.key, *.p12, *.pfx, SSH private keys,
  .netrc, .pypirc, *.tfstate) or by content (an AWS access key ID, an AWS secret access key given as
  a value, a PEM private key, a GitHub token). AWS's documented example keys (…EXAMPLE, …EXAMPLEKEY)
  and the sandbox's "testing" credentials are not secrets.

With --source DIR (`make release`), every file of the tarball must also be tracked by git in DIR,
apart from the files the release generates (--generated): a release holds only what is committed.
--require PATH fails when PATH is missing; --changelog-version VERSION fails unless
changelogs/changelog.yaml has that release and CHANGELOG.rst its section.

Usage: python tools/check_tarball.py TARBALL [--source DIR] [--generated PATH]... [--require PATH]...
                                     [--changelog-version VERSION]
Prints one line per problem and a summary; exit status 1 when there is a problem.
"""

import argparse
import fnmatch
import os
import re
import subprocess
import sys
import tarfile

import yaml

# (pattern on the member's path, what it is). fnmatch: "*" also matches "/".
FORBIDDEN = [
    ("tests/output", "test output"), ("tests/output/*", "test output"),
    ("*.pytest_cache", "test output"), ("*.pytest_cache/*", "test output"),
    (".coverage", "test output"), ("*/.coverage", "test output"), ("htmlcov/*", "test output"),
    ("*.log", "test output"), ("*importer_result.json", "test output"),
    ("build", "build folder"), ("build/*", "build folder"), ("dist/*", "build folder"),
    ("out", "demo output"), ("out/*", "demo output"), (".cache/*", "cache"), ("*.tar.gz", "build artifact"),
    (".venv", "virtualenv"), (".venv/*", "virtualenv"), ("venv/*", "virtualenv"), (".tox/*", "virtualenv"),
    (".nox/*", "virtualenv"), ("*pyvenv.cfg", "virtualenv"), ("*bin/activate", "virtualenv"),
    ("*site-packages/*", "virtualenv"),
    ("*__pycache__*", "cache"), ("*.pyc", "cache"), ("*.pyo", "cache"), ("*.mypy_cache*", "cache"),
    ("*.ruff_cache*", "cache"), (".ansible", "cache"), (".ansible/*", "cache"), ("*/.ansible", "cache"),
    ("*/.ansible/*", "cache"),
    (".env", "secret"), ("*/.env", "secret"), ("*.env", "secret"), (".aws/*", "secret"), ("*/.aws/*", "secret"),
    ("credentials", "secret"), ("*/credentials", "secret"), ("*.pem", "secret"), ("*.key", "secret"),
    ("*.p12", "secret"), ("*.pfx", "secret"), ("*id_rsa*", "secret"), ("*id_ecdsa*", "secret"),
    ("*id_ed25519*", "secret"), ("*.netrc", "secret"), ("*.pypirc", "secret"), ("*.tfstate", "secret"),
    ("*.tfstate.*", "secret"),
]
# Secrets found in a file's text: (regex, what, allowed matches).
SECRET_PATTERNS = [
    (re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])"), "an AWS access key ID",
     re.compile(r"EXAMPLE$")),
    (re.compile(r"aws_secret_access_key[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])", re.IGNORECASE),
     "an AWS secret access key", re.compile(r"EXAMPLEKEY")),
    (re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----"), "a private key", None),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"), "a GitHub token", None),
]
TEXT_LIMIT = 2 * 1024 * 1024  # larger members are not scanned for secrets (none of ours is near it)
ALWAYS_THERE = ("MANIFEST.json", "FILES.json")


def path_problems(name):
    """What is wrong with a member's path, or None."""
    for pattern, what in FORBIDDEN:
        if fnmatch.fnmatch(name, pattern):
            return f"{what} (matches {pattern!r}); add it to build_ignore in galaxy.yml"
    return None


def content_problems(text):
    """[what] for every secret found in the text."""
    found = []
    for regex, what, allowed in SECRET_PATTERNS:
        for match in regex.finditer(text):
            if allowed is not None and allowed.search(match.group(0)):
                continue
            found.append(what)
            break
    return found


def tracked_files(source):
    completed = subprocess.run(["git", "-C", source, "ls-files", "-z"], capture_output=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"check_tarball: {source} is not a git checkout: {completed.stderr.decode().strip()}")
    return {name for name in completed.stdout.decode().split("\0") if name}


def changelog_problems(members, tar, version):
    problems = []
    if "changelogs/changelog.yaml" not in members:
        return [f"changelogs/changelog.yaml: missing, so no release {version} in it"]
    changelog = yaml.safe_load(tar.extractfile(members["changelogs/changelog.yaml"]).read()) or {}
    if version not in (changelog.get("releases") or {}):
        problems.append(f"changelogs/changelog.yaml: no release {version} (run antsibull-changelog release)")
    if "CHANGELOG.rst" in members:
        text = tar.extractfile(members["CHANGELOG.rst"]).read().decode("utf-8", "replace")
        if not re.search(rf"^v{re.escape(version)}\n=+$", text, re.MULTILINE):
            problems.append(f"CHANGELOG.rst: no section v{version}")
    return problems


def check(tarball, source=None, generated=(), required=(), changelog_version=None):
    """(problem lines, number of files) for the tarball."""
    problems = []
    tracked = tracked_files(source) if source else None
    with tarfile.open(tarball, "r:gz") as tar:
        members = {}
        for member in tar.getmembers():
            name = member.name[2:] if member.name.startswith("./") else member.name
            name = name.rstrip("/")
            if not name:
                continue
            members[name] = member
            problem = path_problems(name)
            if problem:
                problems.append(f"{name}: {problem}")
                continue
            if not member.isfile():
                continue
            if tracked is not None and name not in tracked and name not in ALWAYS_THERE and name not in generated:
                problems.append(f"{name}: not tracked by git in {source}; a release holds only committed files")
            if member.size <= TEXT_LIMIT:
                data = tar.extractfile(member).read()
                for what in content_problems(data.decode("utf-8", "replace")):
                    problems.append(f"{name}: holds {what}")
        for name in required:
            if name not in members:
                problems.append(f"{name}: missing")
        if changelog_version:
            problems.extend(changelog_problems(members, tar, changelog_version))
    files = sum(1 for member in members.values() if member.isfile())
    return problems, files


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("tarball")
    parser.add_argument("--source", help="git checkout the tarball was built from: every file must be tracked")
    parser.add_argument("--generated", action="append", default=[], help="file the release generates (untracked)")
    parser.add_argument("--require", action="append", default=[], help="file that must be in the tarball")
    parser.add_argument("--changelog-version", help="release that changelogs/changelog.yaml must have")
    args = parser.parse_args(argv)
    problems, files = check(args.tarball, args.source, args.generated, args.require, args.changelog_version)
    for line in problems:
        print(line)
    print(f"check_tarball: {os.path.basename(args.tarball)}: {files} files, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
