"""The organization_accounts inventory plugin and the member-account pattern, against the sandbox."""

import json
import subprocess
import uuid

from conftest import ANSIBLE_PLAYBOOK

ANSIBLE_INVENTORY = ANSIBLE_PLAYBOOK.replace("ansible-playbook", "ansible-inventory")


def _plain(value):
    """ansible-inventory --list marks values from inventory plugins as unsafe: {"__ansible_unsafe": value}."""
    if isinstance(value, dict):
        return value["__ansible_unsafe"] if set(value) == {"__ansible_unsafe"} else {
            _plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _inventory(sandbox, tmp_path, extra=""):
    path = tmp_path / "organization_accounts.yml"
    path.write_text(f"plugin: ssoshift.identity_center.organization_accounts\n{extra}")
    return path


def test_graph_groups_accounts_by_ou_path(sandbox, tmp_path):
    sandbox.client("organizations").tag_resource(ResourceId=sandbox.accounts["prod"],
                                                 Tags=[{"Key": "environment", "Value": "production"}])
    path = _inventory(sandbox, tmp_path, "keyed_groups:\n  - key: tags.environment | default('none')\n    prefix: env\n")
    graph = subprocess.run([ANSIBLE_INVENTORY, "-i", str(path), "--graph"], capture_output=True, text=True,
                           env=sandbox.env(ANSIBLE_STDOUT_CALLBACK=None), check=True).stdout
    lines = [line.strip() for line in graph.splitlines()]
    assert lines[lines.index("|--@ou_workloads:") + 1] == "|  |--@ou_workloads_nonprod:"  # nested under its parent
    assert lines[lines.index("|--@env_production:") + 1] == "|  |--prod"
    listing = json.loads(subprocess.run([ANSIBLE_INVENTORY, "-i", str(path), "--list"], capture_output=True,
                                        text=True, env=sandbox.env(ANSIBLE_STDOUT_CALLBACK=None), check=True).stdout)
    prod = _plain(listing["_meta"]["hostvars"]["prod"])
    assert prod["account_id"] == sandbox.accounts["prod"] and prod["ou_path"] == "Workloads/Prod"
    assert prod["ansible_connection"] == "local" and prod["tags"] == {"environment": "production"}
    assert sorted(listing["ou_workloads_nonprod"]["hosts"]) == ["dev", "staging"]


def test_filters_and_account_ids_as_hostnames(sandbox, tmp_path):
    path = _inventory(sandbox, tmp_path, "include_ous: [Workloads]\nexclude_accounts: [staging]\nhostnames: id\n")
    listing = json.loads(subprocess.run([ANSIBLE_INVENTORY, "-i", str(path), "--list"], capture_output=True,
                                        text=True, env=sandbox.env(ANSIBLE_STDOUT_CALLBACK=None), check=True).stdout)
    assert sorted(listing["aws_accounts"]["hosts"]) == sorted([sandbox.accounts["dev"], sandbox.accounts["prod"]])


def test_a_task_for_host_prod_changes_prod_and_nothing_else(sandbox, tmp_path):
    path = _inventory(sandbox, tmp_path)
    user = f"member-probe-{uuid.uuid4().hex[:6]}"
    playbook = tmp_path / "member.yml"
    playbook.write_text(f"""
- hosts: prod
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: ssoshift.identity_center.member_account
      vars:
        member_account_id: "{{{{ account_id }}}}"
    - module_defaults:
        group/ssoshift.identity_center.aws: "{{{{ member_account_auth }}}}"
      block:
        - amazon.aws.iam_user:
            name: {user}
            state: present
""")
    completed = subprocess.run([ANSIBLE_PLAYBOOK, "-i", str(path), str(playbook)], capture_output=True, text=True,
                               env=sandbox.env(ANSIBLE_STDOUT_CALLBACK=None), cwd=str(tmp_path), check=False)
    assert completed.returncode == 0, completed.stdout[-3000:]
    for name in ("management", "dev", "staging", "prod"):
        users = [u["UserName"] for u in sandbox.client("iam", account=name).list_users()["Users"]]
        assert (user in users) == (name == "prod"), name
