"""oidc_provider against the sandbox: presets, check mode, diff, idempotence, audiences, tags, absent."""

import pytest

PROVIDER = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: provider
      ssoshift.identity_center.oidc_provider: "{{ args }}"
"""


def _providers(iam):
    return [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]


def test_gitlab_preset_created_once_with_check_mode_and_diff_first(sandbox, run_playbook):
    iam = sandbox.client("iam")
    args = {"preset": "gitlab", "url": "https://gitlab.example.com", "tags": {"team": "platform"}}
    arn = "arn:aws:iam::123456789012:oidc-provider/gitlab.example.com"
    with sandbox.record() as recording:
        planned = run_playbook(PROVIDER, {"args": args}, check=True, diff=True).task("provider")
    assert recording.writes == [] and arn not in _providers(iam)
    assert planned["changed"] is True and planned["arn"] == ""
    assert planned["diff"] == {"before": {}, "after": {"url": "https://gitlab.example.com",
                                                       "client_ids": ["https://gitlab.example.com"],
                                                       "thumbprints": [], "tags": {"team": "platform"}}}

    created = run_playbook(PROVIDER, {"args": args}).task("provider")
    assert created["changed"] is True and created["arn"] == arn
    stored = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert stored["Url"] == "gitlab.example.com" and stored["ClientIDList"] == ["https://gitlab.example.com"]
    assert iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"] == [
        {"Key": "team", "Value": "platform"}]

    with sandbox.record() as recording:
        again = run_playbook(PROVIDER, {"args": args}).task("provider")
    assert again["changed"] is False and again["changes"] == {} and recording.writes == []


def test_github_preset_audiences_thumbprints_and_tags_are_brought_to_the_values_given(sandbox, run_playbook):
    iam = sandbox.client("iam")
    arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    run_playbook(PROVIDER, {"args": {"preset": "github", "tags": {"a": "1", "old": "x"}}}).task("provider")
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"] == ["sts.amazonaws.com"]

    thumbprint = "6938fd4d98bab03faadb97b34396831e3780aea1"
    args = {"preset": "github", "client_ids": ["sts.amazonaws.com", "extra"], "thumbprints": [thumbprint],
            "tags": {"a": "2"}}
    with sandbox.record() as recording:
        planned = run_playbook(PROVIDER, {"args": args}, check=True, diff=True).task("provider")
    assert recording.writes == []
    assert planned["changes"] == {"add_client_ids": ["extra"], "thumbprints": [thumbprint], "tag": {"a": "2"},
                                  "untag": ["old"]}
    assert planned["diff"]["before"]["client_ids"] == ["sts.amazonaws.com"]
    assert planned["diff"]["after"]["client_ids"] == ["sts.amazonaws.com", "extra"]

    updated = run_playbook(PROVIDER, {"args": args}).task("provider")
    assert updated["changed"] is True
    stored = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert stored["ClientIDList"] == ["sts.amazonaws.com", "extra"] and stored["ThumbprintList"] == [thumbprint]
    assert iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"] == [{"Key": "a", "Value": "2"}]

    back = run_playbook(PROVIDER, {"args": {"preset": "github"}}).task("provider")
    assert back["changes"] == {"remove_client_ids": ["extra"]}
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"] == ["sts.amazonaws.com"]


def test_absent_deletes_and_check_mode_does_not(sandbox, run_playbook):
    iam = sandbox.client("iam")
    args = {"url": "https://issuer.example.com/absent", "client_ids": ["aud"]}
    arn = run_playbook(PROVIDER, {"args": args}).task("provider")["arn"]
    assert arn == "arn:aws:iam::123456789012:oidc-provider/issuer.example.com/absent"

    absent = dict(args, state="absent")
    with sandbox.record() as recording:
        planned = run_playbook(PROVIDER, {"args": absent}, check=True).task("provider")
    assert planned["changed"] is True and recording.writes == [] and arn in _providers(iam)

    assert run_playbook(PROVIDER, {"args": absent}).task("provider")["changed"] is True
    assert arn not in _providers(iam)
    with sandbox.record() as recording:
        assert run_playbook(PROVIDER, {"args": absent}).task("provider")["changed"] is False
    assert recording.writes == []


@pytest.mark.parametrize("args,expected", [
    ({"url": "http://issuer.example.com", "client_ids": ["a"]},
     "url: must be an https:// URL of at most 255 characters, got 'http://issuer.example.com'"),
    ({"url": "https://issuer.example.com"}, "client_ids: required with state=present without preset, got nothing"),
    ({"url": "https://issuer.example.com", "client_ids": []}, "client_ids: at least one audience is required"),
    ({"preset": "github", "thumbprints": ["not-a-thumbprint"]},
     "thumbprints: each thumbprint is 40 hexadecimal characters, got 'not-a-thumbprint'"),
    ({"client_ids": ["a"]}, "url: required without preset, got nothing"),
])
def test_bad_input_is_refused_before_any_call(sandbox, run_playbook, args, expected):
    with sandbox.record() as recording:
        result = run_playbook(PROVIDER, {"args": args}).task("provider")
    assert result["failed"] is True and recording.operations == []
    assert expected in result["msg"]
