"""The whole `playbooks/migrate.yml` (the example access model, the portal sign-in confirmed, so the legacy users
are disabled too) through the AWS simulator with faults in every service the collection calls - connection
resets at 5 %, throttling bursts, conflicts where the API documents them and HTTP 500/503 at 2-3 % each -
converges, and a second faulted run with another seed changes nothing.

One seed pair here (the budget of `make test`); `tests/performance/fault_sweep.py` runs the same over many seeds,
with resets after applied writes too, and prints the figures (docs/resilience.md). Resets after applied writes
are left out here: the identity store engine does not adopt a user or group its lost-answer create made (known gaps).
"""

import json
import os
import subprocess
import sys

import pytest

from conftest import ANSIBLE_PLAYBOOK, REPO, PlaybookRun, Sandbox, sandbox_tool

sys.path.insert(0, os.path.join(REPO, "tests", "simulator"))
import aws_simulator  # noqa: E402

MIGRATE = os.path.join(REPO, "playbooks", "migrate.yml")
MODEL = os.path.join(REPO, "examples", "access-model.yml")
FAULTS = {"reset_rate": 0.05, "throttle_burst_rate": 0.02, "throttle_burst_seconds": 0.3, "conflict_rate": 0.03,
          "error_500_rate": 0.02, "error_503_rate": 0.02, "async_delay": 0.3}
SERVICES = ("iam", "sts", "organizations", "account", "sso", "identitystore")


def faulted_run(box, tmp_path, seed):
    directory = str(tmp_path / f"simulator-{seed}")
    endpoint = aws_simulator.start(directory, box.endpoint, seed=seed, **FAULTS)["endpoint"]
    try:
        out = tmp_path / "out"
        command = [ANSIBLE_PLAYBOOK, MIGRATE, "-e", f"@{MODEL}", "-e", f"ssoshift_output_dir={out}",
                   "-e", f"cli_profiles_operator_config_path={out}/operator-aws-config",
                   "-e", "confirm_portal_sign_in=true"]
        run = PlaybookRun(subprocess.run(command, capture_output=True, text=True, cwd=str(tmp_path), timeout=1200,
                                         env=box.env(AWS_ENDPOINT_URL=endpoint), check=False))
        return run, aws_simulator.stats(endpoint)
    finally:
        aws_simulator.stop(directory)


# Seeds whose per-service streams fault every service within its first 20 calls (STS makes only ~30 calls a run).
@pytest.mark.parametrize("first_seed,second_seed", [(3, 4)])
def test_migrate_converges_through_faults_in_every_service_and_then_changes_nothing(
        tmp_path, first_seed, second_seed):
    directory = str(tmp_path / "sandbox")
    box = Sandbox(sandbox_tool.start(directory), directory)
    try:
        first, stats = faulted_run(box, tmp_path, first_seed)
        figures = {service: stats["services"].get(service, {}) for service in SERVICES}
        print(json.dumps({"seed": first_seed, "services": figures}))
        assert first.returncode == 0, (first.failures, figures)
        for service in SERVICES:
            assert figures[service].get("calls", 0) > 0, f"{service} was never called"
        faults = {service: sum(figures[service].get("faults", {}).values()) for service in SERVICES}
        assert all(faults.values()), f"a service went unfaulted: {faults}"
        assert sum(figures[s]["faults"].get("reset", 0) for s in SERVICES) > 0
        # The end state, not only the exit code: the legacy users are disabled, the report is written.
        iam, prod_iam = box.client("iam"), box.client("iam", account="prod")
        for client, name in ((iam, "admin"), (iam, "ci-deployer"), (prod_iam, "prod-admin")):
            assert {k["Status"] for k in client.list_access_keys(UserName=name)["AccessKeyMetadata"]} == {"Inactive"}
        assert (tmp_path / "out" / "report.json").exists()

        second, stats = faulted_run(box, tmp_path, second_seed)
        print(json.dumps({"seed": second_seed, "services": stats["services"]}))
        assert second.returncode == 0, second.failures
        assert second.stats["changed"] == 0
    finally:
        sandbox_tool.stop(directory)
