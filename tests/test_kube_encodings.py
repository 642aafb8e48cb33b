"""The API emulator encodes a written object once: its watchers' lines and the write's response share it."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import VAULTPOLICIES


def _watch(kube: FakeKube, since: str, lines: list[dict[str, Any]]) -> threading.Thread:
    def read() -> None:
        lines.extend(kube.watch(VAULTPOLICIES, "a", resource_version=since, timeout_seconds=2))
    thread = threading.Thread(target=read)
    thread.start()
    return thread


def test_a_write_with_two_watchers_encodes_its_object_once(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeKube() as kube:
        kube.ensure_namespace("a")
        body = {"apiVersion": VAULTPOLICIES.api_version, "kind": "VaultPolicy",
                "metadata": {"name": "p", "namespace": "a"}, "spec": {"connectionRef": "vault", "rules": []}}
        since = kube.call("POST", VAULTPOLICIES.url("a"), json=body)["metadata"]["resourceVersion"]
        seen: list[list[dict[str, Any]]] = [[], []]
        watchers = [_watch(kube, since, lines) for lines in seen]
        threading.Event().wait(0.5)  # both watches open before the write
        encoded: list[Any] = []
        original = json.JSONEncoder.encode

        def counting(self: json.JSONEncoder, obj: Any) -> str:
            if threading.current_thread() is not threading.main_thread():  # the emulator's thread
                encoded.append(obj)
            return original(self, obj)

        monkeypatch.setattr(json.JSONEncoder, "encode", counting)
        answer = kube.call("PATCH", VAULTPOLICIES.url("a", "p"), json={"metadata": {"labels": {"x": "y"}}},
                           headers={"Content-Type": "application/merge-patch+json"})
        monkeypatch.undo()
        for watcher in watchers:
            watcher.join(10)
    assert answer["metadata"]["labels"] == {"x": "y"}
    assert [obj for obj in encoded if isinstance(obj, dict)] == [answer]  # once, for the response and both watchers
    assert seen[0] == seen[1] == [{"type": "MODIFIED", "object": answer}]
