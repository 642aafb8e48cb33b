"""The VaultRole discovery makes for an unmanaged Vault role (its shape passes the generated CRD, its CEL rules
and the model), and what a VaultRole pass does with discovery's annotations before touching Vault (the
adoption itself runs against OpenBao in tests/e2e/test_discovery_roles.py)."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import jsonschema
import pytest

from tests.unit.test_role_samples import cel_failures, crd_schema
from vault_access_operator.access.discovery_models import DiscoveredResource
from vault_access_operator.access.discovery_roles import PLACEHOLDER, granted_policies, role_adoption_object
from vault_access_operator.access.outcome import Outcome
from vault_access_operator.access.role_adapter import RoleAdapter
from vault_access_operator.access.role_models import VaultRoleSpec
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.kinds import VAULT_ROLE
from vault_access_operator.models import VaultConnectionSpec

FOUND = DiscoveredResource(type="role", name="Hand_Role", discovered_at="2031-01-01T00:00:00Z",
                           suggestedCRName="hand-role")
LIVE = {"bound_service_account_names": ["app"], "bound_service_account_namespaces": ["default"],
        "token_policies": ["team-app-read", "default", "Ops.Admin"], "token_ttl": 3600, "token_max_ttl": 0}
PENDING = "vault.platform.io/discovery-pending"
VAULT_NAME = "vault.platform.io/vault-name"


def made(live: dict[str, Any] = LIVE) -> dict[str, Any]:
    return role_adoption_object(FOUND, live, "vault", "vault-adopt", "2031-01-01T00:00:00Z")


@pytest.mark.parametrize("live", [LIVE, {"token_policies": ["default"]}, {"policies": "a,b", "token_ttl": 600,
                                                                         "token_max_ttl": 300}])
def test_the_object_passes_the_crd_its_cel_rules_and_the_model(live: dict[str, Any]) -> None:
    body = made(live)
    schema = crd_schema("VaultRole")
    jsonschema.validate(body, schema)
    assert cel_failures(body, schema) == []
    VaultRoleSpec.model_validate(body["spec"])


def test_the_object_names_the_role_and_binds_only_a_placeholder() -> None:
    body = made()
    assert body["metadata"]["name"] == "hand-role" and body["metadata"]["namespace"] == "vault-adopt"
    annotations = body["metadata"]["annotations"]
    assert annotations[VAULT_NAME] == "Hand_Role" and annotations[PENDING] == "true"
    assert annotations["vault.platform.io/adopt"] == "true"
    spec = body["spec"]
    assert spec["serviceAccounts"] == [PLACEHOLDER] == ["discovery-placeholder-replace-me"]
    # The VaultPolicy objects discovery makes for the policies it grants (named as their suggestedCRName).
    assert spec["policies"] == [{"kind": "VaultPolicy", "name": "team-app-read"},
                                {"kind": "VaultPolicy", "name": "ops-admin"}]
    assert (spec["deletionPolicy"], spec["conflictPolicy"], spec["tokenTTL"]) == ("Retain", "Adopt", "3600")
    assert "tokenMaxTTL" not in spec  # 0: the mount's default, as the role has it
    assert made({"token_policies": ["default"]})["spec"]["policies"] == [{"kind": "VaultPolicy", "name": PLACEHOLDER}]


def test_granted_policies_reads_either_field_and_leaves_out_default() -> None:
    assert granted_policies(LIVE) == ["team-app-read", "Ops.Admin"]
    assert granted_policies({"policies": ["a", "a", "default"]}) == ["a"]
    assert granted_policies({}) == []


@dataclasses.dataclass
class Handle:
    """A connection as a role pass sees it; any Vault call fails the test."""

    spec: VaultConnectionSpec
    name: str = "vault"
    active: bool = True

    def client(self, namespace: str | None = None) -> Any:
        raise AssertionError("the pass called Vault")


SPEC = VaultConnectionSpec.model_validate({"address": "http://v:8200", "auth": {"kubernetes": {}},
                                           "discovery": {"autoCreateCRs": True, "targetNamespace": "vault-adopt"}})


def role_pass(raw: dict[str, Any]) -> Outcome:
    async def no_lookup(key: Any) -> None:
        raise AssertionError("the pass resolved policy references")
    adapter = RoleAdapter(VAULT_ROLE, AccessSettings(cluster_name="t"), None, no_lookup)  # type: ignore[arg-type]
    return asyncio.run(adapter.run_pass(raw, Handle(SPEC), False))  # type: ignore[arg-type]


def test_discovery_pending_holds_every_write_and_says_what_to_replace() -> None:
    outcome = role_pass(made())
    assert (outcome.phase, outcome.ready[1], outcome.then) == ("Pending", "DiscoveryPending", "wait")
    assert not outcome.wrote and "last_applied_hash" not in outcome.fields
    assert outcome.fields["vault_role_name"] == "Hand_Role"  # the role's own name, shown while it waits
    assert "list the real service accounts in spec.serviceAccounts" in outcome.message


def test_the_vault_name_annotation_is_honoured_only_in_the_target_namespace() -> None:
    body = made()
    elsewhere = {**body, "metadata": {**body["metadata"], "namespace": "team-a"}}
    outcome = role_pass(elsewhere)
    assert (outcome.phase, outcome.ready[1]) == ("Error", "ValidationFailed")
    assert "vault.platform.io/vault-name is honoured only in the VaultConnection's spec.discovery.targetNamespace " \
           "(vault-adopt)" in outcome.message
