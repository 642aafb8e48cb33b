"""`vault-access-operator crds`: every kind's CRD without --kind, and the help says which."""

from __future__ import annotations

import yaml
from click.testing import CliRunner

from vault_access_operator.cli import main
from vault_access_operator.kinds import KINDS


def test_crds_prints_every_kind_and_its_help_names_them() -> None:
    result = CliRunner().invoke(main, ["crds"])
    assert result.exit_code == 0, result.output
    printed = {doc["spec"]["names"]["kind"] for doc in yaml.safe_load_all(result.output) if doc}
    assert printed == {kind.kind for kind in KINDS}
    help_text = " ".join(CliRunner().invoke(main, ["crds", "--help"]).output.split())
    for kind in KINDS:
        assert kind.kind in help_text
    assert "ClusterKopfPeering" in help_text  # says where the one CRD it does not print is


def test_crds_with_kind_prints_that_one() -> None:
    result = CliRunner().invoke(main, ["crds", "--kind", "VaultPolicy"])
    assert [doc["spec"]["names"]["kind"] for doc in yaml.safe_load_all(result.output) if doc] == ["VaultPolicy"]
    refused = CliRunner().invoke(main, ["crds", "--kind", "Nope"])
    assert refused.exit_code != 0 and "VaultConnection" in refused.output
