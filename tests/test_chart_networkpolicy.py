"""The chart's optional NetworkPolicy: egress to Vault, the API server, DNS and what is listed; ingress
only to the metrics and liveness ports, from the listed peers."""

from __future__ import annotations

from typing import Any

import kubernetes_validate

from tests.test_chart import KUBE_VERSION, PRODUCTION, RESTRICTED, container, find, one, render

KUBE_DNS = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
             "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}]
DNS_RULE = {"to": KUBE_DNS, "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}


def policy(values: dict[str, Any]) -> dict[str, Any]:
    found = one(render(values), "NetworkPolicy")
    kubernetes_validate.validate(found, KUBE_VERSION, strict=True)
    return found["spec"]  # type: ignore[no-any-return]


def enabled(**settings: Any) -> dict[str, Any]:
    return {"networkPolicy": {"enabled": True, **settings}}


def test_only_rendered_when_enabled() -> None:
    for values in ({}, PRODUCTION):
        assert not find(render(values), "NetworkPolicy")
    assert one(render(enabled()), "NetworkPolicy")


def test_it_selects_the_operator_pods_and_governs_both_directions() -> None:
    objects = render(enabled())
    spec = one(objects, "NetworkPolicy")["spec"]
    assert spec["podSelector"] == one(objects, "Deployment")["spec"]["selector"]
    assert spec["policyTypes"] == ["Ingress", "Egress"]


def test_with_nothing_listed_only_dns_goes_out_and_nothing_comes_in() -> None:
    spec = policy(enabled())
    assert spec["ingress"] == []  # never a rule without peers: that would admit everyone
    assert spec["egress"] == [DNS_RULE]
    assert policy(enabled(dns={"enabled": False}))["egress"] == []


def test_vault_entries_become_ip_blocks_with_their_ports() -> None:
    spec = policy(enabled(vault=[{"cidr": "10.20.0.0/16", "except": ["10.20.9.0/24"], "ports": [8200, 8201]},
                                 {"cidr": "192.0.2.10/32"}], dns={"enabled": False}))
    assert spec["egress"] == [
        {"to": [{"ipBlock": {"cidr": "10.20.0.0/16", "except": ["10.20.9.0/24"]}}],
         "ports": [{"port": 8200, "protocol": "TCP"}, {"port": 8201, "protocol": "TCP"}]},
        {"to": [{"ipBlock": {"cidr": "192.0.2.10/32"}}], "ports": [{"port": 8200, "protocol": "TCP"}]},
    ]


def test_api_server_addresses_on_443_and_6443() -> None:
    spec = policy(enabled(apiServer={"cidrs": ["172.20.0.1/32", "fd00::1/128"]}, dns={"enabled": False}))
    assert spec["egress"] == [
        {"to": [{"ipBlock": {"cidr": "172.20.0.1/32"}}, {"ipBlock": {"cidr": "fd00::1/128"}}],
         "ports": [{"port": 443, "protocol": "TCP"}, {"port": 6443, "protocol": "TCP"}]}]


def test_extra_egress_and_dns_peers_are_passed_through() -> None:
    sts = {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}], "ports": [{"port": 443}]}
    node_local = [{"ipBlock": {"cidr": "169.254.20.10/32"}}]
    spec = policy(enabled(extraEgress=[sts], dns={"to": node_local}))
    assert spec["egress"] == [{**DNS_RULE, "to": node_local}, sts]


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
