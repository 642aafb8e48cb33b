"""Role passes before Vault: the target mount and its writer, the writer's block, policy references, tenancy."""

from __future__ import annotations

import asyncio
from typing import Any

import pydantic
import pytest

from vault_access_operator.access.role_models import RoleStatus, VaultClusterRoleSpec, VaultRoleSpec
from vault_access_operator.access.role_object import parse_role
from vault_access_operator.access.role_refs import PolicyView, reference_keys, resolve
from vault_access_operator.access.role_target import resolve_target, writer_config
from vault_access_operator.errors import ConfigError, PluginUnavailableError, TenancyError
from vault_access_operator.models import VaultConnectionSpec
from vault_access_operator.registry import load_providers

REGISTRY = load_providers()
POLICY = [{"kind": "VaultPolicy", "name": "read"}]


def _connection(auth: dict[str, Any], defaults: dict[str, Any] | None = None) -> VaultConnectionSpec:
    spec: dict[str, Any] = {"address": "https://vault:8200", "auth": auth}
    if defaults is not None:
        spec["defaults"] = defaults
    return VaultConnectionSpec.model_validate(spec)


def _role(spec: dict[str, Any], namespace: str | None = "team-a") -> Any:
    kind = "VaultRole" if namespace else "VaultClusterRole"
    meta = {"name": "app", **({"namespace": namespace} if namespace else {})}
    return parse_role(kind, {"metadata": meta, "spec": {"connectionRef": "vault", **spec}}, RoleStatus())


def test_the_mount_comes_from_defaults_then_from_the_login() -> None:
    login = ("kubernetes", "kubernetes", None)
    target = resolve_target("vault", _connection({"kubernetes": {"role": "r"}}), login, REGISTRY)
    assert (target.mount, target.family) == ("kubernetes", "kubernetes")
    named = _connection({"kubernetes": {"role": "r"}}, {"authPath": "auth/kubernetes-east/"})
    assert resolve_target("vault", named, login, REGISTRY).mount == "kubernetes-east"
    typed = _connection({"kubernetes": {"role": "r"}}, {"authPath": "workloads", "authType": "kubernetes"})
    assert resolve_target("vault", typed, login, REGISTRY).family == "kubernetes"
    assert named.defaults is not None and named.defaults.drift_mode == "detect"  # the replaced operator's default


def test_a_connection_no_writer_serves_says_what_to_set() -> None:
    untyped = _connection({"kubernetes": {"role": "r"}}, {"authPath": "workloads"})
    with pytest.raises(ConfigError, match=r"spec\.defaults\.authPath 'workloads' does not say which backend family.*"
                                          r"set spec\.defaults\.authType \(installed role writers: .*kubernetes"):
        resolve_target("vault", untyped, ("kubernetes", "kubernetes", None), REGISTRY)
    with pytest.raises(ConfigError, match=r"logs in with appRole, and no installed role writer serves that method's "
                                          r"mount: set spec\.defaults\.authPath and spec\.defaults\.authType"):
        resolve_target("vault", _connection({"appRole": {"role": "r"}}), ("appRole", "approle", None), REGISTRY)
    unknown = _connection({"kubernetes": {"role": "r"}}, {"authPath": "x", "authType": "gitlab"})
    with pytest.raises(PluginUnavailableError, match="no role writer for the 'gitlab' family is installed"):
        resolve_target("vault", unknown, None, REGISTRY)


def test_writer_blocks_nobody_reads_or_for_another_family_are_refused() -> None:
    target = resolve_target("vault", _connection({"kubernetes": {"role": "r"}}), ("kubernetes", "kubernetes", None),
                            REGISTRY)
    with pytest.raises(ConfigError, match=r"spec\.gitlab is not a field of VaultRole"):
        writer_config(_role({"serviceAccounts": ["app"], "policies": POLICY, "gitlab": {}}), target, REGISTRY)
    assert writer_config(_role({"serviceAccounts": ["app"], "policies": POLICY}), target, REGISTRY) is None


def test_references_stay_in_the_namespace_and_cluster_policies_as_allowed() -> None:
    role = _role({"serviceAccounts": ["app"], "policies": [*POLICY, {"kind": "VaultClusterPolicy", "name": "base"}]})
    assert reference_keys(role, None) == (("VaultPolicy", "team-a", "read"), ("VaultClusterPolicy", None, "base"))
    with pytest.raises(TenancyError, match="allowedClusterPolicies lists shared-"):
        reference_keys(role, ["shared-*"])
    other = _role({"serviceAccounts": ["app"], "policies": [{**POLICY[0], "namespace": "team-b"}]})
    with pytest.raises(TenancyError, match="only VaultPolicies of its own namespace 'team-a', not team-b/read"):
        reference_keys(other, None)
    cluster = _role({"serviceAccounts": [{"name": "a", "namespace": "n"}], "policies": POLICY}, namespace=None)
    with pytest.raises(ConfigError, match=r"spec\.policies\[0\]: a VaultClusterRole must give the namespace"):
        reference_keys(cluster, None)
    platform = _role({"policies": [{"kind": "VaultClusterPolicy", "name": "root-ish"}]}, namespace=None)
    assert reference_keys(platform, []) == (("VaultClusterPolicy", None, "root-ish"),)  # the platform team's own


def test_resolution_reads_the_recorded_vault_names() -> None:
    views = {("VaultPolicy", "a", "ok"): PolicyView("vao.x.a.ok", "Active"),
             ("VaultPolicy", "a", "err"): PolicyView("vao.x.a.err", "Error"),
             ("VaultPolicy", "a", "bye"): PolicyView("vao.x.a.bye", "Active", deleting=True)}
    keys = (("VaultPolicy", "a", "ok"), ("VaultPolicy", "a", "ok"), ("VaultPolicy", "a", "err"),
            ("VaultPolicy", "a", "bye"), ("VaultPolicy", "a", "gone"))
    async def lookup(key: Any) -> PolicyView | None:
        return views.get(key)

    found = asyncio.run(resolve(keys, lookup))
    assert found.names == ("vao.x.a.ok",) and not found.complete
    assert found.pending == ("VaultPolicy a/err is not synced to Vault yet (phase Error)",
                             "VaultPolicy a/bye is being deleted", "VaultPolicy a/gone does not exist")
    assert [b["resolved"] for b in found.bindings] == [True, False, False, False]


def test_ttls_in_order_and_vaults_grammar() -> None:
    base = {"connectionRef": "v", "serviceAccounts": ["a"], "policies": POLICY}
    assert VaultRoleSpec.model_validate({**base, "tokenTTL": "1d", "tokenMaxTTL": "2d"}).token_ttl == "1d"
    with pytest.raises(pydantic.ValidationError, match="tokenTTL 2h is longer than tokenMaxTTL 1h"):
        VaultRoleSpec.model_validate({**base, "tokenTTL": "2h", "tokenMaxTTL": "1h"})
    with pytest.raises(pydantic.ValidationError, match="d cannot be combined with other units"):
        VaultClusterRoleSpec.model_validate({**base, "serviceAccounts": [], "tokenTTL": "1d12h"})
