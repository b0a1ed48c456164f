"""Kill tests of issue 18: the whole process tree of `ansible-playbook playbooks/migrate.yml` (the example model)
is killed at the two points where a restore used to stop restoring - between a user's backup and its disable,
and mid-deletion right after the first DeleteUserPolicy - then the run is started again, and the user is
restored from the backup the rerun and the report name: it ends exactly as before the migration, or with what
cannot come back listed and the restore exiting non-zero.

The kill points are exact: the AWS simulator in front of the private sandbox holds the first IAM call of the
next step (it never reaches moto), and the test kills the run while that call waits.

The runs are `migrate.yml --tags retire` (and `retire,report` where the report is read) on a freshly seeded
estate, with the retirement gate opened by its documented variables (confirm_portal_sign_in and
iam_user_retirement_verified): the gate itself is proven in test_migrate.py and test_retirement.py, and the
phases before it would triple the time of this test without touching what it checks.
"""

import json
import os
import signal
import subprocess
import sys
import time

from conftest import ANSIBLE_PLAYBOOK, REPO, PlaybookRun, Sandbox, sandbox_tool

sys.path.insert(0, os.path.join(REPO, "tests", "simulator"))
import aws_simulator  # noqa: E402

MIGRATE = os.path.join(REPO, "playbooks", "migrate.yml")
RESTORE = os.path.join(REPO, "playbooks", "restore_iam_user.yml")
MODEL = os.path.join(REPO, "examples", "access-model.yml")
DISABLED_TAG = "ssoshift:disabled-at"


def _descendants(root):
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parents[int(entry)] = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, frontier = [], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        found.extend(children)
        frontier = children
    return found


def state_of(iam, name):
    """Everything a retirement touches and a restore must give back, read from IAM."""
    user = iam.get_user(UserName=name)["User"]
    try:
        iam.get_login_profile(UserName=name)
        password = True
    except iam.exceptions.NoSuchEntityException:
        password = False
    return {
        "path": user["Path"],
        "boundary": (user.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
        "tags": {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=name)["Tags"]},
        "attached": sorted(p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]),
        "inline": {p: iam.get_user_policy(UserName=name, PolicyName=p)["PolicyDocument"]
                   for p in iam.list_user_policies(UserName=name)["PolicyNames"]},
        "groups": sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName=name)["Groups"]),
        "keys": {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]},
        "password": password,
        "mfa": [d["SerialNumber"] for d in iam.list_mfa_devices(UserName=name)["MFADevices"]],
    }


class Migration:
    def __init__(self, box, tmp_path):
        self.box, self.tmp_path, self.out = box, tmp_path, tmp_path / "out"
        self.simulators = []

    def command(self, *extra):
        return [ANSIBLE_PLAYBOOK, MIGRATE, "-e", f"@{MODEL}", "-e", f"ssoshift_output_dir={self.out}",
                "-e", "confirm_portal_sign_in=true", "-e", "iam_user_retirement_verified=true", *extra]

    def run(self, *extra):
        return PlaybookRun(subprocess.run(self.command(*extra), capture_output=True, text=True, env=self.box.env(),
                                          cwd=str(self.tmp_path), timeout=900, check=False))

    def killed(self, hold, *extra):
        """Run through a simulator holding `hold`; kill the whole process tree while the held call waits."""
        directory = str(self.tmp_path / f"simulator-{len(self.simulators)}")
        self.simulators.append(directory)
        endpoint = aws_simulator.start(directory, self.box.endpoint, holds=[hold], hold_seconds=600,
                                       async_delay=0.2, tps=50)["endpoint"]
        log = open(self.tmp_path / f"killed-{len(self.simulators)}.log", "w")
        proc = subprocess.Popen(self.command(*extra), stdout=log, stderr=subprocess.STDOUT, cwd=str(self.tmp_path),
                                env=self.box.env(AWS_ENDPOINT_URL=endpoint))
        try:
            deadline = time.monotonic() + 900
            while aws_simulator.stats(endpoint)["holds"][0]["state"] != "waiting":
                assert proc.poll() is None, f"the run ended before {hold}: {open(log.name).read()[-3000:]}"
                assert time.monotonic() < deadline, f"{hold} never came"
                time.sleep(0.1)
        finally:
            for pid in [proc.pid] + _descendants(proc.pid):  # ansible-playbook, its workers, the module process
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            proc.wait()
            log.close()
            aws_simulator.release(endpoint)  # the held call is dropped: it never reached moto
            aws_simulator.stop(directory)
        assert proc.returncode == -signal.SIGKILL

    def restore(self, backup_file):
        command = [ANSIBLE_PLAYBOOK, RESTORE, "-e", f"backup_file={backup_file}"]
        return PlaybookRun(subprocess.run(command, capture_output=True, text=True, env=self.box.env(),
                                          cwd=str(self.tmp_path), timeout=600, check=False))

    def backups(self, user):
        return sorted(str(p) for p in (self.out / "backups").glob(f"{self.box.accounts['management']}-{user}-*.json"))

    def reported(self, user):
        report = json.loads((self.out / "report.json").read_text())
        return next(r for r in report["retired_users"] if r["user_name"] == user)


def _retired(run, user):
    """The retirement module's entry for `user` (one task for every account)."""
    for play in run.report["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"].endswith("Legacy IAM users (audit; staged retirement once verified and confirmed)"):
                for entry in task["hosts"]["localhost"].get("users", []):
                    if entry["user_name"] == user:
                        return entry
    raise AssertionError(f"no retirement result for {user}")


def test_a_kill_between_backup_and_disable_and_a_kill_mid_deletion_leave_the_way_back_whole(tmp_path):
    directory = str(tmp_path / "sandbox")
    box = Sandbox(sandbox_tool.start(directory), directory)
    try:
        iam = box.client("iam")
        migration = Migration(box, tmp_path)
        before = state_of(iam, "admin")
        assert before["password"] and set(before["keys"].values()) == {"Active"} and before["mfa"]

        # 1. Killed between admin's backup and its disable: the tag is on, the password gone, the keys still active.
        migration.killed({"service": "iam", "operation": "UpdateAccessKey", "params": {"UserName": "admin"}},
                         "--tags", "retire")
        [pre_change] = migration.backups("admin")
        assert json.loads(open(pre_change).read())["kind"] == "pre-change"
        half = state_of(iam, "admin")
        assert DISABLED_TAG in half["tags"] and not half["password"] and half["keys"] == before["keys"]

        rerun = migration.run("--tags", "retire,report")
        assert rerun.returncode == 0, rerun.failures
        retired = _retired(rerun, "admin")
        # The rerun names the backup written before the first change; what it saw itself is a snapshot beside it.
        assert retired["backup_file"] == pre_change and retired["snapshot_file"].endswith("-snapshot.json")
        assert migration.backups("admin") == sorted([pre_change, retired["snapshot_file"]])
        assert migration.reported("admin")["backup_file"] == pre_change
        assert set(state_of(iam, "admin")["keys"].values()) == {"Inactive"}

        restored = migration.restore(pre_change)
        assert restored.returncode != 0  # the password cannot come back: the user is not whole
        result = restored.task("Restore the user")
        assert [lost["what"] for lost in result["lost_credentials"]] == ["console password"]
        assert "aws iam create-login-profile --user-name admin" in result["lost_credentials"][0]["steps"]
        assert "is not whole" in restored.task("Fail while the user is not whole")["msg"]
        assert state_of(iam, "admin") == dict(before, password=False)  # keys Active again, all else as before

        # 2. Disabled again (the same retirement: still the same pre-change backup), then killed mid-deletion.
        again = migration.run("--tags", "retire")
        assert again.returncode == 0, again.failures
        assert _retired(again, "admin")["backup_file"] == pre_change
        migration.killed({"service": "iam", "operation": "DetachUserPolicy", "params": {"UserName": "admin"}},
                         "-e", "iam_user_retirement_quarantine_days=0", "--tags", "retire,report")
        part = state_of(iam, "admin")
        assert part["inline"] == {} and part["attached"] == before["attached"] and part["keys"] == {}
        assert part["mfa"] == [] and part["groups"] == before["groups"]

        rerun = migration.run("-e", "iam_user_retirement_quarantine_days=0", "--tags", "retire,report")
        assert rerun.returncode == 0, rerun.failures
        assert _retired(rerun, "admin")["backup_file"] == pre_change
        with_report = migration.reported("admin")
        assert with_report["state"] == "deleted" and with_report["backup_file"] == pre_change
        try:
            iam.get_user(UserName="admin")
            raise AssertionError("admin still exists")
        except iam.exceptions.NoSuchEntityException:
            pass
        old_id = json.loads(open(pre_change).read())["footprint"]["user_id"]

        restored = migration.restore(pre_change)
        assert restored.returncode != 0
        result = restored.task("Restore the user")
        assert result["recreated"] is True
        lost = sorted(entry["what"] for entry in result["lost_credentials"])
        assert lost == sorted(["console password", *(f"access key {key}" for key in before["keys"]),
                               f"MFA device {before['mfa'][0]}", f"user ID {old_id} (a recreated user gets a new ID)"])
        after = state_of(iam, "admin")
        assert after == dict(before, password=False, keys={}, mfa=[],
                             tags=dict(before["tags"], **{"ssoshift:restored-from": old_id}))
    finally:
        sandbox_tool.stop(directory)
