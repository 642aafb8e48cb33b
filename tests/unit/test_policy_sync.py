"""The parts of a policy pass that refuse before Vault is touched, and the inherited drift mode."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from vault_access_operator.access import policy_sync
from vault_access_operator.access.hcl import Ownership, owner_record
from vault_access_operator.access.policy_adapter import drift_mode_of
from vault_access_operator.access.policy_models import PolicyStatus
from vault_access_operator.access.policy_object import PolicyObject, parse_spec
from vault_access_operator.access.policy_sync import boundary_violation, ownership_verdict, sync_policy
from vault_access_operator.access.tenancy import PolicyRuleLike, PolicyScope, TenancyError, TenancySettings
from vault_access_operator.models import VaultConnectionSpec


class NoVault:
    """A client that must not be used: a refusal happens before any Vault call."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"Vault was called ({name}) for a refused policy")


def policy(rules: list[dict[str, Any]], **spec: Any) -> PolicyObject:
    return PolicyObject("VaultPolicy", "app", "team-a", parse_spec("VaultPolicy", {
        "connectionRef": "vault", "rules": rules, **spec}), {}, PolicyStatus())


@pytest.mark.parametrize("path", ["secret/data/*/{{namespace}}/x", "secret/+/{{namespace}}/x", "secret/data/x"])
def test_the_namespace_boundary_refuses(path: str) -> None:
    refused = boundary_violation(policy([{"path": path, "capabilities": ["read"]}], enforceNamespaceBoundary=True))
    assert refused is not None and "spec.rules[0].path" in refused and "enforceNamespaceBoundary" in refused
    assert boundary_violation(policy([{"path": path, "capabilities": ["read"]}])) is None  # off by default


def test_a_boundary_violation_is_an_error_and_writes_nothing() -> None:
    obj = policy([{"path": "secret/*", "capabilities": ["read"]}], enforceNamespaceBoundary=True)
    outcome = asyncio.run(sync_policy(obj, NoVault(), "default", "detect", TenancySettings(), False))  # type: ignore[arg-type]
    assert (outcome.phase, outcome.ready[1], outcome.then) == ("Error", "ValidationFailed", "wait")
    assert "last_applied_hash" not in outcome.fields and not outcome.wrote


def test_a_cluster_policy_using_the_namespace_variable_is_refused_naming_the_rule() -> None:
    rules = [{"path": "secret/data/shared/*", "capabilities": ["read"]},
             {"path": "secret/data/{{namespace}}/{{name}}", "capabilities": ["read"]}]
    obj = PolicyObject("VaultClusterPolicy", "shared", None, parse_spec("VaultClusterPolicy", {
        "connectionRef": "vault", "rules": rules}), {}, PolicyStatus())
    outcome = asyncio.run(sync_policy(obj, NoVault(), "default", "detect", TenancySettings(), False))  # type: ignore[arg-type]
    assert (outcome.phase, outcome.ready[1], outcome.then) == ("Error", "ValidationFailed", "wait")
    assert outcome.message.startswith("spec.rules[1].path 'secret/data/{{namespace}}/{{name}}' uses {{namespace}}, "
                                      "but a VaultClusterPolicy is cluster-scoped and has no namespace")
    assert outcome.event is not None and outcome.event[:2] == ("Warning", "ValidationFailed")
    named = PolicyObject("VaultClusterPolicy", "shared", None, parse_spec("VaultClusterPolicy", {
        "connectionRef": "vault", "rules": [*rules[:1], {"path": "secret/{{name}}/*", "capabilities": ["read"]}]}),
        {}, PolicyStatus())
    assert policy_sync.cluster_namespace_violation(named) is None  # {{name}} is the cluster kind's variable
    assert policy_sync.cluster_namespace_violation(policy(rules)) is None  # a VaultPolicy has its namespace


def test_a_tenancy_refusal_is_an_error_and_writes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    # The tenancy rules are the tenancy module's; here only that a refusal stops the pass before Vault.
    def refuse(rules: Sequence[PolicyRuleLike], scope: PolicyScope, tenancy: TenancySettings) -> None:
        raise TenancyError(f"spec.rules[0].path {rules[0].path!r} is outside namespace {scope.namespace}",
                           setting="spec.tenancy.confinement", rule_index=0)

    monkeypatch.setattr(policy_sync, "check_policy_rules", refuse)
    obj = policy([{"path": "secret/*", "capabilities": ["read"]}])
    outcome = asyncio.run(sync_policy(obj, NoVault(), "default", "detect", TenancySettings(), False))  # type: ignore[arg-type]
    assert (outcome.phase, outcome.ready[1]) == ("Error", "TenancyViolation")
    assert "outside namespace team-a" in outcome.message and not outcome.wrote


def test_the_drift_mode_falls_back_to_the_connections_default_then_detect() -> None:
    connection = VaultConnectionSpec.model_validate({"address": "https://v:8200", "auth": {"kubernetes": {"role": "r"}},
                                                     "defaults": {"driftMode": "correct"}})
    assert drift_mode_of("ignore", connection) == "ignore"
    assert drift_mode_of(None, connection) == "correct"
    assert drift_mode_of(None, None) == "detect"
    assert drift_mode_of(None, connection.model_copy(update={"defaults": {"driftMode": "bogus"}})) == "detect"


def test_ownership_never_adopts_another_identity_or_object() -> None:
    ours = owner_record("east", "team-a", "app", "VaultPolicy")
    assert ownership_verdict(ours, ours, False, False) is None
    foreign = Ownership("vault-access-operator", None, "west", "team-a/app", "VaultPolicy")
    assert "another operator identity" in (ownership_verdict(foreign, ours, True, True) or "")
    other = owner_record("east", "team-b", "app", "VaultPolicy")
    assert "owned by VaultPolicy team-b/app" in (ownership_verdict(other, ours, True, True) or "")
    unmanaged = Ownership()
    assert "conflictPolicy: Adopt" in (ownership_verdict(unmanaged, ours, False, False) or "")
    assert ownership_verdict(unmanaged, ours, False, True) is None


class ActiveHandle:
    """A connection handle that is Active with ``spec``; its client must never be used by a refused pass."""

    active = True

    def __init__(self, spec: VaultConnectionSpec) -> None:
        self.spec = spec

    def client(self) -> NoVault:
        return NoVault()


def test_the_operator_wide_confinement_reaches_the_policy_pass() -> None:
    from vault_access_operator.access.policy_adapter import PolicyAdapter
    from vault_access_operator.access.settings import AccessSettings
    from vault_access_operator.kinds import VAULT_POLICY
    from vault_access_operator.models import Confinement

    # The connection asks for no confinement; the operator's --tenancy-confinement namespace wins.
    auth = {"kubernetes": {"role": "r"}}
    connection = VaultConnectionSpec.model_validate({"address": "https://v:8200", "auth": auth})
    raw = {"metadata": {"name": "app", "namespace": "team-a"},
           "spec": {"connectionRef": "vault", "rules": [{"path": "secret/data/team-b/*", "capabilities": ["read"]}]}}
    strict = PolicyAdapter(VAULT_POLICY, AccessSettings(), Confinement.NAMESPACE)
    outcome = asyncio.run(strict.run_pass(raw, ActiveHandle(connection), False))  # type: ignore[arg-type]
    assert (outcome.phase, outcome.ready[1]) == ("Error", "TenancyViolation") and not outcome.wrote
    assert "secret/data/team-b/*" in outcome.message


def test_the_app_hands_the_operator_wide_confinement_to_the_policy_kinds() -> None:
    from vault_access_operator.app import OperatorApp, OperatorConfig
    from vault_access_operator.models import Confinement

    app = OperatorApp(OperatorConfig(tenancy_confinement=Confinement.NAMESPACE))
    confinements = {kind: getattr(adapter, "confinement", None) for kind, adapter in app.access_kinds.items()}
    assert {"VaultPolicy", "VaultClusterPolicy", "VaultRole", "VaultClusterRole", "VaultKVSecret"} == set(confinements)
    assert set(confinements.values()) == {Confinement.NAMESPACE}  # every access kind gets it
