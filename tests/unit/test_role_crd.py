"""The role CRDs: the installed writers' blocks and the bind-something rule come from the writers, not the core."""

from __future__ import annotations

from typing import Any

import pytest

from vault_access_operator import crd_roles
from vault_access_operator.crd import crd
from vault_access_operator.kinds import VAULT_CLUSTER_ROLE, VAULT_ROLE
from vault_access_operator.plugin import RoleBinding, RoleWriter, SpecModel
from vault_access_operator.registry import ProviderRegistry, load_providers, new_plugin_manager


class GitlabRole(SpecModel):
    """Which GitLab pipelines log in."""

    project_path: str | None = None


class GitlabWriter(RoleWriter[GitlabRole]):
    family = "gitlab"
    spec_key = "gitlab"
    config_model = GitlabRole
    binds_rule = "has(self.gitlab.projectPath) && size(self.gitlab.projectPath) > 0"

    def payload(self, binding: RoleBinding, config: GitlabRole | None) -> dict[str, Any]:
        return {}


def _spec(kind: Any) -> dict[str, Any]:
    schema: dict[str, Any] = crd(kind)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    return schema


def test_a_third_party_writers_block_and_rule_reach_the_crd(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = ProviderRegistry(hooks=new_plugin_manager(), writers={"gitlab": GitlabWriter(),
                                                                     **load_providers().writers})
    monkeypatch.setattr(crd_roles, "load_providers", lambda: registry)
    for kind in (VAULT_ROLE, VAULT_CLUSTER_ROLE):
        spec = _spec(kind)
        assert spec["properties"]["gitlab"]["properties"]["projectPath"]["type"] == "string"
        assert "family" in spec["properties"]["gitlab"]["description"]
        [rule] = spec["x-kubernetes-validations"]
        # Merged with the jwt and aws writers (branch rolewriters): their rules sit beside the third party's.
        assert rule["rule"].startswith("(has(self.serviceAccounts) && size(self.serviceAccounts) > 0) || ")
        assert ("(has(self.gitlab) && (has(self.gitlab.projectPath) && size(self.gitlab.projectPath) > 0))"
                in rule["rule"])
        assert rule["message"].startswith("a role must bind something: set serviceAccounts, or a binding in ")
        assert "gitlab" in rule["message"]


def test_the_replaced_operators_names_and_columns() -> None:
    for kind, short in ((VAULT_ROLE, "vr"), (VAULT_CLUSTER_ROLE, "vcr")):
        definition = crd(kind)
        assert definition["spec"]["names"]["shortNames"] == [short]
        columns = [(c["name"], c["jsonPath"]) for c in definition["spec"]["versions"][0]["additionalPrinterColumns"]]
        assert columns == [("Vault Role", ".status.vaultRoleName"), ("Phase", ".status.phase"),
                           ("Policies", ".status.resolvedPolicies"), ("Age", ".metadata.creationTimestamp")]
        spec = _spec(kind)
        assert {"tokenTTL", "tokenMaxTTL", "serviceAccounts", "policies", "conflictPolicy", "deletionPolicy",
                "driftMode", "connectionRef"} <= set(spec["properties"])
    accounts = _spec(VAULT_CLUSTER_ROLE)["properties"]["serviceAccounts"]["items"]
    assert accounts["required"] == ["name", "namespace"]
