"""docs/caller-contexts.md stays true: every action the operator's policy allows is a row, every row names the test
that shows the collection's answer, and every test it names exists (a renamed or deleted test fails here)."""

import glob
import json
import os
import re

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOC = os.path.join(ROOT, "docs", "caller-contexts.md")
PLAYBOOK_RUNS = {"[F/MR]": "test_caller_contexts.py::test_fresh_organisation_from_its_management_account_and_from_a_member_account",
                 "[DA]": "test_caller_contexts.py::test_delegated_administrators_of_identity_center_and_of_iam"}
TASK_PREFIXES = ("F ", "MR ", "DA ", "IAM-DA ")


def _text(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _rows():
    """{row number: its cells} of every table row whose first cell is a row number (1, 5a, ...)."""
    rows = {}
    for line in _text(DOC).splitlines():
        match = re.match(r"^\| (\d+[a-z]?) \|", line)
        if match:
            assert match.group(1) not in rows, f"row {match.group(1)} appears twice"
            rows[match.group(1)] = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
    return rows


def _test_sources(name):
    """The text of every test file of that name (test_caller_contexts.py is both an integration and a unit test)."""
    found = glob.glob(os.path.join(ROOT, "tests", "**", name), recursive=True)
    assert found, f"no test file {name}"
    return [_text(path) for path in found]


def test_every_action_of_the_operator_policies_is_a_row():
    # Named in a row's call or "Made by" cells, not anywhere in the page's prose.
    named = {name for cells in _rows().values() for cell in cells[1:3] for name in re.findall(r"`([A-Za-z]+)`", cell)}
    for policy in ("operator-policy.json", "operator-policy-member-accounts.json"):
        document = json.loads(_text(os.path.join(ROOT, "docs", policy)))
        actions = {action for statement in document["Statement"] for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])}
        missing = sorted(action for action in actions if action.split(":")[1] not in named)
        assert missing == [], f"{policy}: no row names {missing}"


def test_every_row_names_a_test():
    rows = _rows()
    assert len(rows) == 50
    for number, cells in rows.items():
        tested_by = cells[-1]
        assert re.search(r"test_\w+\.py::test_\w+", tested_by) or any(run in tested_by for run in PLAYBOOK_RUNS), (
            f"row {number} names no test: {tested_by!r}")


@pytest.mark.parametrize("reference", sorted(set(re.findall(r"(test_\w+\.py)::(test_\w+)", _text(DOC)))))
def test_every_test_named_exists(reference):
    name, function = reference
    assert any(re.search(rf"^def {function}\(", source, re.MULTILINE) for source in _test_sources(name)), (
        f"{name}::{function} does not exist")


def test_every_task_of_the_two_playbook_runs_named_exists():
    source = _text(os.path.join(ROOT, "tests", "integration", "test_caller_contexts.py"))
    for run in PLAYBOOK_RUNS.values():
        name, function = run.split("::")
        assert f"`{name}::{function}`" in _text(DOC) and re.search(rf"^def {function}\(", source, re.MULTILINE)
    tasks = {task for cells in _rows().values() for task in re.findall(r"`([^`]+)`", cells[-1])
             if task.startswith(TASK_PREFIXES)}
    assert len(tasks) >= 20  # the two runs' tasks are cited across the rows
    for task in sorted(tasks):
        assert f'"{task}"' in source, f"no task named {task!r} in test_caller_contexts.py"
