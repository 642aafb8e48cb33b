"""The chart's RBAC grants only what the operator uses (core/kube.py and kopf)."""

from __future__ import annotations

from typing import Any

from tests.test_chart import NAMESPACE, PRODUCTION, SERVICE_ACCOUNT, find, one, render

SUBJECT = {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": NAMESPACE}


def grants(objects: list[dict[str, Any]]) -> list[tuple[str, str | None, dict[str, Any]]]:
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


def granted(objects: list[dict[str, Any]], resource: str) -> list[tuple[str, str | None, dict[str, Any]]]:
    return [g for g in grants(objects) if resource in g[2]["resources"]]


def test_token_request_only_for_its_own_service_account() -> None:
    for values in ({}, PRODUCTION):
        [(kind, namespace, rule)] = granted(render(values), "serviceaccounts/token")
        assert (kind, namespace) == ("Role", NAMESPACE)
        assert rule == {"apiGroups": [""], "resources": ["serviceaccounts/token"],
                        "resourceNames": [SERVICE_ACCOUNT], "verbs": ["create"]}


def test_extra_token_service_accounts_are_named_one_by_one() -> None:
    extra = ["team-a/app", "team-a/ci", "team-b/app"]
    rules = granted(render({"rbac": {"extraTokenServiceAccounts": extra}}), "serviceaccounts/token")
    by_namespace = {namespace: rule["resourceNames"] for _, namespace, rule in rules}
    assert by_namespace == {NAMESPACE: [SERVICE_ACCOUNT], "team-a": ["app", "ci"], "team-b": ["app"]}


def test_the_custom_resource_its_status_and_finalizers() -> None:
    objects = render()
    rules = {tuple(r["resources"]): r for _, _, r in grants(objects) if r["apiGroups"] == ["vault.platform.io"]}
    assert rules[("vaultconnections",)]["verbs"] == ["get", "list", "watch", "patch", "update"]
    assert rules[("vaultconnections/status",)]["verbs"] == ["get", "patch", "update"]
    assert rules[("vaultconnections/finalizers",)]["verbs"] == ["update"]
    assert all("create" not in r["verbs"] and "delete" not in r["verbs"] for r in rules.values())


def test_events_namespaces_and_crds_for_kopf() -> None:
    rules = [r for _, _, r in grants(render())]
    assert {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]} in rules
    assert {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch"]} in rules
    assert {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["list", "watch"]} in rules
    assert {"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"],
            "verbs": ["list", "watch"]} in rules


def test_secrets_are_get_only_cluster_wide_by_default() -> None:
    [(kind, _, rule)] = granted(render(), "secrets")
    assert kind == "ClusterRole" and rule["verbs"] == ["get"]


def test_secret_namespaces_restrict_secret_access_to_roles() -> None:
    objects = render({"rbac": {"secretNamespaces": ["vault-access-operator-system", "ci"]}})
    rules = granted(objects, "secrets")
    assert sorted((kind, namespace) for kind, namespace, _ in rules) == [
        ("Role", "ci"), ("Role", "vault-access-operator-system")]
    assert all(rule["verbs"] == ["get"] for _, _, rule in rules)
    assert not find(objects, "ClusterRole", "vault-access-operator-secret-reader")


def test_nothing_else_is_granted() -> None:
    """No wildcards, no list/watch on secrets, no leases, no writes beyond the operator's own objects."""
    allowed = {"vaultconnections", "vaultconnections/status", "vaultconnections/finalizers", "events", "namespaces",
               "customresourcedefinitions", "secrets", "serviceaccounts/token", "clusterkopfpeerings"}
    for _, _, rule in grants(render(PRODUCTION)):
        assert "*" not in rule["verbs"] and "*" not in rule["resources"] and "*" not in rule["apiGroups"]
        assert set(rule["resources"]) <= allowed, rule


def test_rbac_can_be_left_to_the_cluster_admin() -> None:
    objects = render({"rbac": {"create": False}})
    assert not [o for o in objects if o["kind"] in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")]
    assert one(objects, "ServiceAccount")
