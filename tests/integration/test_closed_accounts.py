"""A closed account in the organisation (CloseAccount: SUSPENDED): the whole migrate.yml skips it wherever accounts
are expanded (OUs, the whole organisation, break_glass.accounts: all) and says so; naming it anywhere in the model
fails before any write, naming the account and its state."""

import os

import yaml

from conftest import REPO, private_estate

MIGRATE = os.path.join(REPO, "playbooks", "migrate.yml")


def _model():
    with open(os.path.join(REPO, "examples", "access-model.yml")) as handle:
        return yaml.safe_load(handle)


def test_a_closed_account_is_skipped_where_accounts_are_expanded_and_refused_where_named(tmp_path_factory, tmp_path):
    for box, run in private_estate(tmp_path_factory, "closed", closed_accounts=["retired"]):
        retired = box.accounts["retired"]
        out = {"ssoshift_output_dir": str(tmp_path / "out"),
               "cli_profiles_operator_config_path": str(tmp_path / "out" / "operator-aws-config")}

        named = _model()
        named["identity_center"]["assignments"][2]["targets"]["accounts"] = ["prod", "retired"]
        named["break_glass"]["accounts"] = ["dev", retired]
        with box.record() as recording:
            refused = run(MIGRATE, dict(named, **out))
        assert refused.returncode != 0 and recording.writes == []
        message = refused.task("Validate the whole access model before any change")["msg"]
        assert ("identity_center.assignments[2].targets.accounts: account 'retired' (" + retired + ") is SUSPENDED "
                "(closed with CloseAccount): nothing may be given access or changed in it") in message
        assert f"break_glass.accounts: account '{retired}' ({retired}) is SUSPENDED" in message

        # The example model: developers by OU (retired is in Workloads/NonProd), break glass in every account.
        migrated = run(MIGRATE, dict(_model(), **out))
        assert migrated.returncode == 0, migrated.failures
        assignments = migrated.task("Account assignments")
        assert {"account_id": retired, "account_name": "retired", "status": "SUSPENDED"} in assignments[
            "skipped_accounts"]
        assert all(a["account_id"] != retired for a in assignments["created"])
        glass = migrated.task("Break-glass role in every account the access model names")
        assert {"account_id": retired, "account_name": "retired", "status": "SUSPENDED"} in glass["skipped_accounts"]
        assert retired not in {r["account_id"] for r in glass["roles"]}
        posture = migrated.task("Read the security posture of every account")
        assert retired not in {a["account_id"] for a in posture["accounts"]}
        assert any(a["account_id"] == retired for a in posture["closed_accounts"])
        report = yaml.safe_load((tmp_path / "out" / "report.json").read_text())
        assert retired in {a["account_id"] for a in report["closed_accounts"]}
