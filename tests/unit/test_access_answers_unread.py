"""The access callers' Kubernetes requests whose 2xx answer nobody reads do not decode it.

The finalizer PATCH (core/access/dependants_gate.py), an adopted object's POST (discovery_adopt.py), the annotation
PATCH (status_writer.py) and the existence GET (dependants.py connection_gone) answer with a whole object; only the
status code is used. Counted against the API emulator, as tests/unit/test_kube_answers_unread.py counts status writes.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Awaitable, Callable
from typing import Any, cast

import pytest

from tests.support.counting_json import CountingJson
from vault_access_operator import kube as kube_module
from vault_access_operator.access.dependants import connection_gone
from vault_access_operator.access.dependants_gate import DEPENDANTS_FINALIZER, DeletionGate, GateApp
from vault_access_operator.access.discovery_adopt import auto_create
from vault_access_operator.access.discovery_hold import DISCOVERY_PENDING
from vault_access_operator.access.discovery_models import DiscoveredResource
from vault_access_operator.access.status_writer import StatusWriter
from vault_access_operator.borrowed import BorrowedClient
from vault_access_operator.kinds import VAULT_POLICY
from vault_access_operator.kube import KubeClient
from vault_access_operator_devkit.kube import FakeKube

ROUNDS = 5
CONNECTION_SPEC = {"address": "http://vault:8200", "auth": {"kubernetes": {"role": "r"}}}



class GateOnlyKube:
    """The one thing DeletionGate.set_finalizer uses of the operator: its Kubernetes client."""

    def __init__(self, kube: KubeClient) -> None:
        self.kube = kube


class PolicyReader:
    """Vault's side of an adoption: one policy read (the answers under test are the API server's)."""

    async def read(self, path: str) -> dict[str, Any]:
        return {"policy": 'path "secret/data/app/*" { capabilities = ["read"] }'}


def decodes(fake_kube: FakeKube, monkeypatch: pytest.MonkeyPatch,
            calls: Callable[[KubeClient], Awaitable[None]]) -> int:
    counting = CountingJson()
    monkeypatch.setattr(kube_module, "json", counting)

    async def scenario() -> int:
        client = KubeClient(fake_kube.connection_info())
        try:
            await calls(client)
            return counting.decoded
        finally:
            await client.close()

    return asyncio.run(scenario())


def test_the_finalizer_patch_decodes_only_the_read_before_it(fake_kube: FakeKube,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    fake_kube.create_vaultconnection("gated", CONNECTION_SPEC)

    async def toggle(client: KubeClient) -> None:
        gate = DeletionGate(cast(GateApp, GateOnlyKube(client)))
        for _ in range(ROUNDS):
            await gate.set_finalizer("gated", True)
            await gate.set_finalizer("gated", False)

    # One GET (its answer is read: the finalizers and resourceVersion) per call; the PATCH answer is not decoded.
    assert decodes(fake_kube, monkeypatch, toggle) == 2 * ROUNDS  # 4 * ROUNDS before
    finalizers = (fake_kube.get_vaultconnection("gated") or {})["metadata"].get("finalizers") or []
    assert DEPENDANTS_FINALIZER not in finalizers


def test_adopting_posts_without_decoding_the_created_objects(fake_kube: FakeKube,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    fake_kube.ensure_namespace("adopt")
    now = datetime.datetime.now(datetime.UTC).isoformat()
    found = [DiscoveredResource.model_validate({"type": "policy", "name": f"hand-{i}", "discoveredAt": now,
                                                "suggestedCRName": f"hand-{i}"}) for i in range(ROUNDS)]
    statuses: list[str | None] = []

    async def adopt(client: KubeClient) -> None:
        out = await auto_create(client, cast(BorrowedClient, PolicyReader()), found, "vault", "adopt", {}, now)
        statuses.extend(entry.adoption_status for entry in out)

    assert decodes(fake_kube, monkeypatch, adopt) == 0  # ROUNDS before: one per created object
    assert statuses == ["pending"] * ROUNDS
    made = fake_kube.list_objects("vaultpolicies", "adopt")
    assert sorted(item["metadata"]["name"] for item in made) == [f"hand-{i}" for i in range(ROUNDS)]


def test_dropping_an_annotation_decodes_no_answer(fake_kube: FakeKube, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_kube.ensure_namespace("team")
    raws = [fake_kube.create("vaultpolicies", {
        "apiVersion": VAULT_POLICY.api_version, "kind": VAULT_POLICY.kind,
        "metadata": {"name": f"p{i}", "namespace": "team", "annotations": {DISCOVERY_PENDING: "true"}},
        "spec": {"connectionRef": "vault", "rules": [{"path": "secret/*", "capabilities": ["read"]}]},
    }) for i in range(ROUNDS)]

    async def drop(client: KubeClient) -> None:
        writer = StatusWriter(client, lambda: datetime.datetime.now(datetime.UTC))
        for raw in raws:
            await writer.drop_annotation(VAULT_POLICY, raw, DISCOVERY_PENDING)

    assert decodes(fake_kube, monkeypatch, drop) == 0  # ROUNDS before
    for i in range(ROUNDS):
        annotations = (fake_kube.get("vaultpolicies", f"p{i}", "team") or {})["metadata"].get("annotations") or {}
        assert DISCOVERY_PENDING not in annotations


def test_asking_whether_a_connection_is_gone_decodes_only_the_404(fake_kube: FakeKube,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    fake_kube.create_vaultconnection("here", CONNECTION_SPEC)
    answers: list[bool] = []

    async def ask(client: KubeClient) -> None:
        for _ in range(ROUNDS):
            answers.append(await connection_gone(client, "here"))
        answers.append(await connection_gone(client, "absent"))  # a 404: an error answer, decoded

    assert decodes(fake_kube, monkeypatch, ask) == 1  # ROUNDS + 1 before
    assert answers == [False] * ROUNDS + [True]
