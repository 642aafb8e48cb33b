"""The chart's optional NetworkPolicy: egress to Vault, the API server, DNS and what is listed; ingress
only to the metrics and liveness ports, from the listed peers."""

from __future__ import annotations

from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest

from tests.test_chart import KUBE_VERSION, PRODUCTION, RESTRICTED, container, find, one, render

VAULT = [{"cidr": "10.20.0.0/16"}]
API_SERVER = {"cidrs": ["172.20.0.1/32"]}

KUBE_DNS = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
             "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}]
DNS_RULE = {"to": KUBE_DNS, "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}


def policy(values: dict[str, Any]) -> dict[str, Any]:
    found = one(render(values), "NetworkPolicy")
    kubernetes_validate.validate(found, KUBE_VERSION, strict=True)
    return found["spec"]  # type: ignore[no-any-return]


def enabled(**settings: Any) -> dict[str, Any]:
    """networkPolicy on, with Vault and the API server somewhere unless ``settings`` say otherwise."""
    return {"networkPolicy": {"enabled": True, "vault": VAULT, "apiServer": API_SERVER, **settings}}


VAULT_RULE = {"to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}], "ports": [{"port": 8200, "protocol": "TCP"}]}
API_RULE = {"to": [{"ipBlock": {"cidr": "172.20.0.1/32"}}],
            "ports": [{"port": 443, "protocol": "TCP"}, {"port": 6443, "protocol": "TCP"}]}


def test_only_rendered_when_enabled() -> None:
    for values in ({}, PRODUCTION):
        assert not find(render(values), "NetworkPolicy")
    assert one(render(enabled()), "NetworkPolicy")


def test_it_selects_the_operator_pods_and_governs_both_directions() -> None:
    objects = render(enabled())
    spec = one(objects, "NetworkPolicy")["spec"]
    assert spec["podSelector"] == one(objects, "Deployment")["spec"]["selector"]
    assert spec["policyTypes"] == ["Ingress", "Egress"]


def test_egress_is_vault_the_api_server_and_dns_and_nothing_comes_in_unless_listed() -> None:
    spec = policy(enabled())
    assert spec["ingress"] == []  # never a rule without peers: that would admit everyone
    assert spec["egress"] == [VAULT_RULE, API_RULE, DNS_RULE]
    assert policy(enabled(dns={"enabled": False}))["egress"] == [VAULT_RULE, API_RULE]


@pytest.mark.parametrize(("missing", "setting"), [("apiServer", "networkPolicy.apiServer.cidrs"),
                                                  ("vault", "networkPolicy.vault")])
def test_a_policy_that_cuts_off_the_api_server_or_vault_is_refused(missing: str, setting: str) -> None:
    values = enabled()
    values["networkPolicy"][missing] = {"cidrs": []} if missing == "apiServer" else []
    with pytest.raises(helm.HelmError, match=setting):
        render(values)
    # An extraEgress rule may reach it instead (a podSelector for an in-cluster Vault, say).
    in_cluster = {"to": [{"podSelector": {"matchLabels": {"app": "vault"}}}], "ports": [{"port": 8200}]}
    values["networkPolicy"]["extraEgress"] = [in_cluster]
    assert in_cluster in policy(values)["egress"]


def test_vault_entries_become_ip_blocks_with_their_ports() -> None:
    spec = policy(enabled(vault=[{"cidr": "10.20.0.0/16", "except": ["10.20.9.0/24"], "ports": [8200, 8201]},
                                 {"cidr": "192.0.2.10/32"}], dns={"enabled": False}))
    assert spec["egress"][:2] == [
        {"to": [{"ipBlock": {"cidr": "10.20.0.0/16", "except": ["10.20.9.0/24"]}}],
         "ports": [{"port": 8200, "protocol": "TCP"}, {"port": 8201, "protocol": "TCP"}]},
        {"to": [{"ipBlock": {"cidr": "192.0.2.10/32"}}], "ports": [{"port": 8200, "protocol": "TCP"}]},
    ]


def test_api_server_addresses_on_443_and_6443() -> None:
    spec = policy(enabled(apiServer={"cidrs": ["172.20.0.1/32", "fd00::1/128"]}, dns={"enabled": False}))
    assert spec["egress"][1:] == [
        {"to": [{"ipBlock": {"cidr": "172.20.0.1/32"}}, {"ipBlock": {"cidr": "fd00::1/128"}}],
         "ports": [{"port": 443, "protocol": "TCP"}, {"port": 6443, "protocol": "TCP"}]}]


def test_extra_egress_and_dns_peers_are_passed_through() -> None:
    sts = {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}], "ports": [{"port": 443}]}
    node_local = [{"ipBlock": {"cidr": "169.254.20.10/32"}}]
    spec = policy(enabled(extraEgress=[sts], dns={"to": node_local}))
    assert spec["egress"] == [VAULT_RULE, API_RULE, {**DNS_RULE, "to": node_local}, sts]


def test_ingress_only_to_metrics_and_liveness_from_the_listed_peers() -> None:
    monitoring = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]
    objects = render(enabled(metricsFrom=monitoring))
    [rule] = one(objects, "NetworkPolicy")["spec"]["ingress"]
    assert rule == {"from": monitoring,
                    "ports": [{"port": "metrics", "protocol": "TCP"}, {"port": "health", "protocol": "TCP"}]}
    # The named ports are the container's.
    assert {p["name"] for p in container(objects)["ports"]} == {"metrics", "health"}
    # Without metrics, only the liveness port.
    [rule] = policy({**enabled(metricsFrom=monitoring), "metrics": {"enabled": False}})["ingress"]
    assert rule["ports"] == [{"port": "health", "protocol": "TCP"}]


def test_the_restricted_example_validates() -> None:
    spec = policy(RESTRICTED)
    assert len(spec["egress"]) == 4 and len(spec["ingress"]) == 1
