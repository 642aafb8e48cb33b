"""Role manifests in the replaced operator's shapes (tests/data/role_samples.yaml; mapped to every upstream
block in tests/data/UPSTREAM-ROLE-SAMPLES.md) validate against the generated CRDs (schema and CEL rules) and
the role models, and the writer of the mount each one needs turns it into a payload."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import celpy
import jsonschema
import pytest
import yaml
from celpy.adapter import json_to_cel

from vault_access_operator.access.role_models import VaultClusterRoleSpec, VaultRoleSpec
from vault_access_operator.durations import vault_ttl_seconds
from vault_access_operator.kinds import KINDS
from vault_access_operator.plugin import BoundAccount, RoleBinding, RoleWriter
from vault_access_operator.plugins.aws_iam.role_writer import AwsRoleWriter
from vault_access_operator.plugins.kubernetes.role import KubernetesRoleWriter
from vault_access_operator.plugins.oidc.role_writer import JWTRoleWriter

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = list(yaml.safe_load_all((ROOT / "tests/data/role_samples.yaml").read_text()))
MAPPING = (ROOT / "tests/data/UPSTREAM-ROLE-SAMPLES.md").read_text()
MOUNT_ANNOTATION = "vault-access-operator.test/mount"
WRITERS: dict[str, RoleWriter[Any]] = {
    "kubernetes": KubernetesRoleWriter(), "jwt": JWTRoleWriter(), "oidc": JWTRoleWriter(),
    "jwt-ci": JWTRoleWriter(), "custom-idp": JWTRoleWriter(), "aws": AwsRoleWriter(),
}
SPECS: dict[str, type[VaultRoleSpec] | type[VaultClusterRoleSpec]] = {
    "VaultRole": VaultRoleSpec, "VaultClusterRole": VaultClusterRoleSpec}


def crd_schema(kind: str) -> dict[str, Any]:
    plural = next(k.plural for k in KINDS if k.kind == kind)
    crd = yaml.safe_load((ROOT / f"charts/vault-access-operator/crds/{plural}.yaml").read_text())
    schema: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def cel_failures(obj: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """Messages of the rules on spec that ``obj`` breaks, evaluated as the API server does."""
    environment = celpy.Environment()
    failures = []
    for rule in schema["properties"]["spec"].get("x-kubernetes-validations", []):
        program = environment.program(environment.compile(rule["rule"]))
        if not program.evaluate({"self": json_to_cel(obj["spec"])}):
            failures.append(rule["message"])
    return failures


def binding_for(sample: dict[str, Any]) -> RoleBinding:
    meta, spec = sample["metadata"], sample["spec"]
    namespace = meta.get("namespace")
    accounts = tuple(BoundAccount(namespace, a) if isinstance(a, str) else BoundAccount(a["namespace"], a["name"])
                     for a in spec.get("serviceAccounts") or [])
    ttl, max_ttl = spec.get("tokenTTL"), spec.get("tokenMaxTTL")
    return RoleBinding(
        kind=sample["kind"], namespace=namespace, name=meta["name"], vault_name=f"vao.test.{namespace or '_'}.x",
        mount=meta["annotations"][MOUNT_ANNOTATION], service_accounts=accounts,
        policies=tuple(f"vao.test.{p.get('namespace', namespace) or '_'}.{p['name']}" for p in spec["policies"]),
        token_ttl=vault_ttl_seconds(ttl) if ttl else None,
        token_max_ttl=vault_ttl_seconds(max_ttl) if max_ttl else None,
        ownership={"managed-by": "vault-access-operator"},
    )


@pytest.mark.parametrize("sample", SAMPLES, ids=[s["metadata"]["name"] for s in SAMPLES])
def test_a_sample_validates_and_its_writer_builds_the_role(sample: dict[str, Any]) -> None:
    schema = crd_schema(sample["kind"])
    jsonschema.validate(sample, schema)
    assert cel_failures(sample, schema) == []
    spec = SPECS[sample["kind"]].model_validate(sample["spec"])
    writer = WRITERS[sample["metadata"]["annotations"][MOUNT_ANNOTATION]]
    block = spec.writer_blocks.get(str(writer.spec_key))
    config = writer.config_model.model_validate(block) if writer.config_model and block is not None else None
    body = writer.payload(binding_for(sample), config)
    assert writer.differences(body, body) == []


def test_every_sample_is_mapped_and_every_upstream_block_has_a_line() -> None:
    mapped = set(re.findall(r"`([a-z0-9-]+)`", MAPPING))
    assert {s["metadata"]["name"] for s in SAMPLES} <= mapped
    assert len(re.findall(r"^\| `[^`]+:\d+` \|", MAPPING, re.M)) >= 30


def test_an_empty_binding_passes_has_but_not_the_crd_rule() -> None:
    # The replaced operator's gap (UPSTREAM-ACCESS.md §3.1): has() alone passed boundSubject: "" and {} claims.
    schema = crd_schema("VaultRole")
    sample = {"spec": {"connectionRef": "c", "policies": [{"kind": "VaultPolicy", "name": "p"}],
                       "jwt": {"boundSubject": "", "boundClaims": {}}}}
    assert cel_failures(sample, schema) != []
    sample["spec"]["jwt"] = {"boundClaimsList": {"team": ["a"]}}
    assert cel_failures(sample, schema) == []


def test_the_helm_notes_reference_without_a_kind_is_refused() -> None:
    # charts/.../NOTES.txt:44 writes `policies: [{name: my-policy}]`; the CRDs (theirs and ours) require kind.
    sample = {"apiVersion": "vault.platform.io/v1alpha1", "kind": "VaultRole",
              "metadata": {"name": "r", "namespace": "default"},
              "spec": {"connectionRef": "c", "serviceAccounts": ["sa"], "policies": [{"name": "my-policy"}]}}
    with pytest.raises(jsonschema.ValidationError, match="'kind' is a required property"):
        jsonschema.validate(sample, crd_schema("VaultRole"))
