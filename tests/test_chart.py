"""The Helm chart: lint, render and validate every manifest, with default and production-like values.

No ``helm`` binary here: helm-python-sdk runs Helm's own Go code (lint, template, values schema).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helm_python as helm
import jsonschema
import kubernetes_validate
import pytest
import yaml

from vault_access_operator.kinds import KINDS

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "charts/vault-access-operator"
NAMESPACE = "vault-access-operator-system"
SERVICE_ACCOUNT = "vault-access-operator-controller-manager"
KUBE_VERSION = "1.30"
IRSA_ARN = "arn:aws:iam::123456789012:role/vault-access-operator"

PRODUCTION: dict[str, Any] = {
    "replicaCount": 2,
    "image": {"repository": "registry.example.com/platform/vault-access-operator", "tag": "0.1.0"},
    "imagePullSecrets": [{"name": "registry-credentials"}],
    "serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": IRSA_ARN}},
    "resources": {"requests": {"cpu": "100m", "memory": "192Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
    "serviceMonitor": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}},
    "nodeSelector": {"kubernetes.io/os": "linux"},
    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "platform", "effect": "NoSchedule"}],
    "affinity": {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 100,
                    "podAffinityTerm": {
                        "topologyKey": "kubernetes.io/hostname",
                        "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "vault-access-operator"}},
                    },
                }
            ]
        }
    },
    "extraEnv": [
        {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"},
        {"name": "HTTPS_PROXY", "valueFrom": {"secretKeyRef": {"name": "proxy", "key": "url"}}},
    ],
    "priorityClassName": "system-cluster-critical",
    "podAnnotations": {"example.com/team": "platform"},
    "podLabels": {"team": "platform"},
    "logLevel": "debug",
    "podDisruptionBudget": {"minAvailable": 1},
    "clusterName": "east",
    "tenancy": {"confinement": "namespace"},
}
RESTRICTED: dict[str, Any] = {
    "trust": {
        "secretNamespaces": [NAMESPACE, "ci"],
        "tokenServiceAccounts": ["team-a/app", "team-a/ci", "team-b/*"],
        "apiAudiences": ["https://kubernetes.default.svc"],
        "maxTokenLifetime": "20m",
        "allowMountedToken": True,
        "vaultAddresses": ["https://vault.example.com:8200"],
    },
    "networkPolicy": {
        "enabled": True,
        "vault": [{"cidr": "10.20.0.0/16", "except": ["10.20.9.0/24"], "ports": [8200, 8201]}],
        "apiServer": {"cidrs": ["172.20.0.1/32", "fd00::1/128"]},
        "extraEgress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443, "protocol": "TCP"}]}],
        "metricsFrom": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
    },
    "metrics": {"enabled": False},
    "podDisruptionBudget": {"enabled": False},
    "logLevel": "warning",
}
EVERYWHERE: dict[str, Any] = {"trust": {"secretNamespaces": ["*"], "tokenServiceAccounts": ["apps/*"]}}
VALUE_SETS = {"default": {}, "production": PRODUCTION, "restricted": RESTRICTED, "everywhere": EVERYWHERE}
CUSTOM_KINDS = {"ServiceMonitor", "ClusterKopfPeering"}  # not in kubernetes-validate's schemas


def chart() -> helm.Chart:
    return helm.Chart.load(CHART)


def render(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every object ``helm template -n vault-access-operator-system`` would output (without CRDs)."""
    with chart() as loaded:
        rendered = loaded.render(values or {}, name="vault-access-operator", namespace=NAMESPACE, is_install=True)
    return [doc for path, text in sorted(rendered.items()) if path.endswith(".yaml") for doc in _docs(text)]


def _docs(text: str) -> Iterator[dict[str, Any]]:
    yield from (doc for doc in yaml.safe_load_all(text) if doc)


def find(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]


def one(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = find(objects, kind, name)
    assert len(found) == 1, f"expected one {kind} {name or ''}, got {[o['metadata']['name'] for o in found]}"
    return found[0]


def container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    pod = one(objects, "Deployment")["spec"]["template"]["spec"]
    assert len(pod["containers"]) == 1
    return pod["containers"][0]  # type: ignore[no-any-return]


def crds() -> dict[str, dict[str, Any]]:
    with chart() as loaded:
        docs = [doc for entry in loaded.crds for doc in _docs(entry["data"])]
    return {doc["metadata"]["name"]: doc for doc in docs}


# --- lint and render -------------------------------------------------------------------------


@pytest.mark.parametrize("values", VALUE_SETS.values(), ids=VALUE_SETS.keys())
def test_lint_is_clean(values: dict[str, Any]) -> None:
    report = helm.lint(CHART, values, strict=True, namespace=NAMESPACE, kube_version=f"v{KUBE_VERSION}.0")
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []  # 2 warning, 3 error


@pytest.mark.parametrize("values", VALUE_SETS.values(), ids=VALUE_SETS.keys())
def test_every_rendered_manifest_is_valid(values: dict[str, Any]) -> None:
    objects = render(values)
    assert objects
    for obj in objects:
        if obj["kind"] not in CUSTOM_KINDS:
            kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)


def test_crds_are_valid_and_the_generated_one_is_shipped_unchanged() -> None:
    shipped = crds()
    generated = yaml.safe_load((CHART / "crds/vaultconnections.yaml").read_text())
    assert shipped["vaultconnections.vault.platform.io"] == generated
    # One CRD per kind the operator serves (core/kinds.py), and kopf's peering.
    assert set(shipped) == {kind.crd_name for kind in KINDS} | {"clusterkopfpeerings.kopf.dev"}
    assert "vaultkvsecrets.vault.platform.io" in shipped
    for crd in shipped.values():
        kubernetes_validate.validate(crd, KUBE_VERSION, strict=True)


def test_the_peering_object_matches_its_crd() -> None:
    peering = one(render(PRODUCTION), "ClusterKopfPeering")
    crd = crds()["clusterkopfpeerings.kopf.dev"]
    assert peering["apiVersion"] == f"{crd['spec']['group']}/{crd['spec']['versions'][0]['name']}"
    assert crd["spec"]["scope"] == "Cluster" and "namespace" not in peering["metadata"]
    jsonschema.validate(peering, crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])
    # What kopf writes into it: per-peer keep-alives under .status.
    keepalive = {**peering, "status": {"pod-a": {"priority": 5, "lifetime": 60, "lastseen": "2026-01-01T00:00:00"}}}
    jsonschema.validate(keepalive, crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])


def test_service_monitor_scrapes_the_metrics_service() -> None:
    objects = render(PRODUCTION)
    monitor, service = one(objects, "ServiceMonitor"), one(objects, "Service")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    [endpoint] = monitor["spec"]["endpoints"]
    assert endpoint["port"] == "metrics" and endpoint["path"] == "/metrics"
    assert [p["name"] for p in service["spec"]["ports"]] == ["metrics"]
    assert service["spec"]["ports"][0]["port"] == 9090
    assert not find(render(), "ServiceMonitor")  # off by default


def test_defaults_install_into_the_namespace_and_account_the_guides_assume() -> None:
    objects = render()
    account = one(objects, "ServiceAccount")
    assert account["metadata"] == {**account["metadata"], "name": SERVICE_ACCOUNT, "namespace": NAMESPACE}
    for obj in objects:
        if obj["kind"] not in {"ClusterRole", "ClusterRoleBinding", "ClusterKopfPeering"}:
            assert obj["metadata"]["namespace"] == NAMESPACE, obj["kind"]
    assert one(objects, "Deployment")["spec"]["template"]["spec"]["serviceAccountName"] == SERVICE_ACCOUNT
    # namespace="" means the release namespace (helm install -n ...).
    with chart() as loaded:
        rendered = loaded.render({"namespace": ""}, name="vao", namespace="platform")
    deployment = next(d for d in _docs(rendered["vault-access-operator/templates/deployment.yaml"]))
    assert deployment["metadata"]["namespace"] == "platform"


def test_irsa_annotation_goes_on_the_service_account() -> None:
    account = one(render(PRODUCTION), "ServiceAccount")
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": IRSA_ARN}
    assert "annotations" not in one(render(), "ServiceAccount")["metadata"]


def test_pod_disruption_budget_selects_the_operator_pods() -> None:
    for values, budget in (({}, {"maxUnavailable": 1}), (PRODUCTION, {"minAvailable": 1})):
        objects = render(values)
        pdb = one(objects, "PodDisruptionBudget")
        selector = one(objects, "Deployment")["spec"]["selector"]
        assert pdb["spec"] == {**budget, "selector": selector}


def test_notes_summarise_the_trust_policy() -> None:
    def notes(values: dict[str, Any]) -> str:
        with chart() as loaded:
            rendered = loaded.render(values, name="vault-access-operator", namespace=NAMESPACE, is_install=True)
        return " ".join(rendered["vault-access-operator/templates/NOTES.txt"].split())

    assert (f"may reference Secrets in {NAMESPACE}; tokens may be requested only for {NAMESPACE}/{SERVICE_ACCOUNT} "
            "for at most 1h; Vault addresses: any.") in notes({})
    restricted = notes(RESTRICTED)
    assert f"Secrets in {NAMESPACE}, ci;" in restricted and "team-b/*" in restricted and "at most 20m" in restricted
    assert "Secrets in every namespace;" in notes(EVERYWHERE)
    assert "confined to their namespace's paths where a VaultConnection's spec.tenancy.confinement says so" in notes({})
    assert "confined to their namespace's paths on every connection" in notes(PRODUCTION)
