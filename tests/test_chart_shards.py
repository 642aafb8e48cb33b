"""The chart renders shards from values: one Deployment per shard, each acting on its own objects."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_chart import find, render

SHARDS = [
    {"name": "a", "selector": {"vao-shard": "a"}, "namespaces": ["team-*"], "clusterScoped": True},
    {"name": "b", "selector": {"vao-shard": "b"}, "replicaCount": 2},
]


def _args(deployment: dict[str, Any]) -> list[str]:
    return list(deployment["spec"]["template"]["spec"]["containers"][0]["args"])


def test_one_deployment_per_shard_with_its_flags() -> None:
    objects = render({"shards": SHARDS})
    deployments = {d["metadata"]["name"]: d for d in find(objects, "Deployment")}
    assert sorted(deployments) == ["vault-access-operator-controller-manager-a",
                                   "vault-access-operator-controller-manager-b"]
    a, b = deployments.values()
    assert {"--shard=a", "--shard-namespace=team-*", "--shard-selector=vao-shard=a", "--cluster-scoped",
            "--standalone"} <= set(_args(a))
    assert {"--shard=b", "--shard-selector=vao-shard=b", "--peering=vault-access-operator-b"} <= set(_args(b))
    assert "--cluster-scoped" not in _args(b) and "--standalone" not in _args(b)
    assert (a["spec"]["replicas"], b["spec"]["replicas"]) == (1, 2)
    # Each Deployment selects only its own pods (a shared selector would make them fight over pods).
    selectors = [d["spec"]["selector"]["matchLabels"] for d in (a, b)]
    assert selectors[0] != selectors[1]
    for d in (a, b):
        labels = d["spec"]["template"]["metadata"]["labels"]
        assert all(labels[k] == v for k, v in d["spec"]["selector"]["matchLabels"].items())
    # Peering only where a shard has several replicas, one object per shard.
    assert [p["metadata"]["name"] for p in find(objects, "ClusterKopfPeering")] == ["vault-access-operator-b"]


def test_no_shards_renders_the_single_deployment_as_before() -> None:
    objects = render({"replicaCount": 2})
    (deployment,) = find(objects, "Deployment")
    assert deployment["metadata"]["name"] == "vault-access-operator-controller-manager"
    assert not [a for a in _args(deployment) if a.startswith("--shard")]
    assert "vault.platform.io/shard" not in deployment["spec"]["selector"]["matchLabels"]


@pytest.mark.parametrize(("shards", "message"), [
    ([{"name": "a"}, {"name": "b"}], "exactly one shard must set clusterScoped: true"),
    ([{"name": "a", "clusterScoped": True}, {"name": "b", "clusterScoped": True}], "exactly one shard"),
    ([{"name": "a", "clusterScoped": True}, {"name": "a"}], "the name a is used twice"),
])
def test_inconsistent_shards_fail_the_install(shards: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(Exception, match=message):
        render({"shards": shards})
