"""The API emulator looks each request's HTTP method and resource up once per distinct value (kube_requests),
where kmock's parser walked the method enum twice and built a new resource for every request."""

from __future__ import annotations

import copy
import threading
from typing import Any

import kmock
import pytest
from kmock._internal import enums

from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import VAULTPOLICIES


def test_repeated_requests_parse_no_method_name_and_build_no_resource(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeKube() as kube:
        kube.ensure_namespace("a")
        body = {"apiVersion": VAULTPOLICIES.api_version, "kind": "VaultPolicy",
                "metadata": {"name": "p", "namespace": "a"}, "spec": {"connectionRef": "vault", "rules": []}}
        kube.call("POST", VAULTPOLICIES.url("a"), json=body)
        for method in ("GET", "PATCH"):  # each distinct method and resource once, before counting
            kube.call(method, VAULTPOLICIES.url("a", "p"), json={"metadata": {"labels": {"warm": method}}},
                      headers={"Content-Type": "application/merge-patch+json"})
        names_looked_up: list[str] = []
        resources_built: list[Any] = []
        guess, build = enums.method.guess.__func__, kmock.resource.__init__  # type: ignore[attr-defined]

        def counting_guess(cls: type[enums.method], value: Any) -> Any:
            if type(value) is str and threading.current_thread() is not threading.main_thread():
                names_looked_up.append(value)
            return guess(cls, value)

        def counting_build(self: kmock.resource, *args: Any, **kwargs: Any) -> None:
            if threading.current_thread() is not threading.main_thread():
                resources_built.append(kwargs)
            build(self, *args, **kwargs)

        monkeypatch.setattr(enums.method, "guess", classmethod(counting_guess))
        monkeypatch.setattr(kmock.resource, "__init__", counting_build)
        for n in range(5):
            kube.call("GET", VAULTPOLICIES.url("a", "p"))
            kube.call("GET", VAULTPOLICIES.url("a"))
            kube.call("PATCH", VAULTPOLICIES.url("a", "p"), json={"metadata": {"labels": {"n": str(n)}}},
                      headers={"Content-Type": "application/merge-patch+json"})
        monkeypatch.undo()
        assert kube.call("GET", VAULTPOLICIES.url("a", "p"))["metadata"]["labels"] == {"warm": "PATCH", "n": "4"}
        assert [r.method for r in kube.emulator][-16:-1] == [kmock.method.GET, kmock.method.GET,  # type: ignore[union-attr]
                                                            kmock.method.PATCH] * 5
    assert names_looked_up == []
    assert resources_built == []


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
