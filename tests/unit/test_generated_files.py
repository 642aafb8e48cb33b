"""Generated files stay in sync with the models, and the CRD is a valid Kubernetes manifest."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import celpy
import jsonschema
import kubernetes_validate
import pytest
import yaml
from celpy.adapter import json_to_cel

from vault_access_operator.apidocs import render_api_reference
from vault_access_operator.crd import render_crds
from vault_access_operator.kinds import KINDS, KindDefinition

ROOT = Path(__file__).resolve().parents[2]
CRD_DIR = ROOT / "charts/vault-access-operator/crds"
CRD_FILE = CRD_DIR / "vaultconnections.yaml"
API_DOC = ROOT / "docs/api-reference.md"


@pytest.mark.parametrize("kind", KINDS, ids=[kind.kind for kind in KINDS])
def test_committed_crd_matches_the_models(kind: KindDefinition) -> None:
    path = CRD_DIR / f"{kind.plural}.yaml"
    assert path.exists() and path.read_text() == render_crds([kind]), (
        f"the CRD is stale: run `vault-access-operator crds --kind {kind.kind} > {path.relative_to(ROOT)}`")


def test_committed_api_reference_matches_the_models() -> None:
    assert API_DOC.read_text() == render_api_reference(), (
        "docs/api-reference.md is stale: run `vault-access-operator api-docs > docs/api-reference.md`")


@pytest.mark.parametrize("kind", KINDS, ids=[kind.kind for kind in KINDS])
def test_crd_is_a_valid_manifest(kind: KindDefinition) -> None:
    kubernetes_validate.validate(yaml.safe_load((CRD_DIR / f"{kind.plural}.yaml").read_text()), "1.30", strict=True)


def crd_schema() -> dict[str, Any]:
    schema: dict[str, Any] = yaml.safe_load(CRD_FILE.read_text())["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def doc_samples() -> list[tuple[str, dict[str, Any]]]:
    samples = []
    for path in [*sorted((ROOT / "docs").rglob("*.md")), *sorted((ROOT / "examples").rglob("README.md")),
                 ROOT / "README.md"]:
        if not path.exists():
            continue
        for block in re.findall(r"```yaml\n(.*?)```", path.read_text(), flags=re.S):
            for doc in yaml.safe_load_all(block):
                if isinstance(doc, dict) and doc.get("kind") == "VaultConnection":
                    samples.append((f"{path.relative_to(ROOT)}:{doc['metadata']['name']}", doc))
    return samples


def cel_rules(schema: dict[str, Any], path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str, str]]:
    """The CRD's ``x-kubernetes-validations``: (path of the value the rule sees as ``self``, rule, message)."""
    rules = [(path, rule["rule"], rule["message"]) for rule in schema.get("x-kubernetes-validations", [])]
    for name, sub in schema.get("properties", {}).items():
        rules += cel_rules(sub, (*path, name))
    for nested in ("items", "additionalProperties"):  # a rule there would need a loop over the values
        assert not isinstance(schema.get(nested), dict) or not cel_rules(schema[nested]), f"rule under {nested}"
    return rules


def cel_failures(obj: dict[str, Any]) -> list[str]:
    """The messages of the CEL rules ``obj`` breaks, as the API server would evaluate them."""
    failures = []
    environment = celpy.Environment()
    for path, rule, message in cel_rules(crd_schema()):
        value: Any = obj
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            continue  # the API server runs a rule only where its field is set
        if not environment.program(environment.compile(rule)).evaluate({"self": json_to_cel(value)}):
            failures.append(message)
    return failures


def test_the_crd_has_the_one_auth_block_and_the_tls_rules() -> None:
    assert cel_rules(crd_schema()) == [
        (("spec",), "!has(self.tls) || self.address.startsWith('https://')",
         "spec.tls is set but spec.address is http://: use https:// or remove spec.tls"),
        (("spec", "auth"),
         "(self.size() == 1 && !has(self.bootstrap)) || "
         "(self.size() == 2 && has(self.bootstrap) && has(self.kubernetes))",
         PAIR_MESSAGE),
        (("spec", "discovery"), "!has(self.autoCreateCRs) || !self.autoCreateCRs || has(self.targetNamespace)",
         "spec.discovery.targetNamespace is required when autoCreateCRs is true"),
    ]


def test_cel_rule_requires_a_target_namespace_for_auto_created_objects() -> None:
    base = {"address": "http://v:8200", "auth": {"kubernetes": {"role": "r"}}}
    refused = {"spec": {**base, "discovery": {"enabled": True, "autoCreateCRs": True}}}
    assert cel_failures(refused) == ["spec.discovery.targetNamespace is required when autoCreateCRs is true"]
    for discovery in ({"autoCreateCRs": True, "targetNamespace": "adopt"}, {"autoCreateCRs": False}, {}):
        assert cel_failures({"spec": {**base, "discovery": discovery}}) == []


def test_cel_rule_rejects_tls_with_an_http_address() -> None:
    tls = {"caSecretRef": {"name": "ca", "key": "ca.crt"}}
    auth = {"kubernetes": {"role": "r"}}
    assert cel_failures({"spec": {"address": "https://v:8200", "tls": tls, "auth": auth}}) == []
    assert cel_failures({"spec": {"address": "http://v:8200", "auth": auth}}) == []
    for block in (tls, {}, {"skipVerify": True}):
        assert cel_failures({"spec": {"address": "http://v:8200", "tls": block, "auth": auth}}) == [
            "spec.tls is set but spec.address is http://: use https:// or remove spec.tls"]


@pytest.mark.parametrize(("where", "sample"), doc_samples(), ids=[w for w, _ in doc_samples()])
def test_documented_samples_validate_against_the_crd(where: str, sample: dict[str, Any]) -> None:
    jsonschema.validate(sample, crd_schema())
    assert cel_failures(sample) == []


PAIR_MESSAGE = "spec.auth must contain exactly one auth method block, or the pair bootstrap and kubernetes"
BOOTSTRAP = {"secretRef": {"name": "b", "namespace": "ns", "key": "token"}}


def test_cel_rule_rejects_no_or_two_auth_blocks_but_the_bootstrap_pair() -> None:
    one = {"spec": {"address": "https://v:8200", "auth": {"kubernetes": {"role": "r"}}}}
    assert cel_failures(one) == []
    pair = {"spec": {"address": "https://v:8200", "auth": {"bootstrap": BOOTSTRAP, "kubernetes": {"role": "r"}}}}
    assert cel_failures(pair) == []
    for auth in ({}, {"kubernetes": {"role": "r"}, "aws": {"role": "r"}}, {"bootstrap": BOOTSTRAP},
                 {"bootstrap": BOOTSTRAP, "aws": {"role": "r"}},
                 {"bootstrap": BOOTSTRAP, "kubernetes": {"role": "r"}, "jwt": {"role": "r"}}):
        assert cel_failures({"spec": {"address": "https://v:8200", "auth": auth}}) == [PAIR_MESSAGE]


def test_schema_rejects_what_the_api_server_would() -> None:
    schema = crd_schema()
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"spec": {"address": "vault:8200", "auth": {"kubernetes": {}}}}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"spec": {"address": "https://v", "auth": {}, "healthCheckInterval": "30 s"}}, schema)
