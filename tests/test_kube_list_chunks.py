"""The API emulator lists in chunks (``limit`` / ``continue``), as kopf does with settings.watching.chunk_size."""

from __future__ import annotations

from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import VAULTPOLICIES


def _create(kube: FakeKube, namespace: str, name: str) -> None:
    kube.call("POST", VAULTPOLICIES.url(namespace), json={
        "apiVersion": VAULTPOLICIES.api_version, "kind": "VaultPolicy",
        "metadata": {"name": name, "namespace": namespace}, "spec": {"connectionRef": "vault", "rules": []}})


def test_chunks_cover_every_object_once_under_the_first_chunks_resource_version() -> None:
    with FakeKube() as kube:
        for namespace in ("a", "b"):
            kube.ensure_namespace(namespace)
            for index in range(3):
                _create(kube, namespace, f"p{index}")
        whole = kube.call("GET", VAULTPOLICIES.url())
        seen, versions, token, calls = [], set(), "", 0
        while calls == 0 or token:
            calls += 1
            params = {"limit": "4", **({"continue": token} if token else {})}
            chunk = kube.call("GET", VAULTPOLICIES.url(), params=params)
            seen += [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in chunk["items"]]
            versions.add(chunk["metadata"]["resourceVersion"])
            token = chunk["metadata"].get("continue", "")
            if calls == 1:
                _create(kube, "a", "p9")  # created between two chunks: after the first's snapshot
    assert calls == 2 and len(seen) == len(set(seen))
    assert seen[:6] == [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in whole["items"]]
    assert versions == {whole["metadata"]["resourceVersion"]}  # a watch from it replays what came after
    assert "continue" not in whole["metadata"]  # no limit: one answer, as before
