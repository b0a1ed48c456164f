"""Derive the operator's least-privilege IAM policy from the API calls the migration makes.

Runs playbooks/migrate.yml against a private sandbox with moto's request recorder on: the full
migration with the confirmation given, a second (no-change) run, the deletion after the
quarantine, a rollback with playbooks/restore_iam_user.yml and playbooks/audit.yml. Every request
signed with the management account's keys becomes an action of the operator's policy; requests
signed with assumed-role keys run inside member accounts as OrganizationAccountAccessRole and are
listed apart. Writes docs/operator-policy.json (usage: python tools/operator_policy.py).

The sandbox exercises the main path only (moto completes assignments at once, nothing needs an
update, centralized root access is missing), so the recording is joined with every AWS call
the collection's own code can make (its sources, read with botocore's service models) and with
the collection's own IAM, EventBridge and STS calls (every role it manages is its own code now).
"""

import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import botocore.session

import sandbox as sandbox_tool

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
OUTPUT = os.path.join(REPO, "docs", "operator-policy.json")
# Always needed, whatever the recording shows: reaching member accounts.
ASSUME_MEMBER_ROLE = "arn:aws:iam::*:role/OrganizationAccountAccessRole"
# Services this collection's code calls, by botocore name, and the IAM prefix of their actions.
SERVICES = {"sso-admin": "sso", "identitystore": "identitystore", "organizations": "organizations", "iam": "iam",
            "sts": "sts", "account": "account", "events": "events"}


# Method names shared by two services where the code calls only the other one (identitystore's groups
# and update_user, sso-admin's permission-set tags).
NOT_CALLED = {"iam:CreateGroup", "iam:DeleteGroup", "iam:UpdateGroup", "iam:ListGroups", "iam:UpdateUser",
              "organizations:TagResource", "organizations:UntagResource", "events:ListTagsForResource",
              "events:TagResource", "events:UntagResource"}


def actions_in_sources():
    """Every operation of SERVICES whose client method name appears in plugins/ (calls and paginator names)."""
    text = "\n".join(open(path).read() for path in glob.glob(os.path.join(REPO, "plugins", "**", "*.py"), recursive=True))
    words = set(re.findall(r"\b[a-z][a-z0-9_]+\b", text))
    session = botocore.session.get_session()
    found = set()
    for service, prefix in SERVICES.items():
        model = session.get_service_model(service)
        for operation in model.operation_names:
            method = botocore.xform_name(operation)
            if method in words and "_" in method:
                found.add(f"{prefix}:{operation}")
    return found - NOT_CALLED


def run(box_env, *args, may_fail=False):
    completed = subprocess.run([PLAYBOOK, *args], env=box_env, cwd=REPO, capture_output=True, text=True, check=False)
    if completed.returncode != 0 and not may_fail:
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
        # The demo's opt-in: member accounts' root credentials removed centrally (sts:AssumeRoot).
        run(env, "playbooks/migrate.yml", *common, "-e", "confirm_portal_sign_in=true",
            "-e", "root_account_remove_member_root_credentials=true")
        run(env, "playbooks/migrate.yml", *common, "-e", "confirm_portal_sign_in=true")
        run(env, "playbooks/migrate.yml", *common, "-e", "confirm_portal_sign_in=true",
            "-e", "iam_user_retirement_quarantine_days=0", "--tags", "retire")
        backup = sorted(glob.glob(f"{work}/out/backups/{sandbox_tool.MANAGEMENT_ACCOUNT_ID}-admin-*.json"))[-1]
        # A deleted user comes back without its keys, password and MFA: the restore says so and exits non-zero.
        run(env, "playbooks/restore_iam_user.yml", "-e", f"backup_file={backup}", may_fail=True)
        entries = sandbox_tool.stop_recording(endpoint, entries=True)
    finally:
        sandbox_tool.stop(os.path.join(work, "sandbox"))

    def key_of(entry):
        headers = {k.lower(): v for k, v in entry.get("headers", {}).items()}
        return headers.get("authorization", "").split("Credential=", 1)[-1].split("/", 1)[0]

    recorded = {sandbox_tool.iam_action_of(e) for e in entries if key_of(e) == "testing"}
    in_code = actions_in_sources()
    management = sorted(recorded | in_code)
    members = sorted({sandbox_tool.iam_action_of(e) for e in entries if key_of(e) != "testing"} | {
        a for a in in_code if a.startswith(("iam:", "sts:", "events:", "account:"))})
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
    print(f"{len(management)} management-account actions ({len(recorded)} recorded in the sandbox, "
          f"{len(in_code - recorded)} more from the sources), {len(members)} member-account actions -> {OUTPUT}")


if __name__ == "__main__":
    main()
