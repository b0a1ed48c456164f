"""Derive the operator's least-privilege IAM policy from the API calls the migration makes.

Runs playbooks/migrate.yml against a private sandbox with moto's request recorder on: the full
migration with the confirmation given, a second (no-change) run, the deletion after the
quarantine, a rollback with playbooks/restore_iam_user.yml and playbooks/audit.yml. Every request
signed with the management account's keys becomes an action of the operator's policy; requests
signed with assumed-role keys run inside member accounts as OrganizationAccountAccessRole and are
listed apart. Writes docs/operator-policy.json (usage: python tools/operator_policy.py).
"""

import glob
import json
import os
import subprocess
import sys
import tempfile

import sandbox as sandbox_tool

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
OUTPUT = os.path.join(REPO, "docs", "operator-policy.json")
# Always needed, whatever the recording shows: reaching member accounts.
ASSUME_MEMBER_ROLE = "arn:aws:iam::*:role/OrganizationAccountAccessRole"


def run(box_env, *args):
    completed = subprocess.run([PLAYBOOK, *args], env=box_env, cwd=REPO, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")


def main():
    work = tempfile.mkdtemp(prefix="operator-policy-")
    state = sandbox_tool.start(os.path.join(work, "sandbox"))
    endpoint = state["endpoint"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(sandbox_tool.env_for(endpoint))
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(REPO, "build", "collections")
    common = ["-e", "@examples/access-model.yml", "-e", f"ssoshift_output_dir={work}/out",
              "-e", f"cli_profiles_operator_config_path={work}/out/operator-aws-config"]
    try:
        sandbox_tool.start_recording(endpoint)
        run(env, "playbooks/audit.yml", *common)
        run(env, "playbooks/migrate.yml", *common, "-e", "confirm_portal_sign_in=true")
        run(env, "playbooks/migrate.yml", *common, "-e", "confirm_portal_sign_in=true")
        run(env, "playbooks/migrate.yml", *common, "-e", "confirm_portal_sign_in=true",
            "-e", "iam_user_retirement_quarantine_days=0", "--tags", "retire")
        backup = sorted(glob.glob(f"{work}/out/backups/*-admin-*.json"))[-1]
        run(env, "playbooks/restore_iam_user.yml", "-e", f"backup_file={backup}")
        entries = sandbox_tool.stop_recording(endpoint, entries=True)
    finally:
        sandbox_tool.stop(os.path.join(work, "sandbox"))

    def key_of(entry):
        headers = {k.lower(): v for k, v in entry.get("headers", {}).items()}
        return headers.get("authorization", "").split("Credential=", 1)[-1].split("/", 1)[0]

    management = sorted({sandbox_tool.iam_action_of(e) for e in entries if key_of(e) == "testing"})
    members = sorted({sandbox_tool.iam_action_of(e) for e in entries if key_of(e) != "testing"})
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "MigrationInTheManagementAccount", "Effect": "Allow",
             "Action": [a for a in management if a != "sts:AssumeRole"], "Resource": "*"},
            {"Sid": "ReachMemberAccounts", "Effect": "Allow", "Action": "sts:AssumeRole",
             "Resource": ASSUME_MEMBER_ROLE},
        ],
    }
    with open(OUTPUT, "w") as handle:
        json.dump(policy, handle, indent=2)
        handle.write("\n")
    with open(OUTPUT.replace(".json", "-member-accounts.json"), "w") as handle:
        json.dump({"Version": "2012-10-17", "Statement": [{"Sid": "MigrationInMemberAccounts", "Effect": "Allow",
                                                          "Action": members, "Resource": "*"}]}, handle, indent=2)
        handle.write("\n")
    print(f"{len(management)} management-account actions, {len(members)} member-account actions -> {OUTPUT}")


if __name__ == "__main__":
    main()
