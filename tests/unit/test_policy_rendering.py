"""VaultPolicy models, the HCL document, its ownership record, parsing for drift, and Vault names."""

from __future__ import annotations

import pydantic
import pytest

from vault_access_operator.access.hcl import (
    document_hash,
    owner_record,
    read_ownership,
    render_policy,
)
from vault_access_operator.access.hcl_parse import parse_policy, same_rules
from vault_access_operator.access.naming import cluster_name_from_env, identity, vault_object_name
from vault_access_operator.access.policy_models import VaultClusterPolicySpec, VaultPolicySpec

SPEC = {
    "connectionRef": "vault-prod",
    "rules": [
        {"path": "secret/data/{{namespace}}/{{name}}/*", "capabilities": ["read", "list"], "description": "app"},
        {"path": "secret/data/{{namespace}}/config", "capabilities": ["create", "update"],
         "parameters": {"allowed": ["a", "b"], "denied": ["x"], "required": ["ttl"]}},
    ],
}
EXPECTED = '''# managed-by: vault-access-operator
# cluster: east
# k8s-resource: team-a/app
# k8s-kind: VaultPolicy

# description: app
path "secret/data/team-a/app/*" {
  capabilities = ["read", "list"]
}

path "secret/data/team-a/config" {
  capabilities = ["create", "update"]

  allowed_parameters = { "*" = ["a", "b"] }
  denied_parameters = { "*" = ["x"] }
  required_parameters = ["ttl"]
}
'''


def test_the_replaced_operators_defaults_apply() -> None:
    spec = VaultPolicySpec.model_validate(SPEC)
    assert (spec.conflict_policy, spec.deletion_policy, spec.drift_mode, spec.enforce_namespace_boundary) == (
        "Fail", "Delete", None, None)
    assert VaultClusterPolicySpec.model_validate(SPEC).connection_ref == "vault-prod"


@pytest.mark.parametrize("bad", [
    {"rules": []},
    {"rules": [{"path": "secret/data/a b", "capabilities": ["read"]}]},
    {"rules": [{"path": "secret/../sys/*", "capabilities": ["read"]}]},
    {"rules": [{"path": "secret/*", "capabilities": ["patch"]}]},
    {"rules": [{"path": "secret/*", "capabilities": []}]},
    {"driftMode": "Detect"},
    {"conflictPolicy": "adopt"},
])
def test_the_spec_refuses(bad: dict[str, object]) -> None:
    with pytest.raises(pydantic.ValidationError):
        VaultPolicySpec.model_validate({**SPEC, **bad})


def test_the_cluster_kind_has_no_namespace_boundary_field() -> None:
    with pytest.raises(pydantic.ValidationError):
        VaultClusterPolicySpec.model_validate({**SPEC, "enforceNamespaceBoundary": True})


def test_render_substitutes_and_records_ownership_in_the_replaced_operators_layout() -> None:
    spec = VaultPolicySpec.model_validate(SPEC)
    document = render_policy(spec.rules, "team-a", "app", owner_record("east", "team-a", "app", "VaultPolicy"))
    assert document == EXPECTED
    assert document_hash(document) == document_hash(EXPECTED) != document_hash(EXPECTED + " ")


def test_a_cluster_policy_renders_the_namespace_empty_and_the_resource_bare() -> None:
    spec = VaultClusterPolicySpec.model_validate({**SPEC, "rules": [
        {"path": "auth/token/lookup-self", "capabilities": ["read"]}]})
    document = render_policy(spec.rules, None, "shared", owner_record("east", None, "shared", "VaultClusterPolicy"))
    assert "# k8s-resource: shared\n" in document
    assert read_ownership(document).k8s_kind == "VaultClusterPolicy"


def test_ownership_is_read_from_the_leading_comments_only() -> None:
    owner = read_ownership(EXPECTED + "# cluster: west\n")
    assert owner.managed and owner.identity == "east" and owner.k8s_resource == "team-a/app"
    legacy = read_ownership("# managed-by: vault-access-operator\n# auth-mount: kubernetes\n\npath \"a\" {}\n")
    assert legacy.identity == "kubernetes"  # the replaced operator without --cluster-name
    assert not read_ownership('path "a" { capabilities = ["read"] }').managed


def test_parsing_ignores_comments_and_layout_but_not_grants() -> None:
    compact = 'path "secret/data/team-a/app/*" {capabilities=["read","list"]}\n' \
        'path "secret/data/team-a/config" { required_parameters = ["ttl"]\n' \
        '  denied_parameters = {"*" = ["x"]} allowed_parameters = {"*"=["a","b"]} capabilities = ["create","update"] }'
    assert same_rules(EXPECTED, compact)
    assert not same_rules(EXPECTED, compact.replace('"list"', '"list", "delete"'))
    assert not same_rules(EXPECTED, None)  # deleted by hand
    assert not same_rules(EXPECTED, "path {")  # unreadable counts as drift


def test_a_comment_marker_inside_a_path_hides_no_drift() -> None:
    # The replaced operator's stripping removed everything between a "a/*" and a later "*/": not here.
    ours = ('path "a/*" { capabilities = ["read"] }\npath "b" { capabilities = ["read"] }\n'
            'path "x/*/y" { capabilities = ["read"] }')
    theirs = ours.replace('path "b" { capabilities = ["read"] }', 'path "b" { capabilities = ["sudo"] }')
    assert parse_policy(ours)[0][0] == "a/*"
    assert not same_rules(ours, theirs)


def test_vault_names_follow_the_structured_scheme_with_a_lower_case_identity() -> None:
    assert identity("Prod.East") == "prod-east"
    assert identity(None) == "_" and identity("_") == "-"
    assert vault_object_name(identity("east"), "team-a", "app") == "vao.east.team-a.app"
    assert vault_object_name("east", None, "shared") == "vao.east._.shared"
    assert cluster_name_from_env({}) == "default"
    assert cluster_name_from_env({"VAO_CLUSTER_NAME": "West"}) == "West"
