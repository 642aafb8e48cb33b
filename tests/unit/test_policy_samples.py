"""Manifests in the replaced operator's shapes validate against the generated CRDs and the models, and render;
its shapes that do not apply (a field it never had, rules as a string) are refused with the field named."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import celpy
import jsonschema
import pydantic
import pytest
import yaml
from celpy.adapter import json_to_cel

from vault_access_operator.access.hcl import owner_record, render_policy
from vault_access_operator.access.hcl_parse import parse_policy
from vault_access_operator.access.policy_object import parse_spec
from vault_access_operator.kinds import KINDS

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = list(yaml.safe_load_all((ROOT / "tests/data/policy_samples.yaml").read_text()))
INVENTORY = ROOT / "tests/data/UPSTREAM-SAMPLES.md"
UPSTREAM = Path("/work/.mirror/panteparak+vault-access-operator/repo")  # a read-only checkout, where there is one


def sample_id(sample: dict[str, Any]) -> str:
    meta = sample["metadata"]
    return f"{meta['namespace']}/{meta['name']}" if "namespace" in meta else meta["name"]


def crd_schema(kind: str) -> dict[str, Any]:
    plural = next(k.plural for k in KINDS if k.kind == kind)
    crd = yaml.safe_load((ROOT / f"charts/vault-access-operator/crds/{plural}.yaml").read_text())
    schema: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def cel_failures(schema: dict[str, Any], value: Any) -> list[str]:
    """Messages of the CEL rules ``value`` breaks, each rule evaluated where its field is set (as the API server)."""
    environment = celpy.Environment()
    failures = [rule["message"] for rule in schema.get("x-kubernetes-validations", [])
                if not environment.program(environment.compile(rule["rule"])).evaluate(
                    {"self": json_to_cel(value)})]
    if isinstance(value, dict):
        for key, item in value.items():
            sub = schema.get("properties", {}).get(key) or schema.get("additionalProperties")
            if isinstance(sub, dict):
                failures += cel_failures(sub, item)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            failures += cel_failures(schema["items"], item)
    return failures


def pruned(schema: dict[str, Any], value: Any, where: str = "") -> list[str]:
    """Fields the API server would drop silently (not in the structural schema): a sample must have none."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    found: list[str] = []
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key, item in value.items():
            if key in properties:
                found += pruned(properties[key], item, f"{where}.{key}")
            elif isinstance(schema.get("additionalProperties"), dict):
                found += pruned(schema["additionalProperties"], item, f"{where}.{key}")
            else:
                found.append(f"{where}.{key}")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            found += pruned(schema["items"], item, f"{where}[{index}]")
    return found


def crd_refusals(obj: dict[str, Any]) -> list[str]:
    """What the API server would say about ``obj``: schema errors, CEL messages, then pruned fields."""
    schema = crd_schema(obj["kind"])
    errors = [f"{'.'.join(str(p) for p in e.absolute_path)}: {e.message}"
              for e in jsonschema.Draft7Validator(schema).iter_errors(obj)]
    return errors + cel_failures(schema, obj) + [f"pruned {p}" for p in pruned(schema["properties"]["spec"],
                                                                                obj.get("spec"), "spec")]


@pytest.mark.parametrize("sample", SAMPLES, ids=[sample_id(s) for s in SAMPLES])
def test_a_sample_validates_and_renders(sample: dict[str, Any]) -> None:
    assert crd_refusals(sample) == []
    spec = parse_spec(sample["kind"], sample["spec"])
    meta = sample["metadata"]
    owner = owner_record("default", meta.get("namespace"), meta["name"], sample["kind"])
    document = render_policy(spec.rules, meta.get("namespace"), meta["name"], owner)
    assert len(parse_policy(document)) == len(spec.rules)
    assert "{{namespace}}" not in document and "{{name}}" not in document


def test_the_samples_are_distinct_objects_and_each_kind_is_there() -> None:
    keys = [(s["kind"], sample_id(s)) for s in SAMPLES]
    assert len(set(keys)) == len(keys)
    assert {s["kind"] for s in SAMPLES} == {"VaultPolicy", "VaultClusterPolicy"}


def test_vault_templating_is_kept() -> None:
    writer = next(s for s in SAMPLES if s["metadata"]["name"] == "writer")
    spec = parse_spec("VaultPolicy", writer["spec"])
    document = render_policy(spec.rules, "team-b", "writer", owner_record("default", "team-b", "writer", "VaultPolicy"))
    assert 'path "identity/entity/id/{{identity.entity.id}}"' in document


def test_the_cluster_kind_refuses_the_namespace_boundary_field() -> None:
    sample = next(s for s in SAMPLES if s["kind"] == "VaultClusterPolicy")
    wrong = {**sample, "spec": {**sample["spec"], "enforceNamespaceBoundary": True}}
    assert crd_refusals(wrong) == ["pruned spec.enforceNamespaceBoundary"]
    with pytest.raises(pydantic.ValidationError, match="enforceNamespaceBoundary"):
        parse_spec("VaultClusterPolicy", wrong["spec"])


# Upstream shapes that its own CRD refuses too (tests/data/UPSTREAM-SAMPLES.md says which blocks).
VAULT_CONNECTION_REF = {"vaultConnectionRef": {"name": "vault-primary"},
                        "rules": [{"path": "database/creds/readonly", "capabilities": ["read"]}]}
RULES_AS_HCL = {"connectionRef": "vault-primary",
                "rules": 'path "secret/data/prod/*" {\n  capabilities = ["read"]\n}\n'}


def _policy(spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "vault.platform.io/v1alpha1", "kind": "VaultPolicy",
            "metadata": {"name": "upstream-shape", "namespace": "production"}, "spec": spec}


def test_the_nonexistent_vault_connection_ref_field_is_refused_naming_connection_ref() -> None:
    refusals = crd_refusals(_policy(VAULT_CONNECTION_REF))
    assert any("'connectionRef' is a required property" in r for r in refusals)
    assert "pruned spec.vaultConnectionRef" in refusals
    with pytest.raises(pydantic.ValidationError, match="connectionRef"):
        parse_spec("VaultPolicy", VAULT_CONNECTION_REF)


def test_rules_as_an_hcl_string_are_refused_naming_rules() -> None:
    refusals = crd_refusals(_policy(RULES_AS_HCL))
    assert any(r.startswith("spec.rules:") and "is not of type 'array'" in r for r in refusals)
    with pytest.raises(pydantic.ValidationError, match="rules"):
        parse_spec("VaultPolicy", RULES_AS_HCL)


def test_the_crd_refuses_a_description_of_more_than_one_line() -> None:
    policy = _policy({"connectionRef": "vault-primary", "rules": [
        {"path": "secret/*", "capabilities": ["read"],
         "description": 'one\npath "sys/*" { capabilities = ["sudo"] }'}]})
    assert [r.split(":")[0] for r in crd_refusals(policy)] == ["spec.rules.0.description"]


def _inventory_rows() -> list[list[str]]:
    return [[cell.strip() for cell in line.strip("|").split("|")]
            for line in INVENTORY.read_text().splitlines() if re.match(r"\| [\w./-]+:\d+ \|", line)]


def test_the_inventory_names_only_samples_that_exist_and_every_sample() -> None:
    samples = {sample_id(s) for s in SAMPLES}
    text = INVENTORY.read_text()
    covered = {name for row in _inventory_rows() if len(row) == 4 for name in samples
               if re.search(rf"(^|\s){re.escape(name)}(\s|,|$)", row[3])}
    assert covered, "no manifest row names a sample"
    for row in _inventory_rows():
        if len(row) == 4 and not row[3].startswith("none"):
            assert any(re.match(rf"{re.escape(name)}(\s|,|$)", row[3]) for name in samples), row
    for name in samples - covered:
        assert re.search(rf"(^|\s){re.escape(name)}[\s,]", text), f"sample {name} is not in UPSTREAM-SAMPLES.md"


@pytest.mark.skipif(not UPSTREAM.exists(), reason="no checkout of the replaced operator here")
def test_the_inventory_lists_every_upstream_policy_line() -> None:
    found = subprocess.run(
        ["git", "-C", str(UPSTREAM), "grep", "-n", r"kind: VaultPolicy$\|kind: VaultClusterPolicy$", "HEAD", "--",
         "docs", "config", "charts", "README.md"], capture_output=True, text=True, check=True).stdout
    upstream = {":".join(line.split(":")[1:3]) for line in found.splitlines()}
    assert upstream == {row[0] for row in _inventory_rows()}
