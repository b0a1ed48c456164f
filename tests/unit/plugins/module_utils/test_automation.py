"""OIDC presets, subject safety, trust-policy builders, the access model's automation_roles and
break_glass sections, and the per-account plans."""

import pytest

from ansible_collections.ssoshift.identity_center.plugins.module_utils import automation
from ansible_collections.ssoshift.identity_center.plugins.module_utils.access_model import model_problems
from ansible_collections.ssoshift.identity_center.plugins.module_utils.oidc_provider import apply_changes
from ansible_collections.ssoshift.identity_center.plugins.module_utils.oidc_provider import plan_changes
from ansible_collections.ssoshift.identity_center.plugins.module_utils.common import SsoShiftError
from ansible_collections.ssoshift.identity_center.plugins.module_utils.organizations import AccountIndex

GITHUB = "token.actions.githubusercontent.com"
ACCOUNTS = [{"id": "123456789012", "name": "master"}, {"id": "210987654321", "name": "prod"},
            {"id": "111111111111", "name": "dev"}, {"id": "333333333333", "name": "closed", "status": "SUSPENDED"}]
INDEX = AccountIndex(ACCOUNTS, "123456789012")
DEPLOY = {"name": "deploy", "accounts": ["dev", "prod"], "oidc": "github", "subjects": ["repo:acme/app:environment:prod"]}


def test_presets_fill_in_the_issuer_and_audience():
    github, problems = automation.resolve_oidc("github")
    assert problems == [] and github == {"preset": "github", "url": f"https://{GITHUB}",
                                         "audiences": ["sts.amazonaws.com"], "thumbprints": []}
    gitlab, dummy = automation.resolve_oidc("gitlab")
    assert gitlab["url"] == "https://gitlab.com" and gitlab["audiences"] == ["https://gitlab.com"]
    managed, dummy = automation.resolve_oidc({"preset": "gitlab", "url": "https://gitlab.example.com/"})
    assert managed["url"] == "https://gitlab.example.com" and managed["audiences"] == ["https://gitlab.example.com/"]


@pytest.mark.parametrize("oidc,expected", [
    ("bitbucket", "oidc: unknown preset, expected one of github, gitlab or a mapping with url and audiences, got 'bitbucket'"),
    ({"url": "https://issuer.example.com"}, "oidc.audiences: at least one audience is required"),
    ({"url": "https://issuer.example.com", "audiences": []}, "oidc.audiences: at least one audience is required"),
    ({"url": "http://issuer.example.com", "audiences": ["a"]}, "oidc.url: must be an https:// URL"),
    ({"url": "https://i.example.com", "audiences": ["*"]}, "oidc.audiences: each audience is 1-255 characters without "
     "wildcards, got '*'"),
    ({"preset": "github", "thumbprints": ["abc"]}, "oidc.thumbprints: each thumbprint is 40 hexadecimal characters, "
     "got 'abc'"),
    ({"preset": "github", "audience": ["x"]}, "oidc: unknown option 'audience'"),
])
def test_bad_providers_are_named_with_their_value(oidc, expected):
    provider, problems = automation.resolve_oidc(oidc)
    assert provider is None
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize("subject,preset,allow", [
    ("repo:acme/app:environment:prod", "github", False),
    ("repo:acme/app:ref:refs/heads/main", "github", False),
    ("repo:acme/app:pull_request", "github", False),
    ("repo:acme/*", "github", True),
    ("repo:acme/app:ref:refs/heads/release-*", "github", True),
    ("project_path:acme/app:ref_type:branch:ref:main", "gitlab", False),
    ("project_path:acme/platform/app:ref_type:tag:ref:v1", "gitlab", False),
    ("project_path:acme/*", "gitlab", True),
    ("system:serviceaccount:ci:deployer", "generic", False),
])
def test_safe_subjects_pass(subject, preset, allow):
    assert automation.subject_problems(subject, preset, allow, "subjects") == []


@pytest.mark.parametrize("subject,preset,allow,expected", [
    ("*", "github", True, "'*' trusts every pipeline of every user of the identity provider"),
    ("*", "generic", True, "'*' trusts every pipeline"),
    ("repo:*", "github", True, "'repo:*' trusts every pipeline"),
    ("project_path:*", "gitlab", True, "'project_path:*' trusts every pipeline"),
    ("repo:*/app:environment:prod", "github", True, "has a wildcard in the owner"),
    ("repo:ac*/app:environment:prod", "github", True, "has a wildcard in the owner"),
    ("project_path:*/app:ref_type:branch:ref:main", "gitlab", True, "has a wildcard in the top-level group"),
    ("repo:acme/*", "github", False, "'repo:acme/*' is an organization-wide wildcard"),
    ("repo:acme/*:environment:prod", "github", False, "is an organization-wide wildcard"),
    ("project_path:acme/*", "gitlab", False, "'project_path:acme/*' is an organization-wide wildcard"),
    ("repo:acme/app:*", "github", False, "'repo:acme/app:*' has a wildcard; set allow_wildcard_subjects: true"),
    ("ci:*", "generic", False, "'ci:*' has a wildcard"),
    ("repo:acme/app", "github", False, "a GitHub subject is repo:OWNER/REPO:environment:NAME"),
    ("acme/app:environment:prod", "github", False, "a GitHub subject is repo:OWNER/REPO"),
    ("project_path:acme/app", "gitlab", False, "a GitLab subject is project_path:GROUP/PROJECT:ref_type:branch:ref:NAME"),
    ("", "github", False, "must be a non-empty string"),
])
def test_unsafe_or_malformed_subjects_are_refused(subject, preset, allow, expected):
    problems = automation.subject_problems(subject, preset, allow, "subjects")
    assert len(problems) == 1 and problems[0].startswith("subjects: ") and expected in problems[0], problems


def test_trust_requires_the_audience_and_pins_exact_subjects():
    arn = f"arn:aws:iam::111111111111:oidc-provider/{GITHUB}"
    policy = automation.oidc_trust_policy(arn, f"https://{GITHUB}", ["sts.amazonaws.com"],
                                          ["repo:acme/app:environment:prod", "repo:acme/app:ref:refs/heads/main"])
    assert policy == {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": arn}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com",
                                       f"{GITHUB}:sub": ["repo:acme/app:environment:prod",
                                                         "repo:acme/app:ref:refs/heads/main"]}}}]}


def test_wildcard_subjects_get_a_statement_of_their_own_with_string_like():
    arn = "arn:aws:iam::111111111111:oidc-provider/gitlab.com"
    policy = automation.oidc_trust_policy(arn, "https://gitlab.com", ["https://gitlab.com"],
                                          ["project_path:acme/app:ref_type:branch:ref:main", "project_path:acme/*"])
    exact, pattern = policy["Statement"]
    assert exact["Condition"] == {"StringEquals": {"gitlab.com:aud": "https://gitlab.com",
                                                   "gitlab.com:sub": "project_path:acme/app:ref_type:branch:ref:main"}}
    assert pattern["Condition"] == {"StringEquals": {"gitlab.com:aud": "https://gitlab.com"},
                                    "StringLike": {"gitlab.com:sub": "project_path:acme/*"}}


@pytest.mark.parametrize("principal,expected", [
    ("arn:aws:iam::123456789012:root", "is the whole account 123456789012, not its root user: the root user cannot "
     "assume IAM roles"),
    ("123456789012", "is the whole account 123456789012"),
    ("*", "is a wildcard"),
    ("arn:aws:iam::123456789012:user/*", "is a wildcard"),
    ("arn:aws:sts::123456789012:assumed-role/Ops/alice", "is one session, not an identity"),
    ("arn:aws:iam::123456789012:group/admins", "must be the ARN of an IAM role or user"),
])
def test_break_glass_principals_must_be_named_identities(principal, expected):
    problems = automation.principal_problems(principal, "break_glass.trusted_principals")
    assert len(problems) == 1 and expected in problems[0] and problems[0].startswith("break_glass.trusted_principals: ")


def test_break_glass_trust_names_principals_and_requires_mfa():
    assert automation.break_glass_trust_policy(["arn:aws:iam::123456789012:user/break-glass"], 900) == {
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/break-glass"},
            "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                          "NumericLessThan": {"aws:MultiFactorAuthAge": "900"}}}]}
    assert "NumericLessThan" not in automation.break_glass_trust_policy(["arn:aws:iam::1:user/x"])["Statement"][0][
        "Condition"]


def test_access_model_problems_include_both_sections_with_field_and_value():
    problems = model_problems(None, automation_roles=[
        dict(DEPLOY, subjects=["repo:*"]),
        dict(DEPLOY, name="build", max_session_duration=60, managed_policies=["AdministratorAccess"], typo=1),
    ], break_glass={"accounts": "all", "trusted_principals": ["arn:aws:iam::123456789012:root"]})
    assert "automation_roles[0] (deploy).subjects: 'repo:*' trusts every pipeline of every user of the identity " \
           "provider; name the repository or project and its branch or environment" in problems
    assert "automation_roles[1] (build): unknown option 'typo' (expected one of accounts, adopt, allow_wildcard_subjects, " \
           "description, inline_policies, managed_policies, max_session_duration, name, oidc, " \
           "permissions_boundary, replaces_iam_users, subjects, tags)" in problems
    assert "automation_roles[1] (build).max_session_duration: must be a number of seconds between 3600 and 43200, " \
           "got '60'" in problems
    assert any(p.startswith("automation_roles[1] (build).managed_policies: not a managed policy ARN") and
               "'AdministratorAccess'" in p for p in problems)
    assert any(p.startswith("break_glass.trusted_principals: 'arn:aws:iam::123456789012:root' is the whole account")
               for p in problems)
    assert len(problems) == 5


def test_missing_subjects_and_duplicate_roles_are_problems():
    problems = automation.automation_problems([dict(DEPLOY, subjects=[]), DEPLOY])
    assert any(p.startswith("automation_roles[0] (deploy).subjects: at least one subject is required") for p in problems)
    assert "automation_roles: role 'deploy' is declared more than once for account 'dev'" in problems


def test_an_empty_break_glass_section_means_none():
    assert automation.break_glass_problems({}) == [] and automation.break_glass_plan({}, INDEX) == ([], [])


def test_plan_merges_audiences_per_issuer_and_lists_retirement_candidates():
    entries = [dict(DEPLOY, managed_policies=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
                    inline_policies={"s3": '{"Version": "2012-10-17", "Statement": []}'},
                    replaces_iam_users=[{"name": "ci-deployer", "account": "management"}]),
               {"name": "infra", "accounts": ["prod"], "subjects": ["system:ci:infra"],
                "oidc": {"url": f"https://{GITHUB}", "audiences": ["custom"]}}]
    plan = automation.automation_plan(entries, INDEX, "aws", {"team": "x"})
    dev, prod = plan["accounts"]
    assert (dev["account_name"], prod["account_name"]) == ("dev", "prod")
    assert prod["providers"] == [{"url": f"https://{GITHUB}", "arn": f"arn:aws:iam::210987654321:oidc-provider/{GITHUB}",
                                  "client_ids": ["sts.amazonaws.com", "custom"], "thumbprints": [], "adopt": False}]
    deploy = dev["roles"][0]
    assert deploy["role_arn"] == "arn:aws:iam::111111111111:role/deploy"
    assert deploy["trust_policy"]["Statement"][0]["Principal"] == {
        "Federated": f"arn:aws:iam::111111111111:oidc-provider/{GITHUB}"}
    assert deploy["inline_policies"] == [{"name": "s3", "document": {"Version": "2012-10-17", "Statement": []}}]
    assert deploy["tags"] == {"team": "x"} and deploy["max_session_duration"] == 3600
    assert deploy["permissions_boundary"] == ""
    assert plan["retirement_candidates"] == [{
        "name": "ci-deployer", "account": "management", "account_id": "123456789012", "account_name": "master",
        "replaced_by": ["arn:aws:iam::111111111111:role/deploy", "arn:aws:iam::210987654321:role/deploy"]}]


def test_plan_refuses_unknown_and_closed_accounts_and_unsafe_subjects():
    with pytest.raises(SsoShiftError) as unknown:
        automation.automation_plan([dict(DEPLOY, accounts=["qa", "closed"])], INDEX)
    assert unknown.value.problems == [
        "automation_roles[0] (deploy).accounts: no account with ID or name 'qa' in the organization",
        "automation_roles[0] (deploy).accounts: account 'closed' (333333333333) is SUSPENDED (closed with "
        "CloseAccount): nothing may be given access or changed in it; remove it from the model"]
    with pytest.raises(SsoShiftError, match="'\\*' trusts every pipeline"):
        automation.automation_plan([dict(DEPLOY, subjects=["*"])], INDEX)


def test_break_glass_plan_covers_every_active_account_with_the_alert():
    section = {"accounts": "all", "trusted_principals": ["arn:aws:iam::123456789012:user/break-glass"],
               "alert_topic_arn": "arn:aws:sns:us-east-1:123456789012:security-alerts"}
    plans, skipped = automation.break_glass_plan(section, INDEX, "aws", {"purpose": "bg"})
    assert [p["account_name"] for p in plans] == ["dev", "master", "prod"]
    assert [a["name"] for a in skipped] == ["closed"]
    prod = plans[2]
    assert prod["role_arn"] == "arn:aws:iam::210987654321:role/BreakGlassAdmin"
    assert prod["max_session_duration"] == 3600 and prod["tags"] == {"purpose": "bg"}
    assert prod["managed_policies"] == ["arn:aws:iam::aws:policy/AdministratorAccess"]
    assert prod["alert"]["event_pattern"]["detail"]["requestParameters"] == {"roleArn": [prod["role_arn"]]}
    assert prod["alert"]["topic_arn"] == section["alert_topic_arn"]


def test_provider_changes_add_remove_and_retag():
    before = {"url": "https://x", "client_ids": ["a", "b"], "thumbprints": [], "tags": {"k": "1", "old": "y"}}
    changes = plan_changes(before, {"client_ids": ["a", "c"], "thumbprints": None, "tags": {"k": "2"}})
    assert changes == {"add_client_ids": ["c"], "remove_client_ids": ["b"], "tag": {"k": "2"}, "untag": ["old"]}
    assert apply_changes(before, changes) == {"url": "https://x", "client_ids": ["a", "c"], "thumbprints": [],
                                              "tags": {"k": "2"}}
    assert plan_changes(before, {"client_ids": ["b", "a"], "thumbprints": None, "tags": None}) == {}
    assert plan_changes(before, {"client_ids": ["a"], "thumbprints": None, "tags": None}, purge_client_ids=False) == {}


@pytest.mark.parametrize("name,member_role,expected", [
    ("OrganizationAccountAccessRole", None, "is the role the management account (or AWS Control Tower) uses"),
    ("AWSControlTowerExecution", None, "is the role the management account (or AWS Control Tower) uses"),
    ("AWSReservedSSO_AdministratorAccess_0123456789abcdef", None, "is a role AWS creates and manages"),
    ("AWSServiceRoleForSupport", None, "is a role AWS creates and manages"),
    ("OrgAdmin", "OrgAdmin", "is the member role this run assumes to reach every member account"),
])
def test_reserved_role_names_are_refused_even_with_adopt(name, member_role, expected):
    problems = automation.automation_problems([dict(DEPLOY, name=name, adopt=True)], member_role)
    assert any(p.startswith(f"automation_roles[0] ({name}).name: '{name}' ") and expected in p
               and "adopt: true does not allow it either" in p for p in problems), problems
    section = {"role_name": name, "accounts": "all", "trusted_principals": ["arn:aws:iam::123456789012:user/bg"],
               "adopt": True}
    assert any(p.startswith(f"break_glass.role_name: '{name}' ") for p in
               automation.break_glass_problems(section, member_role)), name


def test_one_role_name_in_two_sections_is_refused():
    section = {"role_name": "deploy", "accounts": "all", "trusted_principals": ["arn:aws:iam::123456789012:user/bg"]}
    assert automation.break_glass_problems(section, None, [DEPLOY]) == [
        "break_glass.role_name: 'deploy' is also the name of automation_roles[0] (deploy); one IAM role cannot be both, "
        "choose another name"]
    assert model_problems(None, automation_roles=[DEPLOY], break_glass=section)[-1].startswith(
        "break_glass.role_name: 'deploy' is also the name of automation_roles[0] (deploy)")


@pytest.mark.parametrize("name", ["d\u00e9ploy", "\u0434\u0435\u043f\u043b\u043e\u0439", "deploy\u2003"])
def test_role_names_outside_ascii_are_refused(name):
    problems = automation.automation_problems([dict(DEPLOY, name=name)])
    assert f"automation_roles[0] ({name}).name: an IAM role name, 1-64 characters of letters (A-Z, a-z), digits and " \
           f"+=,.@_- (ASCII only), got '{name}'" in problems


def test_adopt_must_be_a_boolean_and_the_ownership_tag_cannot_be_faked():
    problems = automation.automation_problems([dict(DEPLOY, adopt="yes", tags={"managed-by": "terraform"})])
    assert "automation_roles[0] (deploy).adopt: must be true or false, got 'yes'" in problems
    assert any(p.startswith("automation_roles[0] (deploy).tags: the tag 'managed-by' is the collection's ownership")
               for p in problems)


def test_a_single_account_where_a_list_belongs_is_named_as_such():
    assert automation.automation_problems([dict(DEPLOY, accounts="dev")]) == [
        "automation_roles[0] (deploy).accounts: must be a non-empty list of account names, IDs or 'management', "
        "got the single value 'dev' (write it as a list: [dev])"]
