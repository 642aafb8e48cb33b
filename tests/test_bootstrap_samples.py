"""VaultConnections with spec.auth.bootstrap in the replaced operator's shapes pass the CRD (schema and CEL) and
the operator's own validation (tests/data/connection_samples_bootstrap.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.unit.test_generated_files import cel_failures, crd_schema
from vault_access_operator.plugins.bootstrap import BootstrapConfig
from vault_access_operator.registry import load_providers
from vault_access_operator.validation import validate_spec

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = list(yaml.safe_load_all((ROOT / "tests/data/connection_samples_bootstrap.yaml").read_text()))


@pytest.mark.parametrize("sample", SAMPLES, ids=[s["metadata"]["name"] for s in SAMPLES])
def test_a_sample_passes_the_crd_and_the_operator(sample: dict[str, Any]) -> None:
    jsonschema.validate(sample, crd_schema())
    assert cel_failures(sample) == []
    validated = validate_spec(sample["spec"], load_providers())
    assert validated.method == "kubernetes" and validated.setup is not None
    assert validated.setup.method == "bootstrap"
    block = sample["spec"]["auth"]["bootstrap"]
    config = validated.setup.config
    assert isinstance(config, BootstrapConfig)
    assert config.secret_ref.name == block["secretRef"]["name"]
    assert config.auto_revoke is block.get("autoRevoke", True)
    assert config.cleanup_auth_mount is block.get("cleanupAuthMount", False)


def test_the_samples_cover_every_bootstrap_field() -> None:
    used = set().union(*(s["spec"]["auth"]["bootstrap"] for s in SAMPLES))
    assert used == {f.alias for f in BootstrapConfig.model_fields.values()}


def test_the_crd_refuses_a_wrong_bootstrap_field_type() -> None:
    sample = {**SAMPLES[2], "spec": {**SAMPLES[2]["spec"], "auth": {
        "bootstrap": {"secretRef": {"name": "t", "key": "token"}, "autoRevoke": "yes"},
        "kubernetes": {"role": "r"}}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(sample, crd_schema())
