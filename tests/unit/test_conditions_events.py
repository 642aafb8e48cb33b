"""The building blocks every kind's status and events use: conditions, the event emitter, kind definitions."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import yaml

from vault_access_operator.conditions import Condition, Conditions, StatusModel, find, status_body
from vault_access_operator.crd import render_crds
from vault_access_operator.events import EVENT_MESSAGE_LIMIT, EventEmitter, ObjectRef
from vault_access_operator.kinds import VAULT_CONNECTION, KindDefinition, PrinterColumn
from vault_access_operator.models import SpecModel
from vault_access_operator.redact import Redactor

T0 = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)
LATER = T0 + datetime.timedelta(minutes=5)


def test_a_condition_keeps_its_transition_time_until_its_status_flips() -> None:
    first = Conditions([], T0, 1)
    first.set("Synced", True, "Succeeded", "policy synced to Vault")
    again = Conditions(first.all(), LATER, 2)
    synced = again.set("Synced", True, "Succeeded", "policy synced to Vault")
    assert synced.last_transition_time == "2026-01-01T12:00:00Z" and synced.observed_generation == 2
    flipped = Conditions(again.all(), LATER, 2).set("Synced", False, "VaultSealed", "Vault is sealed")
    assert flipped.last_transition_time == "2026-01-01T12:05:00Z"
    unknown = Conditions([flipped], LATER + datetime.timedelta(hours=1), 2)
    assert unknown.set("Synced", "Unknown", "Checking").last_transition_time == "2026-01-01T13:05:00Z"


def test_keep_carries_a_condition_over_and_the_order_is_the_order_set() -> None:
    previous = Conditions([], T0, 1)
    previous.set("Drifted", False, "NoDrift")
    built = Conditions(previous.all(), LATER, 3)
    built.set("Ready", True, "Succeeded")
    assert built.keep("Drifted") == find(previous.all(), "Drifted")
    assert built.keep("DryRun") is None
    assert [c.type for c in built.all()] == ["Ready", "Drifted"]


class _Status(StatusModel):
    observed_generation: int | None = None
    conditions: list[Condition] = []


def test_status_body_is_camel_case_without_nulls_and_models_forbid_extra_keys() -> None:
    status = _Status(conditions=Conditions([], T0, None).all())
    assert status_body(status) == {"conditions": []}
    status = _Status(observed_generation=4, conditions=[Conditions([], T0, 4).set("Ready", False, "Failed", "x")])
    assert status_body(status)["conditions"][0]["lastTransitionTime"] == "2026-01-01T12:00:00Z"
    with pytest.raises(ValueError, match="Extra inputs"):
        _Status.model_validate({"observedGeneration": 1, "drift": True})


class _Posted:
    def __init__(self) -> None:
        self.events: list[tuple[dict[str, str], str, str, str]] = []

    async def __call__(self, involved: dict[str, str], kind: str, reason: str, message: str) -> None:
        self.events.append((involved, kind, reason, message))


class _Counting(Redactor):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def __call__(self, text: str) -> str:
        self.calls += 1
        return super().__call__(text)


@pytest.mark.asyncio
async def test_the_emitter_masks_and_clips_once_and_names_any_object() -> None:
    posted, redactor = _Posted(), _Counting()
    redactor.remember("s3cr3t-value-123")
    ref = ObjectRef("vault.platform.io/v1alpha1", "VaultPolicy", "p", namespace="team-a", uid="u-1")
    emitter = EventEmitter(lambda: ref, posted, redactor)
    await emitter.normal("Synced", "wrote s3cr3t-value-123 " + "x" * 5000)
    involved, kind, reason, message = posted.events[0]
    assert involved == {"apiVersion": "vault.platform.io/v1alpha1", "kind": "VaultPolicy", "name": "p",
                        "namespace": "team-a", "uid": "u-1"}
    assert (kind, reason) == ("Normal", "Synced") and "s3cr3t" not in message
    assert len(message) <= EVENT_MESSAGE_LIMIT and redactor.calls == 1
    await emitter.post("Warning", "Failed", "already masked", masked=True)
    assert redactor.calls == 1 and posted.events[-1][3] == "already masked"


@pytest.mark.asyncio
async def test_a_warning_is_posted_once_per_reason_until_rearmed() -> None:
    posted = _Posted()
    emitter = EventEmitter(lambda: VAULT_CONNECTION.ref("c", namespace="ignored"), posted, Redactor())
    sent = [await emitter.warning_once(r, "m") for r in ("VaultSealed", "VaultSealed", "LoginDenied", "VaultSealed")]
    assert sent == [True, False, True, False]
    emitter.rearm("VaultSealed")
    assert await emitter.warning_once("VaultSealed", "m") and not await emitter.warning_once("LoginDenied", "m")
    emitter.rearm()
    assert await emitter.warning_once("LoginDenied", "m")
    assert posted.events[0][0] == {"apiVersion": "vault.platform.io/v1alpha1", "kind": "VaultConnection", "name": "c"}


@pytest.mark.asyncio
async def test_a_failed_post_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    async def down(*_: Any) -> None:
        raise ConnectionError("API server down")

    await EventEmitter(lambda: VAULT_CONNECTION.ref("c"), down, Redactor()).normal("Active", "m")
    assert "VaultConnection c: event not posted: API server down" in caplog.text


class _PolicySpec(SpecModel):
    rules: str


class _PolicyStatus(StatusModel):
    conditions: list[Condition] = []


def test_crds_renders_one_document_per_kind_with_its_names_scope_and_columns() -> None:
    policy = KindDefinition(kind="VaultPolicy", plural="vaultpolicies", scope="Namespaced", spec_model=_PolicySpec,
                            status_model=_PolicyStatus, short_names=("vp",),
                            printer_columns=(PrinterColumn("Phase", "string", ".status.phase"),))
    documents = list(yaml.safe_load_all(render_crds([VAULT_CONNECTION, policy])))
    assert [d["metadata"]["name"] for d in documents] == ["vaultconnections.vault.platform.io",
                                                          "vaultpolicies.vault.platform.io"]
    spec = documents[1]["spec"]
    assert spec["scope"] == "Namespaced" and spec["names"] == {
        "kind": "VaultPolicy", "listKind": "VaultPolicyList", "plural": "vaultpolicies", "singular": "vaultpolicy",
        "shortNames": ["vp"]}
    version = spec["versions"][0]
    assert version["additionalPrinterColumns"] == [{"name": "Phase", "type": "string", "jsonPath": ".status.phase"}]
    schema = version["schema"]["openAPIV3Schema"]["properties"]
    assert schema["spec"]["required"] == ["rules"] and "conditions" in schema["status"]["properties"]
    assert "shortNames" not in documents[0]["spec"]["names"]  # VaultConnection has none, as upstream
