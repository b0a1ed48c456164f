"""Check that every plugin's RETURN documentation describes its whole shape (`make docs-lint`).

Galaxy, Automation Hub and the documentation site render RETURN as a table; a dictionary or list
without `contains` renders as one opaque row. The rule, as amazon.aws documents its return values:

- a value of `type: dict` (or `complex`) has `contains`, describing each key;
- a value of `type: list` has `elements`; with `elements: dict` it also has `contains`;
- the same for every value nested in a `contains`, at any depth.

Exempt from `contains` are dictionaries whose keys are data, not names the plugin chooses: AWS tag
maps (`tags`, key to value, as amazon.aws documents them), IAM policy documents and EventBridge
event patterns (AWS's own JSON grammars), by key name in FREE_FORM_NAMES, and the entries of
FREE_FORM, each with the reason. A list of dictionaries is never exempt.

The plugins are read with `ansible-doc --metadata-dump` from the installed collection (every plugin
type ansible-doc knows, so modules added later are checked too; doc fragments resolved).

Usage: python tools/return_docs.py [NAMESPACE.NAME]   (default: the collection of galaxy.yml)
Exit status 1 with one line per problem, `<type> <plugin>: RETURN <path>: <problem>`; 0 when clean.
"""

import json
import os
import subprocess
import sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Return values that are free-form mappings anywhere they appear, by key name.
FREE_FORM_NAMES = {
    "tags": "AWS tags: tag key to value",
    "inline_policy": "an IAM policy document",
    "inline_policies": "IAM policy documents by policy name",
    "trust_policy": "an IAM policy document",
    "document": "an IAM policy document",
    "event_pattern": "an EventBridge event pattern",
}
# Free-form mappings of one plugin: "<type> <fully qualified name>: <path, or the last key of the path>".
FREE_FORM = {
    "filter ssoshift.identity_center.account_ids: _value": "account ID by account name and by account ID",
    "module ssoshift.identity_center.account_security_info: evidence": "the AWS fields each check read, by check",
    "module ssoshift.identity_center.account_security_info: accounts.checks.evidence":
        "the AWS fields each check read, by check",
    "module ssoshift.identity_center.oidc_provider: changes.tag": "the tags added or changed, key to value",
    "module ssoshift.identity_center.identitystore_directory: ownership": "group display name to its ownership",
}
DICT_WITHOUT_CONTAINS = "dictionary without contains"


def shape_problems(values, path=""):
    """[(path, problem)] for the return values `values` ({name: spec}) and everything they contain."""
    problems = []
    for name, spec in (values or {}).items():
        where = f"{path}.{name}" if path else name
        if not isinstance(spec, dict):
            problems.append((where, "is not a mapping"))
            continue
        kind = spec.get("type")
        contains = spec.get("contains")
        if kind in ("dict", "complex") and not contains:
            problems.append((where, DICT_WITHOUT_CONTAINS))
        if kind == "list":
            if not spec.get("elements"):
                problems.append((where, "type list without elements"))
            elif spec["elements"] in ("dict", "complex") and not contains:
                problems.append((where, f"list of {spec['elements']} without contains"))
        if contains:
            problems.extend(shape_problems(contains, where))
    return problems


def collection_problems(dump, free_form=None, free_form_names=None):
    """Problems of every plugin in an `ansible-doc --metadata-dump` result, as printable lines."""
    free_form = FREE_FORM if free_form is None else free_form
    free_form_names = FREE_FORM_NAMES if free_form_names is None else free_form_names
    lines = []
    for plugin_type, plugins in sorted(dump.get("all", {}).items()):
        for name, data in sorted((plugins or {}).items()):
            if isinstance(data, dict) and data.get("error"):
                lines.append(f"{plugin_type} {name}: ansible-doc: {data['error']}")
                continue
            if not isinstance(data, dict) or not isinstance(data.get("return"), dict):
                continue
            for where, problem in shape_problems(data["return"]):
                last = where.rsplit(".", 1)[-1]
                free = (f"{plugin_type} {name}: {where}" in free_form or f"{plugin_type} {name}: {last}" in free_form
                        or last in free_form_names)
                if free and problem == DICT_WITHOUT_CONTAINS:
                    continue
                lines.append(f"{plugin_type} {name}: RETURN {where}: {problem}")
    return lines


def metadata_dump(collection):
    completed = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "--metadata-dump", "--no-fail-on-errors",
         collection], capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"ansible-doc --metadata-dump {collection} failed:\n{completed.stderr}")
    return json.loads(completed.stdout)


def main(argv):
    if len(argv) > 1:
        collection = argv[1]
    else:
        with open(os.path.join(REPO, "galaxy.yml")) as handle:
            galaxy = yaml.safe_load(handle)
        collection = f"{galaxy['namespace']}.{galaxy['name']}"
    dump = metadata_dump(collection)
    count = sum(1 for plugins in dump.get("all", {}).values() for name in (plugins or {})
                if name.startswith(collection + "."))
    if not count:
        print(f"return_docs: no plugin of {collection} found (is it installed? ANSIBLE_COLLECTIONS_PATH)")
        return 1
    problems = collection_problems(dump)
    for line in problems:
        print(line)
    print(f"return_docs: {count} plugins and roles of {collection}, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
