"""VaultConnections with spec.auth.gcp in the replaced operator's shapes validate against the generated CRD
(schema and CEL rules) and the operator's own validation, and together use every field of the block."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.unit.test_generated_files import cel_failures, crd_schema
from vault_access_operator.plugin import ConfigError
from vault_access_operator.plugins.gcp import GcpAuthConfig, GcpAuthProvider
from vault_access_operator.registry import load_providers
from vault_access_operator.validation import validate_spec

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = list(yaml.safe_load_all((ROOT / "tests/data/connection_samples_gcp.yaml").read_text()))


@pytest.mark.parametrize("sample", SAMPLES, ids=[s["metadata"]["name"] for s in SAMPLES])
def test_a_sample_validates(sample: dict[str, Any]) -> None:
    jsonschema.validate(sample, crd_schema())
    assert cel_failures(sample) == []
    validated = validate_spec(sample["spec"], load_providers())
    assert isinstance(validated.provider, GcpAuthProvider) and isinstance(validated.config, GcpAuthConfig)
    block = sample["spec"]["auth"]["gcp"]
    assert validated.config.model_dump(by_alias=True, exclude_unset=True) == block
    assert validated.mount == block.get("authPath", "gcp")


def test_the_samples_use_every_field_and_value() -> None:
    blocks = [s["spec"]["auth"]["gcp"] for s in SAMPLES]
    used = {name for block in blocks for name in block}
    fields = {field.alias or name for name, field in GcpAuthConfig.model_fields.items()}
    assert used == fields
    assert {block.get("authType") for block in blocks} >= {"iam", "gce"}


def test_defaults_are_the_replaced_operators() -> None:
    config = GcpAuthConfig.model_validate({"role": "r"})
    assert (config.auth_path, config.auth_type, config.service_account_email, config.credentials_secret_ref) == (
        "gcp", "iam", None, None)


def test_the_crd_refuses_what_the_operator_refuses() -> None:
    sample = SAMPLES[0]
    for bad in ({"authType": "workload"}, {"serviceAccountEmail": "no-at-sign"}, {"role": ""}):
        spec = {**sample["spec"], "auth": {"gcp": {**sample["spec"]["auth"]["gcp"], **bad}}}
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**sample, "spec": spec}, crd_schema())
        with pytest.raises(ConfigError):
            validate_spec(spec, load_providers())


def test_an_unknown_field_is_kept_by_the_crd_and_named_by_the_operator() -> None:
    spec = {**SAMPLES[0]["spec"], "auth": {"gcp": {"role": "r", "iamEndpoint": "https://collector.example"}}}
    jsonschema.validate({**SAMPLES[0], "spec": spec}, crd_schema())  # preserved, so the operator can name it
    with pytest.raises(ConfigError, match=r"spec\.auth\.gcp\.iamEndpoint is not a known field"):
        validate_spec(spec, load_providers())
