"""Local AWS sandbox: a moto server on loopback seeded with a legacy estate.

    python tools/sandbox.py start [--dir build/sandbox]   start, wait, seed, write the env file
    python tools/sandbox.py stop  [--dir build/sandbox]   stop exactly the server this dir started
    python tools/sandbox.py status [--dir build/sandbox]

The env file (`<dir>/sandbox.env`) holds AWS_ENDPOINT_URL, the region and test credentials;
`<dir>/sandbox.json` describes what was seeded (account IDs by name, OU IDs, the instance).
The seed is documented in docs/sandbox.md; `start(dir, **options)` takes the opt-in seed options
of `seed` (trusted access, centralized root access, root credentials, a delegated administrator,
closed accounts), which leave the default estate as it is. The same module is imported by the test suites
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
# Opt-in (seed option delegated_admin): a member role in every other account that the delegated administrator
# of Identity Center may assume, as an operator who runs from that account sets one up (its trust is theirs).
OPERATOR_ROLE = "ssoshift-operator"
# Opt-in (seed option root_credentials): the member accounts' root users hold these (the management account's
# root user has a password and no MFA). docs/sandbox.md.
ROOT_CREDENTIALS = {
    "dev": {"password": True, "access_keys": 1, "signing_certificates": 1, "mfa": "virtual"},
    "staging": {"password": True},
    "prod": {"access_keys": 2, "mfa": "hardware"},
}
MANAGEMENT_ROOT = {"password": True}
OU_LAYOUT = {"dev": "Workloads/NonProd", "staging": "Workloads/NonProd", "prod": "Workloads/Prod"}
# Where the seed option extra_accounts puts its accounts, one after the other.
SCALE_OUS = ("Workloads/NonProd", "Workloads/Prod")

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


def start(directory, seed_estate=True, timeout=60, **seed_options):
    """Start moto on a free loopback port, wait until it answers, seed (with `seed`'s options), write env + json."""
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
            state.update(seed(endpoint, **seed_options))
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


def seed(endpoint, trusted_services=(), root_access=False, root_credentials=False, delegated_admin=None,
         closed_accounts=(), pending_closure_accounts=(), extra_accounts=0):
    """Seed the legacy estate (docs/sandbox.md). Same names every run; IDs are moto's.

    Opt-in options (the default estate is a fresh organisation: no trusted access, no delegated administrator):
    trusted_services: service principals given trusted access (EnableAWSServiceAccess);
    root_access: trusted access for iam.amazonaws.com and both centralized root access features;
    root_credentials: the member accounts' root users hold ROOT_CREDENTIALS (the management account's
      MANAGEMENT_ROOT), through the launcher's control endpoint (no AWS API creates root credentials);
    delegated_admin: an account name ("dev") registered as delegated administrator of Identity Center
      (trusted access for sso.amazonaws.com first), with OPERATOR_ROLE in every other account trusting it;
    closed_accounts / pending_closure_accounts: names of extra accounts (in Workloads/NonProd) created and
      closed with CloseAccount, waited for until SUSPENDED / held in PENDING_CLOSURE;
    extra_accounts: that many more member accounts, `member-0000` on, alternately in SCALE_OUS, each with the member
      role as Organizations creates it (organisation-scale tests and `make bench-org`).
    """
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
    for index in range(extra_accounts):
        name = f"member-{index:04d}"
        status = org.create_account(AccountName=name, Email=f"aws+{name}@example.com",
                                    RoleName=MEMBER_ROLE)["CreateAccountStatus"]
        org.move_account(AccountId=status["AccountId"], SourceParentId=root_id,
                         DestinationParentId=ou_ids[SCALE_OUS[index % len(SCALE_OUS)]])
        accounts[name] = status["AccountId"]

    instance = client("sso-admin").list_instances()["Instances"][0]

    iam = client("iam")
    extra = _seed_options(endpoint, client, accounts, ou_ids, trusted_services, root_access, root_credentials,
                          delegated_admin, closed_accounts, pending_closure_accounts)
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
        **extra,
    }


def _seed_options(endpoint, client, accounts, ou_ids, trusted_services, root_access, root_credentials,
                  delegated_admin, closed_accounts, pending_closure_accounts):
    org = client("organizations")
    services = list(trusted_services)
    if root_access:
        services.append("iam.amazonaws.com")
    if delegated_admin:
        services.append("sso.amazonaws.com")
    for service in dict.fromkeys(services):
        org.enable_aws_service_access(ServicePrincipal=service)
    extra = {"trusted_services": sorted(set(services))}
    if root_access:
        iam = client("iam")
        iam.enable_organizations_root_credentials_management()
        iam.enable_organizations_root_sessions()
        extra["root_access_features"] = ["RootCredentialsManagement", "RootSessions"]
    if root_credentials:
        specs = {accounts[name]: spec for name, spec in ROOT_CREDENTIALS.items()}
        specs[accounts["management"]] = MANAGEMENT_ROOT
        control(endpoint, "root-credentials", specs)
        extra["root_credentials"] = dict(ROOT_CREDENTIALS)
    if delegated_admin:
        admin_id = accounts[delegated_admin]
        org.register_delegated_administrator(AccountId=admin_id, ServicePrincipal="sso.amazonaws.com")
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"AWS": [f"arn:aws:iam::{admin_id}:root", f"arn:aws:iam::{accounts['management']}:root"]}}]}
        for name, account_id in accounts.items():
            if account_id == admin_id:
                continue
            credentials = None if name == "management" else member_credentials(endpoint, account_id)
            iam = _clients(endpoint, credentials)("iam")
            iam.create_role(RoleName=OPERATOR_ROLE, AssumeRolePolicyDocument=json.dumps(trust))
            iam.attach_role_policy(RoleName=OPERATOR_ROLE, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        extra["delegated_admin"] = {"name": delegated_admin, "account_id": admin_id, "operator_role": OPERATOR_ROLE}
    closed = {}
    for name in [*closed_accounts, *pending_closure_accounts]:
        account_id = org.create_account(AccountName=name, Email=f"aws+{name}@example.com",
                                        RoleName=MEMBER_ROLE)["CreateAccountStatus"]["AccountId"]
        root_id = org.list_roots()["Roots"][0]["Id"]
        org.move_account(AccountId=account_id, SourceParentId=root_id, DestinationParentId=ou_ids["Workloads/NonProd"])
        org.close_account(AccountId=account_id)
        accounts[name] = closed[name] = account_id
    if pending_closure_accounts:
        control(endpoint, "hold-closure", {"accounts": [closed[name] for name in pending_closure_accounts]})
    deadline = time.monotonic() + 30
    for name in closed_accounts:
        while org.describe_account(AccountId=closed[name])["Account"]["Status"] != "SUSPENDED":
            if time.monotonic() > deadline:
                raise RuntimeError(f"account {name} did not reach SUSPENDED")
            time.sleep(0.2)
    if closed:
        extra["closed_accounts"] = closed
    return extra


def control(endpoint, path, body=None):
    """The launcher's control endpoint (tools/moto_server.py): sandbox state no AWS API can set, such as root
    credentials. GET without body, POST with a JSON body."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{endpoint}/ssoshift-api/{path}", data=data,
                                     method="GET" if body is None else "POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read().decode())


def root_session(endpoint, account_id, task="IAMAuditRootUserCredentials", credentials=None):
    """Credentials of a privileged root session in a member account (sts:AssumeRoot with a root-task policy)."""
    sts = _clients(endpoint, credentials)("sts")
    creds = sts.assume_root(TargetPrincipal=account_id,
                            TaskPolicyArn={"arn": f"arn:aws:iam::aws:policy/root-task/{task}"})["Credentials"]
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
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
    """Operations that change the estate (AssumeRole and AssumeRoot only issue credentials)."""
    return [op for op in operations if not op.startswith(READ_PREFIXES) and op not in ("AssumeRole", "AssumeRoot")]


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
    parser.add_argument("--root-credentials", action="store_true",
                        help="seed root credentials in the member accounts (and a password on the management "
                             "account's root), as an estate that predates centralized root access has them")
    args = parser.parse_args(argv)
    if args.action == "start":
        state = start(args.dir, root_credentials=args.root_credentials)
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
