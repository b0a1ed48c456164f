"""Run Galaxy's importer (galaxy-importer) on the built tarball, offline, as Galaxy does on upload (`make importer`).

The importer extracts the tarball, checks MANIFEST.json, FILES.json and every checksum, galaxy.yml's
metadata (tags, dependencies, requires_ansible in meta/runtime.yml), loads every plugin's
documentation with ansible-doc, renders README.md and docs/*.md, checks the changelog and
meta/execution-environment.yml, and runs ansible-lint (production profile) on the extracted files.
Its configuration is tools/galaxy-importer.cfg (what is on and off, and why). It logs problems as
`WARNING: ...` and `ERROR: ...` lines but exits 0 on most of them, so this script is the judge:
it fails on any such line, on a non-zero exit and when the importer did not complete.

Usage: python tools/galaxy_importer.py TARBALL [--workdir build/importer]
Writes WORKDIR/importer.log (the importer's whole output) and WORKDIR/importer_result.json;
prints a summary, or the problems and the log's tail.
"""

import argparse
import collections
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(REPO, "tools", "galaxy-importer.cfg")
COMPLETED = "Importer processing completed successfully"
PROBLEM_PREFIXES = ("WARNING:", "ERROR:", "CRITICAL:", "Traceback (most recent call last)")


def problems_in(log, returncode):
    """The lines of the importer's output that make the import fail here, and why the run is not complete."""
    problems = [line for line in log.splitlines() if line.lstrip().startswith(PROBLEM_PREFIXES)]
    if returncode != 0:
        problems.append(f"galaxy-importer exited with status {returncode}")
    if COMPLETED not in log:
        problems.append(f"galaxy-importer did not report {COMPLETED!r}")
    return problems


def summary(result):
    """One paragraph on what the importer found, from its importer_result.json."""
    metadata = result.get("metadata") or {}
    kinds = collections.Counter(item.get("content_type") for item in result.get("contents") or [])
    docs = (result.get("docs_blob") or {}).get("documentation_files") or []
    documented = sum(1 for item in (result.get("docs_blob") or {}).get("contents") or [] if item.get("doc_strings"))
    dependencies = ", ".join(f"{name} {versions}"
                             for name, versions in sorted((metadata.get("dependencies") or {}).items()))
    return "\n".join([
        f"{metadata.get('namespace')}.{metadata.get('name')} {metadata.get('version')}: "
        f"requires_ansible {result.get('requires_ansible')}, depends on {dependencies or 'nothing'}",
        "contents: " + ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items())),
        f"documentation: {documented} plugins with ansible-doc docs, {len(docs)} files in docs/ rendered",
        f"tags: {', '.join(metadata.get('tags') or [])}",
    ])


def run(tarball, workdir):
    """(returncode, log, result or None) of one importer run; the log is also written to WORKDIR/importer.log."""
    workdir = os.path.abspath(workdir)
    os.makedirs(os.path.join(workdir, "tmp"), exist_ok=True)
    result_file = os.path.join(workdir, "importer_result.json")
    if os.path.exists(result_file):
        os.remove(result_file)
    bin_dir = os.path.dirname(sys.executable)
    env = dict(os.environ)
    env.update({
        # ansible-doc, ansible-lint and ansible-galaxy of this virtualenv, as the importer finds them on PATH.
        "PATH": bin_dir + os.pathsep + env.get("PATH", ""),
        "GALAXY_IMPORTER_CONFIG": CONFIG,
        "GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP": os.path.join(workdir, "ansible-tmp"),
        "GALAXY_IMPORTER_TMP_ROOT_DIR": os.path.join(workdir, "tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "NO_COLOR": "1",
    })
    # The importer points ansible-doc and ansible-lint at the extracted tarball; the installed copy of
    # `make install` must not be found instead.
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    env.pop("ANSIBLE_COLLECTIONS_PATHS", None)
    completed = subprocess.run([sys.executable, "-m", "galaxy_importer.main", os.path.abspath(tarball)],
                               cwd=workdir, env=env, capture_output=True, text=True, check=False, timeout=900)
    log = completed.stdout + completed.stderr
    with open(os.path.join(workdir, "importer.log"), "w") as handle:
        handle.write(log)
    result = None
    if os.path.exists(result_file):
        with open(result_file) as handle:
            result = json.load(handle)
    return completed.returncode, log, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("tarball")
    parser.add_argument("--workdir", default=os.path.join(REPO, "build", "importer"))
    args = parser.parse_args(argv)
    returncode, log, result = run(args.tarball, args.workdir)
    problems = problems_in(log, returncode)
    print(f"galaxy-importer on {os.path.basename(args.tarball)} (log: {os.path.join(args.workdir, 'importer.log')})")
    if result:
        print(summary(result))
    if problems:
        print("\n".join(problems))
        print("--- last lines of the importer's log:")
        print("\n".join(log.splitlines()[-40:]))
        print(f"galaxy-importer: {len(problems)} problem(s)")
        return 1
    print("galaxy-importer: no error, no warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
