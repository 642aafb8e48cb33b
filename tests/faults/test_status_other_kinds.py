"""Status writes and events for a namespaced kind other than VaultConnection, through the real client and emulator."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.faults.fake_runtime import T0
from tests.unit.test_conditions_events import _PolicySpec, _PolicyStatus
from vault_access_operator.conditions import Conditions, status_body
from vault_access_operator.events import EventEmitter
from vault_access_operator.kinds import KindDefinition
from vault_access_operator.kube import KubeClient, ObjectStatus
from vault_access_operator.redact import Redactor
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import ResourceSpec

POLICY = KindDefinition(kind="VaultPolicy", plural="vaultpolicies", scope="Namespaced", spec_model=_PolicySpec,
                        status_model=_PolicyStatus)
PATH = "/apis/vault.platform.io/v1alpha1/namespaces/default/vaultpolicies"


@pytest.fixture
def kube() -> Iterator[FakeKube]:
    spec = ResourceSpec("vault.platform.io", "v1alpha1", "vaultpolicies", "VaultPolicy", namespaced=True,
                        subresources=("status",))
    with FakeKube(resources=[spec]) as kube:
        yield kube


def test_a_namespaced_kinds_status_and_events_land_on_its_object(kube: FakeKube) -> None:
    created = kube.call("POST", PATH, json={"apiVersion": POLICY.api_version, "kind": "VaultPolicy",
                                            "metadata": {"name": "p", "namespace": "default"}, "spec": {"rules": "x"}})
    uid = created["metadata"]["uid"]

    async def scenario() -> tuple[bool, bool]:
        client = KubeClient(kube.connection_info())
        try:
            status = _PolicyStatus(conditions=[Conditions([], T0, 1).set("Synced", True, "Succeeded", "synced")])
            written = await ObjectStatus(client, lambda: uid, POLICY, "default").patch_status("p", status_body(status))
            stale = await ObjectStatus(client, lambda: "another-uid", POLICY, "default").patch_status("p", {})

            async def post(involved: dict[str, str], kind: str, reason: str, message: str) -> None:
                await client.post_event(involved, kind, reason, message, involved["namespace"])

            await EventEmitter(lambda: POLICY.ref("p", "default", uid), post, Redactor()).normal("Synced", "synced")
            return written, stale
        finally:
            await client.close()

    assert asyncio.run(scenario()) == (True, False)  # a write for another object of that name is refused
    stored = kube.call("GET", f"{PATH}/p")["status"]
    assert [(c["type"], c["status"], c["observedGeneration"]) for c in stored["conditions"]] == [("Synced", "True", 1)]
    events = kube.list_events("default", involved_name="p")
    assert [(e["involvedObject"]["kind"], e["involvedObject"]["namespace"], e["reason"]) for e in events] == [
        ("VaultPolicy", "default", "Synced")]
