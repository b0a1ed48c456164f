"""The issue's measurement: 100 users, 30 groups of 10, 30 permission sets (a managed and an inline policy each) and 30
assignments; `playbooks/migrate.yml --tags directory,permission_sets,assignments` on plain moto, a first run and a
no-change run, with one installed collection (so the same script measures an older build for comparison).

    python tests/performance/identity_phases.py COLLECTIONS_PATH PLAYBOOK LABEL [EXTRA_VAR ...]

EXTRA_VAR: passed to ansible-playbook with -e, for example identity_center_max_requests_per_second=100 (the
sandbox's rate; the role's default is AWS's published 20 a second).
"""
import collections
import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tools"))
import sandbox as sb  # noqa: E402

coll, playbook, label, extra_vars = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
users = [{"user_name": f"m-user-{i:03d}", "given_name": "M", "family_name": f"U{i}", "email": f"m{i}@example.com"}
         for i in range(100)]
groups = [{"name": f"m-group-{g:02d}", "members": [users[(g * 3 + k) % 100]["user_name"] for k in range(10)]}
          for g in range(30)]
inline = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "account:*", "Resource": "*"}]}
sets = [{"name": f"MSet{i:02d}", "managed_policies": ["ReadOnlyAccess"], "inline_policy": inline} for i in range(30)]
assignments = [{"group": f"m-group-{g:02d}", "permission_sets": [f"MSet{g:02d}"], "targets": {"accounts": ["dev"]}}
               for g in range(30)]
work = tempfile.mkdtemp(prefix="measure-")
box = sb.start(os.path.join(work, "sb"))
model = os.path.join(work, "model.json")
json.dump({"identity_center": {"users": users, "groups": groups, "permission_sets": sets,
                               "assignments": assignments},
           "legacy_iam_users": [], "ssoshift_output_dir": os.path.join(work, "out")}, open(model, "w"))
env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
env.update(sb.env_for(box["endpoint"]), ANSIBLE_COLLECTIONS_PATH=coll, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
           ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false", HOME=work)
rows = []
try:
    for run in ("first", "no change"):
        sb.start_recording(box["endpoint"])
        start = time.monotonic()
        command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), playbook, "-e", f"@{model}",
                   "--tags", "directory,permission_sets,assignments"]
        for extra in extra_vars:
            command += ["-e", extra]
        done = subprocess.run(command, env=env, cwd=work, capture_output=True, text=True, check=False)
        wall = time.monotonic() - start
        ops = sb.stop_recording(box["endpoint"])
        report = json.loads(done.stdout)
        changed = report["stats"]["localhost"]["changed"]
        counts = collections.Counter(ops)
        rows.append({"collection": label, "run": run, "rc": done.returncode, "wall_s": round(wall, 1),
                     "api_calls": len(ops), "writes": len(sb.write_operations(ops)), "changed_tasks": changed,
                     "top": counts.most_common(5)})
        print(json.dumps(rows[-1]), flush=True)
finally:
    sb.stop(os.path.join(work, "sb"))
