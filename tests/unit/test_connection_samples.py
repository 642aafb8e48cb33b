"""VaultConnections in the replaced operator's appRole and token shapes (tests/data/connection_samples_*.yaml, own
manifests) validate against the generated CRD (schema and CEL rules) and the operator's own validation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.unit.test_generated_files import cel_failures, crd_schema
from vault_access_operator.registry import load_providers
from vault_access_operator.validation import validate_spec

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLES = {method: list(yaml.safe_load_all((DATA / f"connection_samples_{method}.yaml").read_text()))
           for method in ("approle", "token")}
ALL = [(method, sample) for method, samples in SAMPLES.items() for sample in samples]


@pytest.mark.parametrize(("method", "sample"), ALL, ids=[s["metadata"]["name"] for _, s in ALL])
def test_a_sample_validates_against_the_crd_and_the_operator(method: str, sample: dict[str, Any]) -> None:
    jsonschema.validate(sample, crd_schema())
    assert cel_failures(sample) == []
    validated = validate_spec(sample["spec"], load_providers())
    assert validated.method == {"approle": "appRole", "token": "token"}[method]


def test_the_samples_cover_every_field_of_the_blocks() -> None:
    providers = load_providers().providers
    for method, key in (("approle", "appRole"), ("token", "token")):
        fields = {field.alias or name for name, field in providers[key].config_model.model_fields.items()}
        used = {name for sample in SAMPLES[method] for name in sample["spec"]["auth"][key]}
        assert used == fields, f"{method}: samples miss {fields - used}"
        refs = [block for sample in SAMPLES[method] for name, block in sample["spec"]["auth"][key].items()
                if name.endswith("Ref")]
        assert {"namespace" in ref for ref in refs} == {True, False}, f"{method}: with and without a namespace"


def test_the_crd_checks_the_blocks_as_the_operator_does() -> None:
    schema = crd_schema()
    approle = SAMPLES["approle"][1]
    for bad in ({"roleId": ""}, {"mountPath": "../sys"}, {"secretIdRef": {"name": "x"}}):
        broken = {**approle, "spec": {**approle["spec"], "auth": {"appRole": {**approle["spec"]["auth"]["appRole"],
                                                                              **bad}}}}
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema)
    token = SAMPLES["token"][1]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**token, "spec": {**token["spec"], "auth": {"token": {}}}}, schema)
