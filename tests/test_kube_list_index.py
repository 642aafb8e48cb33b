"""The API emulator's lists and GETs read an index of live objects (kube_index), not its whole store.

A list of one namespace looks at that namespace's objects only: the operator lists namespace by namespace, and a
walk over every object (and every Event) per list saturated the benchmark's process at 10,000 objects.
"""

from __future__ import annotations

from typing import Any

import pytest

from vault_access_operator_devkit.kube import FakeKube, KubeAPIError
from vault_access_operator_devkit.kube_emulator import KubeEmulator
from vault_access_operator_devkit.kube_resources import VAULTPOLICIES


def _create(kube: FakeKube, namespace: str, name: str) -> dict[str, Any]:
    return kube.call("POST", VAULTPOLICIES.url(namespace), json={  # type: ignore[no-any-return]
        "apiVersion": VAULTPOLICIES.api_version, "kind": "VaultPolicy",
        "metadata": {"name": name, "namespace": namespace}, "spec": {"connectionRef": "vault", "rules": []}})


def _names(answer: dict[str, Any]) -> list[tuple[str, str]]:
    return [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in answer["items"]]


def test_a_namespace_list_looks_at_that_namespaces_objects_only(monkeypatch: pytest.MonkeyPatch) -> None:
    looked_at: list[str] = []
    selected = KubeEmulator._selected

    def counting(self: KubeEmulator, request: Any, obj: dict[str, Any]) -> bool:
        looked_at.append(obj["metadata"]["name"])
        return selected(self, request, obj)

    with FakeKube() as kube:
        for namespace, count in (("small", 2), ("big", 30)):
            kube.ensure_namespace(namespace)
            for index in range(count):
                _create(kube, namespace, f"{namespace}-{index}")
        monkeypatch.setattr(KubeEmulator, "_selected", counting)
        answer = kube.call("GET", VAULTPOLICIES.url("small"))
        assert _names(answer) == [("small", "small-0"), ("small", "small-1")]
        assert sorted(looked_at) == ["small-0", "small-1"]  # not the 30 in "big", nor any other resource's
        looked_at.clear()
        assert len(kube.call("GET", VAULTPOLICIES.url())["items"]) == 32
        assert len(looked_at) == 32


def test_lists_and_gets_follow_updates_and_deletions() -> None:
    with FakeKube() as kube:
        kube.ensure_namespace("a")
        kube.ensure_namespace("b")
        for namespace in ("b", "a"):
            for name in ("p2", "p1"):
                _create(kube, namespace, name)
        assert _names(kube.call("GET", VAULTPOLICIES.url())) == [("a", "p1"), ("a", "p2"), ("b", "p1"), ("b", "p2")]
        patched = kube.call("PATCH", VAULTPOLICIES.url("a", "p1"), json={"metadata": {"labels": {"x": "y"}}},
                            headers={"Content-Type": "application/merge-patch+json"})
        fetched = kube.call("GET", VAULTPOLICIES.url("a", "p1"))
        assert fetched == patched and fetched["metadata"]["labels"] == {"x": "y"}
        assert kube.call("GET", VAULTPOLICIES.url("a"), params={"labelSelector": "x=y"})["items"] == [fetched]
        kube.call("DELETE", VAULTPOLICIES.url("a", "p2"))
        assert _names(kube.call("GET", VAULTPOLICIES.url("a"))) == [("a", "p1")]
        with pytest.raises(KubeAPIError) as gone:
            kube.call("GET", VAULTPOLICIES.url("a", "p2"))
        assert gone.value.status == 404
        kube.call("DELETE", "/api/v1/namespaces/b")  # the namespace's objects go with it
        assert _names(kube.call("GET", VAULTPOLICIES.url())) == [("a", "p1")]
        recreated = _create(kube, "a", "p2")
        assert kube.call("GET", VAULTPOLICIES.url("a", "p2")) == recreated


def test_a_watch_from_a_resource_version_replays_only_what_came_after_it() -> None:
    with FakeKube() as kube:
        kube.ensure_namespace("a")
        _create(kube, "a", "before")
        since = kube.call("GET", VAULTPOLICIES.url())["metadata"]["resourceVersion"]
        _create(kube, "a", "after")
        kube.create_service_account("a", "not-a-policy")  # another resource's event in between
        kube.call("PATCH", VAULTPOLICIES.url("a", "before"), json={"spec": {"rules": []}, "metadata": {
            "labels": {"edited": "yes"}}}, headers={"Content-Type": "application/merge-patch+json"})
        events = kube.watch(VAULTPOLICIES, resource_version=since, timeout_seconds=1)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "after"),
                                                                             ("MODIFIED", "before")]
