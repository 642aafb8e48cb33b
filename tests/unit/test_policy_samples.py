"""Manifests in the replaced operator's shapes validate against the generated CRDs and the models, and render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from vault_access_operator.access.hcl import owner_record, render_policy
from vault_access_operator.access.hcl_parse import parse_policy
from vault_access_operator.access.policy_object import parse_spec
from vault_access_operator.kinds import KINDS

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = list(yaml.safe_load_all((ROOT / "tests/data/policy_samples.yaml").read_text()))


def crd_schema(kind: str) -> dict[str, Any]:
    plural = next(k.plural for k in KINDS if k.kind == kind)
    crd = yaml.safe_load((ROOT / f"charts/vault-access-operator/crds/{plural}.yaml").read_text())
    schema: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


@pytest.mark.parametrize("sample", SAMPLES, ids=[s["metadata"]["name"] for s in SAMPLES])
def test_a_sample_validates_and_renders(sample: dict[str, Any]) -> None:
    jsonschema.validate(sample, crd_schema(sample["kind"]))
    spec = parse_spec(sample["kind"], sample["spec"])
    meta = sample["metadata"]
    owner = owner_record("default", meta.get("namespace"), meta["name"], sample["kind"])
    document = render_policy(spec.rules, meta.get("namespace"), meta["name"], owner)
    assert len(parse_policy(document)) == len(spec.rules)
    assert "{{namespace}}" not in document and "{{name}}" not in document


def test_vault_templating_is_kept() -> None:
    writer = next(s for s in SAMPLES if s["metadata"]["name"] == "writer")
    spec = parse_spec("VaultPolicy", writer["spec"])
    document = render_policy(spec.rules, "team-b", "writer", owner_record("default", "team-b", "writer", "VaultPolicy"))
    assert 'path "identity/entity/id/{{identity.entity.id}}"' in document


def test_the_cluster_kind_refuses_the_namespace_boundary_field() -> None:
    sample = {**SAMPLES[2], "spec": {**SAMPLES[2]["spec"], "enforceNamespaceBoundary": True}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(sample, {**crd_schema("VaultClusterPolicy"),
                                     "properties": {**crd_schema("VaultClusterPolicy")["properties"], "spec": {
                                         **crd_schema("VaultClusterPolicy")["properties"]["spec"],
                                         "additionalProperties": False}}})
