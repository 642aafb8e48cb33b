"""The API emulator's request intake: a create's body becomes the stored object without a deep copy, and kmock's
request history keeps the body as sent."""

from __future__ import annotations

import copy
import threading
from typing import Any

import pytest

from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import VAULTPOLICIES


def test_a_create_copies_its_body_without_a_deep_copy_and_leaves_the_recorded_request_as_sent(
        monkeypatch: pytest.MonkeyPatch) -> None:
    deep_copies: list[Any] = []
    deepcopy = copy.deepcopy

    def counting(obj: Any, memo: Any = None) -> Any:
        if threading.current_thread() is not threading.main_thread():
            deep_copies.append(obj)
        return deepcopy(obj, memo)

    with FakeKube() as kube:
        kube.ensure_namespace("a")
        body = {"apiVersion": VAULTPOLICIES.api_version, "kind": "VaultPolicy",
                "metadata": {"name": "p", "namespace": "a"}, "spec": {"connectionRef": "vault", "rules": []}}
        monkeypatch.setattr(copy, "deepcopy", counting)
        created = kube.call("POST", VAULTPOLICIES.url("a"), json=body)
        monkeypatch.undo()
        recorded = list(kube.emulator)[-1]  # type: ignore[arg-type]
    assert deep_copies == []
    assert recorded.data == body  # kmock's history: the body as sent, without what the server added
    assert created["metadata"]["uid"] and created["spec"] == body["spec"]
