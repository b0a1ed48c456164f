"""An example end-state report (version 2 of the report's input), for the browser test and the docs.

    python tools/report_example.py --out build/report-example                 report.json, .md, .html
    python tools/report_example.py --out build/report-example --screenshot docs/report.png

(`make report-example` runs the second.)

The estate: a management account and four members (a fifth is closed), the access model's groups
and permission sets, a hand-made AdministratorAccess assignment in prod (drift), an extra group
member, an IAM user nobody listed, a role trusting a vendor's account; the posture before and
after with member-account root checks not applicable (root credentials deleted centrally) and
the management account's root MFA still failing, with its console step.

report.py is loaded from this repository's plugins/module_utils (it needs only the standard
library), so this runs without installing the collection.
"""

import argparse
import copy
import importlib.util
import os
import shutil
import subprocess
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
GENERATED_AT = "2026-11-30T09:00:00+00:00"

MANAGEMENT = "111111111111"
ACCOUNTS = {"acme-management": MANAGEMENT, "dev": "222222222222", "staging": "333333333333",
            "prod": "444444444444", "shared-services": "555555555555"}
CLOSED = {"old-sandbox": "666666666666"}
OU = {"dev": "Workloads/NonProd", "staging": "Workloads/NonProd", "prod": "Workloads/Prod",
      "shared-services": "Infrastructure"}

# posture.py's checks: (id, title, Prowler, Security Hub)
CHECKS = (
    ("root_mfa", "Root user has MFA", "iam_root_mfa_enabled", "IAM.9"),
    ("root_no_access_keys", "Root user has no access keys", "iam_no_root_access_key", "IAM.4"),
    ("root_hardware_mfa", "Root user MFA is a hardware device", "iam_root_hardware_mfa_enabled", "IAM.6"),
    ("centralized_root_access", "Centralized root access for member accounts", None, None),
    ("password_policy", "IAM password policy requires 14 or more characters", "iam_password_policy_minimum_length_14",
     "IAM.15"),
    ("no_console_users", "No IAM user signs in to the console", None, None),
    ("no_active_access_keys", "No IAM user has an active access key", None, None),
    ("no_admin_users", "No IAM user holds AdministratorAccess", "iam_user_administrator_access_policy", None),
    ("no_user_attached_policies", "No IAM user has policies attached directly",
     "iam_policy_attached_only_to_group_or_roles", "IAM.2"),
    ("no_unused_credentials", "No credential unused for longer than the window", "iam_user_accesskey_unused",
     "IAM.22"),
    ("security_contact", "Security alternate contact is set", "account_security_contact_information_is_registered",
     "Account.1"),
    ("identity_center_in_use", "IAM Identity Center is enabled", None, None),
)
ROOT_CHECKS = ("root_mfa", "root_no_access_keys", "root_hardware_mfa")
ROOT_MFA_STEP = ("Sign in to the AWS console as the root user of the management account, open Security credentials, "
                 "Multi-factor authentication (MFA), Assign MFA device, and register a hardware security key.")
REMOVED = {"root_credentials": "none", "reason": "root credentials deleted centrally (IAMDeleteRootUserCredentials)"}
RECOMMENDED_POLICY = {"MinimumPasswordLength": 14, "RequireSymbols": True, "RequireNumbers": True,
                      "RequireUppercaseCharacters": True, "RequireLowercaseCharacters": True,
                      "AllowUsersToChangePassword": True, "MaxPasswordAge": 90, "PasswordReusePrevention": 24}


def load_report_module():
    """plugins/module_utils/report.py of this repository, as a module."""
    spec = importlib.util.spec_from_file_location(
        "ssoshift_report", os.path.join(REPO, "plugins", "module_utils", "report.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check(check_id, status, evidence, remediation=None):
    title, prowler, security_hub = next(c[1:] for c in CHECKS if c[0] == check_id)
    check = {"id": check_id, "title": title, "status": status, "evidence": evidence, "prowler": prowler,
             "security_hub": security_hub}
    if remediation:
        check["remediation"] = remediation
    return check


def _posture_before(name):
    member = name != "acme-management"
    return [
        _check("root_mfa", "fail", {"AccountMFAEnabled": 0}),
        _check("root_no_access_keys", "fail" if name == "prod" else "pass",
               {"AccountAccessKeysPresent": 1 if name == "prod" else 0}),
        _check("root_hardware_mfa", "fail", {"mfa_enabled": False, "virtual_root_devices": []}),
        _check("centralized_root_access", "fail", {"enabled_features": []}),
        _check("password_policy", "fail", {"MinimumPasswordLength": 8, "policy_exists": True}),
        _check("no_console_users", "fail", {"users": ["admin" if not member else f"{name}-admin"]}),
        _check("no_active_access_keys", "fail" if name in ("prod", "acme-management") else "pass",
               {"access_keys": [{"user": "ci-deployer", "key": 1, "last_used": "2026-09-01T10:00:00Z"}]
                if name == "acme-management" else []}),
        _check("no_admin_users", "fail", {"users": ["admin" if not member else f"{name}-admin"]}),
        _check("no_user_attached_policies", "pass", {"users": []}),
        _check("no_unused_credentials", "pass", {"credentials": [], "unused_days": 45}),
        _check("security_contact", "fail" if name != "prod" else "pass",
               {"contact": None if name != "prod" else {"email": "security@example.com", "name": "Security"}}),
        _check("identity_center_in_use", "fail", {"instances": []}),
    ]


def _posture_after(name):
    member = name != "acme-management"
    checks = []
    for check_id in ROOT_CHECKS:
        if member:
            checks.append(_check(check_id, "not_applicable", REMOVED))
        elif check_id == "root_no_access_keys":
            checks.append(_check(check_id, "pass", {"AccountAccessKeysPresent": 0}))
        elif check_id == "root_mfa":
            checks.append(_check(check_id, "fail", {"AccountMFAEnabled": 0}, ROOT_MFA_STEP))
        else:
            checks.append(_check(check_id, "fail", {"mfa_enabled": False, "virtual_root_devices": []},
                                 ROOT_MFA_STEP))
    unknown_contact = name == "shared-services"
    checks += [
        _check("centralized_root_access", "pass", {"enabled_features": ["RootCredentialsManagement", "RootSessions"]}),
        _check("password_policy", "pass", {"MinimumPasswordLength": 14, "policy_exists": True}),
        _check("no_console_users", "pass", {"users": []}),
        _check("no_active_access_keys", "pass", {"access_keys": []}),
        _check("no_admin_users", "pass", {"users": []}),
        _check("no_user_attached_policies", "pass", {"users": []}),
        _check("no_unused_credentials", "pass", {"credentials": [], "unused_days": 45}),
        _check("security_contact", "unknown" if unknown_contact else "pass",
               {"reason": "access denied (AccessDeniedException)"} if unknown_contact
               else {"contact": {"email": "security@example.com", "name": "Security"}}),
        _check("identity_center_in_use", "pass", {"instances": ["arn:aws:sso:::instance/ssoins-7223c8d4e5f6a7b8"]}),
    ]
    return checks


def _assignment(account, permission_set, principal):
    kind, name = principal.split(":", 1)
    return {"account_id": ACCOUNTS[account], "account_name": account, "permission_set": permission_set,
            "permission_set_arn": f"arn:aws:sso:::permissionSet/ssoins-7223c8d4e5f6a7b8/ps-{permission_set.lower()}",
            "principal_type": kind.upper(), "principal": principal, "principal_id": f"9067-{name}"}


def example_data():
    """The example estate as the report's input (version 2 of the contract)."""
    members = [name for name in ACCOUNTS if name != "acme-management"]
    assignments = [_assignment(a, "AdministratorAccess", "group:platform-admins") for a in ACCOUNTS]
    assignments += [_assignment(a, "ReadOnlyAccess", "group:auditors") for a in ACCOUNTS]
    assignments += [_assignment(a, "DeveloperAccess", "group:developers") for a in ("dev", "staging")]
    assignments += [_assignment("prod", "AdministratorAccess", "user:mallory")]  # made by hand in the console
    identity_store = "d-9067c2a1b3"
    data = {
        "organization": {
            "organization": {"id": "o-a1b2c3d4e5", "management_account_id": MANAGEMENT},
            "accounts": [{"id": account_id, "name": name, "status": "ACTIVE", "ou_path": OU.get(name, "")}
                         for name, account_id in ACCOUNTS.items()]
            + [{"id": account_id, "name": name, "status": "CLOSED", "ou_path": ""}
               for name, account_id in CLOSED.items()]},
        "instance": {"instance_arn": "arn:aws:sso:::instance/ssoins-7223c8d4e5f6a7b8",
                     "identity_store_id": identity_store, "portal_url": f"https://{identity_store}.awsapps.com/start"},
        "assignments": assignments,
        "groups": [{"display_name": "platform-admins", "members": ["alice", "bob"]},
                   {"display_name": "developers", "members": ["carol", "dave", "eve"]},
                   {"display_name": "auditors", "members": ["frank"]}],
        "posture_before": [{"account_id": ACCOUNTS[name], "account_name": name, "checks": _posture_before(name)}
                           for name in ACCOUNTS],
        "posture_before_source": "out/demo/posture-before.json",
        "posture_after": [{"account_id": ACCOUNTS[name], "account_name": name, "checks": _posture_after(name)}
                          for name in ACCOUNTS],
        "retired_users": [
            {"account_id": MANAGEMENT, "account_name": "acme-management", "user_name": "admin", "state": "deleted",
             "backup_file": "out/demo/backups/111111111111-admin.json", "disabled_at": "2026-11-02T09:12:00+00:00",
             "quarantine_ends": "2026-11-30T09:12:00+00:00"},
            {"account_id": ACCOUNTS["prod"], "account_name": "prod", "user_name": "prod-admin", "state": "deleted",
             "backup_file": "out/demo/backups/444444444444-prod-admin.json",
             "disabled_at": "2026-11-02T09:12:00+00:00", "quarantine_ends": "2026-11-30T09:12:00+00:00"},
            {"account_id": MANAGEMENT, "account_name": "acme-management", "user_name": "ci-deployer",
             "state": "disabled", "backup_file": "out/demo/backups/111111111111-ci-deployer.json",
             "disabled_at": "2026-11-20T16:40:00+00:00", "quarantine_ends": "2026-12-18T16:40:00+00:00"}],
        "automation_roles": [
            {"account_id": ACCOUNTS[name], "account_name": name, "role_name": "github-deploy",
             "role_arn": f"arn:aws:iam::{ACCOUNTS[name]}:role/github-deploy",
             "provider_arn": f"arn:aws:iam::{ACCOUNTS[name]}:oidc-provider/token.actions.githubusercontent.com",
             "subjects": [f"repo:acme/app:environment:{name}"], "ownership": "adopted" if name == "prod" else "managed"}
            for name in ("dev", "staging", "prod")],
        "break_glass_roles": [
            {"account_id": account_id, "account_name": name, "role_name": "break-glass",
             "role_arn": f"arn:aws:iam::{account_id}:role/break-glass",
             "trusted_principals": [f"arn:aws:iam::{MANAGEMENT}:root"], "max_session_duration": 3600,
             "alert_rule": "ssoshift-break-glass-used", "ownership": "managed"}
            for name, account_id in ACCOUNTS.items()],
        "oidc_providers": [
            {"account_id": ACCOUNTS[name], "account_name": name, "url": "https://token.actions.githubusercontent.com",
             "arn": f"arn:aws:iam::{ACCOUNTS[name]}:oidc-provider/token.actions.githubusercontent.com",
             "client_ids": ["sts.amazonaws.com"], "ownership": "managed"} for name in ("dev", "staging", "prod")],
        "cli_profiles": [{"user_name": "alice", "path": "out/demo/cli-profiles/alice.config",
                          "profiles": ["prod-AdministratorAccess", "dev-AdministratorAccess"],
                          "content": "[sso-session acme]\nsso_start_url = https://d-9067c2a1b3.awsapps.com/start\n"
                                     "sso_region = eu-west-1\n\n[profile prod-AdministratorAccess]\n"
                                     "sso_session = acme\n"
                                     "sso_account_id = 444444444444\nsso_role_name = AdministratorAccess\n",
                          "login_command": "aws sso login --sso-session acme"}],
        "adopted": {"permission_sets": ["ReadOnlyAccess"], "groups": ["auditors"],
                    "roles": [{"account_id": ACCOUNTS["prod"], "account_name": "prod", "role_name": "github-deploy"}]},
        "drift": [
            {"kind": "assignment_outside_model", "account_id": ACCOUNTS["prod"], "account_name": "prod",
             "subject": "user:mallory -> AdministratorAccess",
             "detail": "AdministratorAccess is assigned to user mallory in prod; the model assigns it to group "
                       "platform-admins only.",
             "remedy": "purge: true removes it; or add user mallory to the assignments of prod in the model."},
            {"kind": "group_member_outside_model", "account_id": None, "account_name": None,
             "subject": "group:developers member eve",
             "detail": "eve is a member of developers; the model lists carol and dave.",
             "remedy": "purge: true removes the membership; or add eve to developers in the model."},
            {"kind": "iam_user_outside_model", "account_id": ACCOUNTS["staging"], "account_name": "staging",
             "subject": "IAM user deploy-bot",
             "detail": "IAM user deploy-bot (1 active access key) is neither a legacy user being retired nor known "
                       "automation.",
             "remedy": "List it under legacy_iam_users to retire it, or replace it with an automation role."},
            {"kind": "role_trusts_external_principal", "account_id": ACCOUNTS["prod"], "account_name": "prod",
             "subject": "role vendor-access",
             "detail": "vendor-access trusts arn:aws:iam::999988887777:root, an account outside the organization.",
             "remedy": "Remove the role, or list the vendor's account in the model's trusted principals."}],
        "closed_accounts": [{"account_id": account_id, "account_name": name, "status": "CLOSED"}
                            for name, account_id in CLOSED.items()],
        "root_credentials": [
            {"account_id": ACCOUNTS[name], "account_name": name,
             "before": {"password": 1, "access_keys": 1 if name == "prod" else 0, "signing_certificates": 0,
                        "mfa_devices": 0},
             "after": {"password": 0, "access_keys": 0, "signing_certificates": 0, "mfa_devices": 0},
             "deleted": ["password", "access_keys"] if name == "prod" else ["password"], "status": "deleted",
             "reason": None} for name in members],
        "password_policy": [{"account_id": account_id, "account_name": name, "compliant": True,
                             "policy": RECOMMENDED_POLICY} for name, account_id in ACCOUNTS.items()],
        "generated_at": GENERATED_AT,
    }
    return copy.deepcopy(data)


def write(out, data=None):
    """Write the example report into `out`; the paths by kind."""
    report = load_report_module()
    data = example_data() if data is None else data
    problems = report.validate(data)
    if problems:
        raise ValueError("; ".join(problems))
    files, dummy = report.plan(out, data, timestamp=data.get("generated_at") or GENERATED_AT)
    report.write(out, files)
    return {kind: entry["path"] for kind, entry in files.items()}


def screenshot(html_path, png_path, width=1100, height=1330):
    """A PNG of the top of the page as Chromium shows it (the docs' picture: the counts, what still fails and the
    posture grid), made smaller with pngquant (Debian's package) where it is installed."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import chromium  # pylint: disable=import-outside-toplevel

    with chromium.Chromium() as browser:
        page = browser.open("file://" + os.path.abspath(html_path), width=width, height=height)
        page.screenshot(png_path)
    if shutil.which("pngquant"):
        subprocess.run(["pngquant", "--quality=70-90", "--speed", "1", "--force", "--output", png_path, png_path],
                       check=True)
    return png_path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", required=True, help="folder for report.json, report.md and report.html")
    parser.add_argument("--screenshot", help="also write a PNG of the HTML page here")
    args = parser.parse_args(argv)
    paths = write(args.out)
    print(paths["html"])
    if args.screenshot:
        print(screenshot(paths["html"], args.screenshot))


if __name__ == "__main__":
    main()
