"""The deletion gate's kopf handler sees every watch event of every VaultConnection (two per connection at an operator
start: the listing and its own status write). It reads the raw body where it is; only a connection being deleted is
copied, as the gate keeps its body while it waits for the dependants. Counted here: the bodies copied per event."""

from __future__ import annotations

import types
from typing import Any

import pytest

from vault_access_operator import handlers
from vault_access_operator.handlers import build_registry
from vault_access_operator.kinds import VAULT_CONNECTION
from vault_access_operator.shards import ShardSettings

EVENTS = 100


def _raw(i: int, **meta: Any) -> dict[str, Any]:
    return {"apiVersion": VAULT_CONNECTION.api_version, "kind": VAULT_CONNECTION.kind,
            "metadata": {"name": f"vault-{i}", "uid": f"u-{i}", "finalizers": [handlers.FINALIZER], **meta},
            "spec": {"address": "https://vault:8200", "auth": {"kubernetes": {"role": "operator"}}},
            "status": {"phase": "Active", "dependants": {"VaultPolicy": 3}}}


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[tuple[str, dict[str, Any]]], list[Any]]:
    """The registered handler, what it handed the app, and the bodies it deep-copied."""
    handed: list[tuple[str, dict[str, Any]]] = []
    copied: list[Any] = []
    plain = handlers._plain

    def counted(value: Any) -> Any:
        copied.append(value)
        return plain(value)

    monkeypatch.setattr(handlers, "_plain", counted)
    app = types.SimpleNamespace(config=types.SimpleNamespace(shard=ShardSettings()),
                                connection_seen=lambda name, body: handed.append((name, body)))
    registry = build_registry(app)  # type: ignore[arg-type]
    [handler] = [h for h in registry._watching.get_all_handlers() if str(h.id).endswith("connection_seen")]
    return handler.fn, handed, copied


@pytest.mark.asyncio
async def test_events_of_live_connections_copy_no_body(seen: tuple[Any, list[Any], list[Any]]) -> None:
    handler, handed, copied = seen
    bodies = [_raw(i) for i in range(EVENTS)]
    for kind, body in zip(["ADDED", "MODIFIED", None, "DELETED"] * (EVENTS // 4), bodies, strict=True):
        await handler(event={"type": kind, "object": body})
    assert copied == []  # one deep copy per event before
    assert [name for name, _ in handed] == [f"vault-{i}" for i in range(EVENTS) if i % 4 != 3]
    assert all(body is bodies[int(name.split("-")[1])] for name, body in handed)


@pytest.mark.asyncio
async def test_a_connection_being_deleted_is_handed_over_as_a_copy(seen: tuple[Any, list[Any], list[Any]]) -> None:
    handler, handed, copied = seen
    raw = _raw(1, deletionTimestamp="2026-11-30T12:00:00Z")
    await handler(event={"type": "MODIFIED", "object": raw})
    [(name, body)] = handed
    assert (name, body) == ("vault-1", raw) and body is not raw and body["spec"] is not raw["spec"]
    assert copied[0] is raw  # (_plain recurses: the rest are its parts)
