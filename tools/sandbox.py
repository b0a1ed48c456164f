"""Local AWS sandbox: a moto server on loopback seeded with a legacy estate.

    python tools/sandbox.py start [--dir build/sandbox]   start, wait, seed, write the env file
    python tools/sandbox.py stop  [--dir build/sandbox]   stop exactly the server this dir started
    python tools/sandbox.py status [--dir build/sandbox]

The env file (`<dir>/sandbox.env`) holds AWS_ENDPOINT_URL, the region and test credentials;
`<dir>/sandbox.json` describes what was seeded (account IDs by name, OU IDs, the instance).
The seed is documented in docs/sandbox.md. The same module is imported by the test suites
(start/stop, the request recorder) so that tests and the demo share one sandbox definition.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

REGION = "us-east-1"
TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
MANAGEMENT_ACCOUNT_ID = "123456789012"  # moto's default account
MEMBER_ROLE = "OrganizationAccountAccessRole"
OU_LAYOUT = {"dev": "Workloads/NonProd", "staging": "Workloads/NonProd", "prod": "Workloads/Prod"}

# A virtual MFA device cannot be enabled without two TOTP codes; moto accepts any six digits.
_MFA_CODES = ("123456", "654321")

ADMIN_INLINE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "LegacyBilling", "Effect": "Allow", "Action": ["aws-portal:*", "budgets:*"], "Resource": "*"}],
}
DEPLOY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Deploy", "Effect": "Allow",
         "Action": ["s3:PutObject", "s3:GetObject", "cloudformation:*", "ecs:UpdateService"], "Resource": "*"},
    ],
}


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _paths(directory):
    return {
        "pid": os.path.join(directory, "moto.pid"),
        "env": os.path.join(directory, "sandbox.env"),
        "json": os.path.join(directory, "sandbox.json"),
        "log": os.path.join(directory, "moto.log"),
        "recording": os.path.join(directory, "recording.jsonl"),
    }


def _is_our_server(pid):
    """True when pid is alive and is a moto server (guards against a recycled pid)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            cmdline = handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return "moto" in cmdline


def _wait_until_up(url, timeout, proc):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto server exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/moto-api/data.json", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"moto server did not answer on {url} within {timeout}s")


def env_for(endpoint):
    env = {"AWS_ENDPOINT_URL": endpoint, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}
    env.update(TEST_CREDENTIALS)
    return env


def load_state(directory):
    with open(_paths(directory)["json"]) as handle:
        return json.load(handle)


def start(directory, seed_estate=True, timeout=60):
    """Start moto on a free loopback port, wait until it answers, seed, write env + json."""
    directory = os.path.abspath(directory)
    os.makedirs(directory, exist_ok=True)
    paths = _paths(directory)
    if os.path.exists(paths["pid"]):
        stop(directory)
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server_env = dict(os.environ)
    server_env.update({
        "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
        "MOTO_RECORDER_FILEPATH": paths["recording"],
    })
    server_env.pop("MOTO_ENABLE_RECORDING", None)
    with open(paths["log"], "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "moto_server.py"),
             "-H", "127.0.0.1", "-p", str(port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=server_env, start_new_session=True,
        )
    with open(paths["pid"], "w") as handle:
        handle.write(str(proc.pid))
    try:
        _wait_until_up(endpoint, timeout, proc)
        state = {"endpoint": endpoint, "region": REGION, "pid": proc.pid}
        if seed_estate:
            state.update(seed(endpoint))
    except Exception:
        stop(directory)
        raise
    with open(paths["json"], "w") as handle:
        json.dump(state, handle, indent=2, sort_keys=True)
    with open(paths["env"], "w") as handle:
        for key, value in sorted(env_for(endpoint).items()):
            handle.write(f"export {key}={value}\n")
    return state


def stop(directory):
    """Stop exactly the process recorded in the pid file; never by name."""
    paths = _paths(os.path.abspath(directory))
    try:
        with open(paths["pid"]) as handle:
            pid = int(handle.read().strip())
    except (OSError, ValueError):
        return False
    stopped = False
    if _is_our_server(pid):
        os.kill(pid, signal.SIGTERM)
        for dummy in range(50):
            if not _is_our_server(pid):
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
        stopped = True
    for key in ("pid", "env", "json"):
        if os.path.exists(paths[key]):
            os.remove(paths[key])
    return stopped


# --------------------------------------------------------------------------- seed

def _clients(endpoint, credentials=None):
    import boto3

    credentials = credentials or {
        "aws_access_key_id": TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }
    session = boto3.session.Session(region_name=REGION, **credentials)
    return lambda service: session.client(service, endpoint_url=endpoint)


def member_credentials(endpoint, account_id, role_name=MEMBER_ROLE):
    """Credentials inside a member account, as the collection gets them: sts:AssumeRole."""
    sts = _clients(endpoint)("sts")
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{role_name}", RoleSessionName="ssoshift-sandbox"
    )["Credentials"]
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }


def _ensure_ou(org, parent_id, name):
    for ou in org.list_organizational_units_for_parent(ParentId=parent_id)["OrganizationalUnits"]:
        if ou["Name"] == name:
            return ou["Id"]
    return org.create_organizational_unit(ParentId=parent_id, Name=name)["OrganizationalUnit"]["Id"]


def _seed_legacy_user(iam, name, policy_arns=(), access_keys=0, password=False, inline=None,
                      groups=(), virtual_mfa=False, tags=None):
    iam.create_user(UserName=name, Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()])
    for arn in policy_arns:
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    for dummy in range(access_keys):
        iam.create_access_key(UserName=name)
    if password:
        # A throwaway value: the sandbox never prints it and nothing reads it back.
        iam.create_login_profile(UserName=name, Password=os.urandom(12).hex() + "Aa1!")
    if inline:
        iam.put_user_policy(UserName=name, PolicyName=inline[0], PolicyDocument=json.dumps(inline[1]))
    for group in groups:
        iam.add_user_to_group(UserName=name, GroupName=group)
    if virtual_mfa:
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(UserName=name, SerialNumber=serial,
                              AuthenticationCode1=_MFA_CODES[0], AuthenticationCode2=_MFA_CODES[1])


def seed(endpoint):
    """Seed the legacy estate (docs/sandbox.md). Same names every run; IDs are moto's."""
    client = _clients(endpoint)
    org = client("organizations")
    organization = org.create_organization(FeatureSet="ALL")["Organization"]
    root_id = org.list_roots()["Roots"][0]["Id"]

    ou_ids = {}
    for path in sorted(set(OU_LAYOUT.values())):
        parent = root_id
        walked = []
        for part in path.split("/"):
            walked.append(part)
            key = "/".join(walked)
            if key not in ou_ids:
                ou_ids[key] = _ensure_ou(org, parent, part)
            parent = ou_ids[key]

    accounts = {"management": organization["MasterAccountId"]}
    for name, ou_path in OU_LAYOUT.items():
        status = org.create_account(AccountName=name, Email=f"aws+{name}@example.com",
                                    RoleName=MEMBER_ROLE)["CreateAccountStatus"]
        account_id = status["AccountId"]
        org.move_account(AccountId=account_id, SourceParentId=root_id, DestinationParentId=ou_ids[ou_path])
        accounts[name] = account_id
        # Organizations (and moto) create the access role in every new account; prove it is assumable.
        member_credentials(endpoint, account_id)

    instance = client("sso-admin").list_instances()["Instances"][0]

    iam = client("iam")
    iam.create_group(GroupName="legacy-admins")
    deploy_policy_arn = iam.create_policy(PolicyName="ci-deploy",
                                          PolicyDocument=json.dumps(DEPLOY_POLICY))["Policy"]["Arn"]
    _seed_legacy_user(
        iam, "admin", policy_arns=["arn:aws:iam::aws:policy/AdministratorAccess"], access_keys=2,
        password=True, inline=("legacy-billing", ADMIN_INLINE_POLICY), groups=["legacy-admins"],
        virtual_mfa=True, tags={"owner": "ops", "created-by": "console"},
    )
    _seed_legacy_user(iam, "ci-deployer", policy_arns=[deploy_policy_arn], access_keys=1,
                      tags={"purpose": "ci"})
    prod_iam = _clients(endpoint, member_credentials(endpoint, accounts["prod"]))("iam")
    _seed_legacy_user(prod_iam, "prod-admin", policy_arns=["arn:aws:iam::aws:policy/AdministratorAccess"],
                      access_keys=1)

    return {
        "organization_id": organization["Id"],
        "root_id": root_id,
        "accounts": accounts,
        "ous": ou_ids,
        "instance_arn": instance["InstanceArn"],
        "identity_store_id": instance["IdentityStoreId"],
        "legacy_users": {"management": ["admin", "ci-deployer"], "prod": ["prod-admin"]},
    }


# --------------------------------------------------------------------------- recorder

READ_PREFIXES = ("List", "Get", "Describe", "GenerateCredentialReport", "Search", "Lookup")


def _moto_api(endpoint, action):
    request = urllib.request.Request(f"{endpoint}/moto-api/recorder/{action}",
                                     method="GET" if action.startswith("download") else "POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def start_recording(endpoint):
    _moto_api(endpoint, "reset-recording")
    _moto_api(endpoint, "start-recording")


def stop_recording(endpoint, entries=False):
    """Stop recording and return the AWS operation names received, in order (the raw requests with entries=True)."""
    _moto_api(endpoint, "stop-recording")
    recorded = [json.loads(line) for line in _moto_api(endpoint, "download-recording").splitlines() if line.strip()]
    return recorded if entries else [operation_of(entry) for entry in recorded]


def iam_action_of(entry):
    """The IAM action a recorded request needs: the SigV4 signing name (sso, identitystore, iam, ...) and the
    operation, e.g. "sso:CreateAccountAssignment"."""
    headers = {k.lower(): v for k, v in entry.get("headers", {}).items()}
    scope = headers.get("authorization", "").split("Credential=", 1)[-1].split(",", 1)[0].split("/")
    service = scope[3] if len(scope) > 3 else "unknown"
    return f"{service}:{operation_of(entry)}"


def operation_of(entry):
    """AWS operation name of a recorded request (JSON protocol target or query Action)."""
    headers = {k.lower(): v for k, v in entry.get("headers", {}).items()}
    target = headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    body = entry.get("body") or ""
    if entry.get("body_encoded"):
        import base64

        body = base64.b64decode(body).decode(errors="replace")
    from urllib.parse import parse_qs, urlparse

    params = parse_qs(body) or parse_qs(urlparse(entry.get("url", "")).query)
    if "Action" in params:
        return params["Action"][0]
    # REST-JSON services named by path, such as Account Management's POST /getAlternateContact
    last = urlparse(entry.get("url", "")).path.rstrip("/").rsplit("/", 1)[-1]
    if last[:1].islower() and last.isalnum():
        return last[0].upper() + last[1:]
    return f"{entry.get('method')} {urlparse(entry.get('url', '')).path}"


def write_operations(operations):
    """Operations that change the estate (AssumeRole only issues credentials)."""
    return [op for op in operations if not op.startswith(READ_PREFIXES) and op != "AssumeRole"]


# --------------------------------------------------------------------------- CLI

def main(argv=None):
    # The sandbox is reached with its own keys; a profile selected for the code under test
    # (molecule's AWS_PROFILE points at a profile this command is about to make possible) must not apply.
    for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(variable, None)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("--dir", default=os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "build", "sandbox"))
    args = parser.parse_args(argv)
    if args.action == "start":
        state = start(args.dir)
        print(f"sandbox up at {state['endpoint']} (pid {state['pid']}); accounts: "
              + ", ".join(f"{k}={v}" for k, v in state["accounts"].items()))
        print(f"env file: {_paths(os.path.abspath(args.dir))['env']}")
    elif args.action == "stop":
        print("sandbox stopped" if stop(args.dir) else "no sandbox was running")
    else:
        paths = _paths(os.path.abspath(args.dir))
        if os.path.exists(paths["json"]):
            print(json.dumps(load_state(args.dir), indent=2))
        else:
            print("not running")
            return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
