"""The chart's RBAC grants only what the operator uses (core/kube.py and kopf), and only where the
trust policy (values.yaml ``trust:``, rendered as ``run`` flags) lets a VaultConnection point it."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.test_chart import CHART, NAMESPACE, PRODUCTION, RESTRICTED, SERVICE_ACCOUNT, container, find, one, render

SUBJECT = {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": NAMESPACE}
Grant = tuple[str, str | None, dict[str, Any]]


def grants(objects: list[dict[str, Any]]) -> list[Grant]:
    """(role kind, namespace, rule) for every rule bound to the operator's service account."""
    roles = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o
             for o in objects if o["kind"] in ("Role", "ClusterRole")}
    out = []
    for binding in (o for o in objects if o["kind"] in ("RoleBinding", "ClusterRoleBinding")):
        assert binding["subjects"] == [SUBJECT]
        ref = binding["roleRef"]
        namespace = binding["metadata"].get("namespace") if ref["kind"] == "Role" else None
        role = roles[(ref["kind"], namespace, ref["name"])]
        out += [(ref["kind"], namespace, rule) for rule in role["rules"]]
    return out


def granted(objects: list[dict[str, Any]], resource: str) -> list[Grant]:
    return [g for g in grants(objects) if resource in g[2].get("resources", [])]


def flag_values(objects: list[dict[str, Any]], flag: str) -> list[str]:
    prefix = f"--{flag}="
    return [arg.removeprefix(prefix) for arg in container(objects)["args"] if arg.startswith(prefix)]


def secret_namespaces(objects: list[dict[str, Any]]) -> set[str | None]:
    """Where the operator may read Secrets: namespaces of its Roles, None for cluster-wide."""
    rules = granted(objects, "secrets")
    assert all(rule == {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]} for _, _, rule in rules)
    return {namespace for _, namespace, _ in rules}


def token_accounts(objects: list[dict[str, Any]]) -> set[str]:
    """NAMESPACE/NAME the operator may request tokens for (NAMESPACE/* for a Role without resourceNames)."""
    accounts = set()
    for kind, namespace, rule in granted(objects, "serviceaccounts/token"):
        assert kind == "Role" and rule["verbs"] == ["create"] and rule["resources"] == ["serviceaccounts/token"]
        accounts |= {f"{namespace}/{name}" for name in rule.get("resourceNames", ["*"])}
    return accounts


# --- Secrets -----------------------------------------------------------------------------------


def test_by_default_secrets_are_readable_only_in_the_operator_namespace() -> None:
    objects = render()
    assert secret_namespaces(objects) == {NAMESPACE}
    assert not [o for o in objects if o["kind"] in ("ClusterRole", "ClusterRoleBinding")
                and "secret" in o["metadata"]["name"]]
    assert not [rule for kind, _, rule in grants(objects) if kind == "ClusterRole"
                and "secrets" in rule.get("resources", [])]
    assert flag_values(objects, "secret-namespace") == []  # the operator's default: its own namespace


def test_secret_namespaces_get_a_role_and_a_flag_each() -> None:
    objects = render({"trust": {"secretNamespaces": ["team-a", "team-b"]}})
    assert secret_namespaces(objects) == {NAMESPACE, "team-a", "team-b"}
    assert flag_values(objects, "secret-namespace") == ["team-a", "team-b"]
    # Listing the operator's own namespace again renders no second Role there.
    objects = render({"trust": {"secretNamespaces": [NAMESPACE, "team-a"]}})
    assert len(find(objects, "Role", "vault-access-operator-secret-reader")) == 2


def test_a_star_is_the_only_way_to_a_cluster_wide_secret_grant() -> None:
    objects = render({"trust": {"secretNamespaces": ["*"]}})
    assert secret_namespaces(objects) == {None}
    assert one(objects, "ClusterRole", "vault-access-operator-secret-reader")["rules"][0]["verbs"] == ["get"]
    assert one(objects, "ClusterRoleBinding", "vault-access-operator-secret-reader")
    assert flag_values(objects, "secret-namespace") == ["*"]


# --- TokenRequest ------------------------------------------------------------------------------


def test_token_request_only_for_its_own_service_account() -> None:
    for values in ({}, PRODUCTION):
        [(kind, namespace, rule)] = granted(render(values), "serviceaccounts/token")
        assert (kind, namespace) == ("Role", NAMESPACE)
        assert rule == {"apiGroups": [""], "resources": ["serviceaccounts/token"],
                        "resourceNames": [SERVICE_ACCOUNT], "verbs": ["create"]}


def test_token_service_accounts_are_named_one_by_one_per_namespace() -> None:
    extra = ["team-a/app", "team-a/ci", "team-b/app", f"{NAMESPACE}/helper"]
    objects = render({"trust": {"tokenServiceAccounts": extra}})
    rules = granted(objects, "serviceaccounts/token")
    by_namespace = {namespace: rule["resourceNames"] for _, namespace, rule in rules}
    assert by_namespace == {NAMESPACE: [SERVICE_ACCOUNT, "helper"], "team-a": ["app", "ci"], "team-b": ["app"]}
    assert flag_values(objects, "token-service-account") == extra


def test_a_whole_namespace_of_token_accounts_drops_resource_names_only_there() -> None:
    objects = render({"trust": {"tokenServiceAccounts": ["team-a/*", "team-b/app"]}})
    assert token_accounts(objects) == {f"{NAMESPACE}/{SERVICE_ACCOUNT}", "team-a/*", "team-b/app"}
    # RBAC has no wildcard name: resourceNames ["*"] would match only an account named "*".
    [(_, _, rule)] = [g for g in granted(objects, "serviceaccounts/token") if g[1] == "team-a"]
    assert "resourceNames" not in rule


# --- the RBAC and the operator's flags always agree ---------------------------------------------

AGREEING = {
    "default": {},
    "restricted": RESTRICTED,
    "teams": {"trust": {"secretNamespaces": ["team-a", "team-b"], "tokenServiceAccounts": ["team-a/app", "ci/*"]}},
    "everywhere": {"trust": {"secretNamespaces": ["*", "team-a"]}},
}


@pytest.mark.parametrize("values", AGREEING.values(), ids=AGREEING.keys())
def test_rbac_grants_exactly_what_the_flags_allow(values: dict[str, Any]) -> None:
    objects = render(values)
    flagged = set(flag_values(objects, "secret-namespace"))
    assert secret_namespaces(objects) == ({None} if "*" in flagged else flagged | {NAMESPACE})
    own = f"{NAMESPACE}/{SERVICE_ACCOUNT}"
    assert token_accounts(objects) == set(flag_values(objects, "token-service-account")) | {own}


# --- the rest ----------------------------------------------------------------------------------


def test_events_are_only_posted() -> None:
    """Both the operator (core/app.py _emit) and kopf post core v1 events for the cluster-scoped
    VaultConnections into the operator's namespace, and those of a namespaced VaultPolicy into its own
    namespace (so cluster-wide); they only post them: no events.k8s.io, no patch."""
    create = {"apiGroups": [""], "resources": ["events"], "verbs": ["create"]}
    for values in ({}, PRODUCTION, RESTRICTED):
        objects = render(values)
        assert granted(objects, "events") == [("ClusterRole", None, create), ("Role", NAMESPACE, create)]


def test_the_custom_resource_its_status_and_finalizers() -> None:
    objects = render()
    rules = {tuple(r["resources"]): r for _, _, r in grants(objects) if r.get("apiGroups") == ["vault.platform.io"]}
    assert rules[("vaultconnections",)]["verbs"] == ["get", "list", "watch", "patch", "update"]
    assert rules[("vaultconnections/status",)]["verbs"] == ["get", "patch", "update"]
    assert rules[("vaultconnections/finalizers",)]["verbs"] == ["update"]
    assert all("create" not in r["verbs"] and "delete" not in r["verbs"] for r in rules.values())


def test_the_policy_kinds_their_status_and_finalizers() -> None:
    rules = {tuple(r["resources"]): r["verbs"] for _, _, r in grants(render())
             if r.get("apiGroups") == ["vault.platform.io"]}
    assert rules[("vaultpolicies", "vaultclusterpolicies")] == ["get", "list", "watch", "patch", "update"]
    assert rules[("vaultpolicies/status", "vaultclusterpolicies/status")] == ["get", "patch", "update"]
    assert rules[("vaultpolicies/finalizers", "vaultclusterpolicies/finalizers")] == ["update"]
    crds = {p.name for p in (CHART / "crds").glob("*.yaml")}
    for plural in ("vaultpolicies", "vaultclusterpolicies"):  # the policy helper generates these CRDs
        if f"{plural}.yaml" in crds:
            names = yaml.safe_load((CHART / "crds" / f"{plural}.yaml").read_text())["spec"]["names"]
            assert names["plural"] == plural


def test_the_role_kinds_their_status_and_finalizers() -> None:
    rules = {tuple(r["resources"]): r["verbs"] for _, _, r in grants(render())
             if r.get("apiGroups") == ["vault.platform.io"]}
    assert rules[("vaultroles", "vaultclusterroles")] == ["get", "list", "watch", "patch", "update"]
    assert rules[("vaultroles/status", "vaultclusterroles/status")] == ["get", "patch", "update"]
    assert rules[("vaultroles/finalizers", "vaultclusterroles/finalizers")] == ["update"]
    for plural in ("vaultroles", "vaultclusterroles"):
        names = yaml.safe_load((CHART / "crds" / f"{plural}.yaml").read_text())["spec"]["names"]
        assert names["plural"] == plural


def test_kopf_scanning_and_the_issuer_discovery() -> None:
    rules = [r for _, _, r in grants(render())]
    assert {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["list", "watch"]} in rules
    assert {"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"],
            "verbs": ["list", "watch"]} in rules
    # The API server's own audiences are learnt from its issuer (trust.apiAudiences adds more).
    assert {"nonResourceURLs": ["/.well-known/openid-configuration"], "verbs": ["get"]} in rules


def test_nothing_else_is_granted() -> None:
    """No wildcards, no list/watch on secrets, no leases, no writes beyond the operator's own objects."""
    allowed = {"vaultconnections", "vaultconnections/status", "vaultconnections/finalizers", "events", "namespaces",
               "vaultpolicies", "vaultpolicies/status", "vaultpolicies/finalizers", "vaultclusterpolicies",
               "vaultclusterpolicies/status", "vaultclusterpolicies/finalizers",
               "vaultroles", "vaultroles/status", "vaultroles/finalizers", "vaultclusterroles",
               "vaultclusterroles/status", "vaultclusterroles/finalizers",
               "vaultkvsecrets", "vaultkvsecrets/status", "vaultkvsecrets/finalizers",
               "customresourcedefinitions", "secrets", "serviceaccounts/token", "clusterkopfpeerings"}
    for values in (PRODUCTION, RESTRICTED):
        for _, _, rule in grants(render(values)):
            if "nonResourceURLs" in rule:
                assert rule == {"nonResourceURLs": ["/.well-known/openid-configuration"], "verbs": ["get"]}
                continue
            assert "*" not in rule["verbs"] and "*" not in rule["resources"] and "*" not in rule["apiGroups"]
            assert set(rule["resources"]) <= allowed, rule
            if "secrets" in rule["resources"]:
                assert rule["verbs"] == ["get"]


def test_rbac_can_be_left_to_the_cluster_admin() -> None:
    objects = render({"rbac": {"create": False}, "trust": {"secretNamespaces": ["team-a"]}})
    assert not [o for o in objects if o["kind"] in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")]
    assert one(objects, "ServiceAccount")
    assert flag_values(objects, "secret-namespace") == ["team-a"]  # the policy still applies


def test_the_kv_secret_kind_its_status_and_finalizers() -> None:
    rules = {tuple(r["resources"]): r["verbs"] for _, _, r in grants(render())
             if r.get("apiGroups") == ["vault.platform.io"]}
    assert rules[("vaultkvsecrets",)] == ["get", "list", "watch", "patch", "update"]
    assert rules[("vaultkvsecrets/status",)] == ["get", "patch", "update"]
    assert rules[("vaultkvsecrets/finalizers",)] == ["update"]


def test_kv_values_from_secrets_are_readable_only_where_listed() -> None:
    assert not find(render(), "Role", "vault-access-operator-kv-value-reader")  # default: nowhere
    objects = render({"kvSecrets": {"valueNamespaces": ["team-a", "team-b"]}})
    assert secret_namespaces(objects) == {NAMESPACE, "team-a", "team-b"}  # get only (checked by the helper)
    assert len(find(objects, "Role", "vault-access-operator-kv-value-reader")) == 2
    assert secret_namespaces(render({"kvSecrets": {"valueNamespaces": ["*"]}})) == {NAMESPACE, None}


def test_discovery_may_create_policies_only_in_its_target_namespaces() -> None:
    assert not granted(render(), "vaultpolicies") or all(
        "create" not in rule["verbs"] for _, _, rule in granted(render(), "vaultpolicies"))
    objects = render({"discovery": {"targetNamespaces": ["vault-adopt"]}})
    creates = [(kind, namespace) for kind, namespace, rule in granted(objects, "vaultpolicies")
               if "create" in rule["verbs"]]
    assert creates == [("Role", "vault-adopt")]
    role = one(objects, "Role", "vault-access-operator-discovery")
    assert role["rules"] == [{"apiGroups": ["vault.platform.io"], "resources": ["vaultpolicies", "vaultroles"],
                              "verbs": ["create"]}]
