"""A new access object whose connection is at its first login waits for it silently: no status, no warning.

At a start (or when objects are applied with their connection) a pass that ran before the login wrote
``ConnectionNotReady`` with a warning event, then ``Active`` with a ``Synced`` one a moment later; at 1,000 objects
in bench.access_sync 107 objects made that detour, and 69 roles said "not synced yet" about such a policy. Counted
here: status writes and events. A failed login, or a connection that does not exist, is still reported at once.

The same holds for a connection the API server has but the registry does not show yet (kopf watches the kinds on
separate streams: 15 of 1,000 objects of one bench.access run said ``ConnectionNotFound`` for a moment): one GET,
shared by every object naming it, tells it from a typo.
"""

from __future__ import annotations

import asyncio
import datetime
from collections import Counter
from typing import Any

import pytest

from vault_access_operator.access.controller import AccessController
from vault_access_operator.access.policy_adapter import PolicyAdapter
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.connections import ConnectionRegistry
from vault_access_operator.kinds import VAULT_POLICY
from vault_access_operator.status import Observation


class Sink:
    """The API server, as far as status writes and events go."""

    def __init__(self, connections: tuple[str, ...] = ()) -> None:
        self.statuses: Counter[str] = Counter()
        self.events: list[tuple[str, str]] = []
        self.connections, self.reads = connections, Counter[str]()

    async def request(self, method: str, path: str, **_: Any) -> tuple[int, Any]:
        name = path.rsplit("/", 1)[-1]
        self.reads[name] += 1
        return (200, {"metadata": {"name": name}}) if name in self.connections else (404, None)

    async def patch_status(self, name: str, status: dict[str, Any], uid: str | None = None, **_: Any) -> bool:
        self.statuses[name] += 1
        return True

    async def post(self, involved: dict[str, str], kind: str, reason: str, message: str) -> None:
        self.events.append((involved["name"], reason))


def _policy(name: str, connection: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "team", "uid": f"uid-{name}", "generation": 1},
            "spec": {"connectionRef": connection, "rules": [{"path": "secret/data/x", "capabilities": ["read"]}]}}


async def _quiet() -> None:
    for _ in range(20):
        await asyncio.sleep(0.01)


@pytest.mark.asyncio
async def test_new_objects_wait_silently_for_a_first_login_only() -> None:
    registry, sink = ConnectionRegistry(), Sink(connections=("vault", "late"))
    controller = AccessController(registry, sink, sink.post, AccessSettings(),  # type: ignore[arg-type]
                                  lambda: datetime.datetime.now(datetime.UTC))
    adapter = PolicyAdapter(VAULT_POLICY, AccessSettings())
    registry.attach("vault", Observation(generation=1, method="kubernetes"), None)  # waiting for the first login
    controller.observe(adapter, _policy("early", "vault"))
    controller.observe(adapter, _policy("typo", "no-such-connection"))
    controller.observe(adapter, _policy("before-its-connection-1", "late"))  # the API has it, the registry not yet
    controller.observe(adapter, _policy("before-its-connection-2", "late"))
    await _quiet()
    assert sink.statuses == {"typo": 1}  # the missing connection is said at once; the first login is waited for
    assert sink.events == [("typo", "ConnectionNotFound")]
    assert sink.reads == {"no-such-connection": 1, "late": 1}  # one read per name, shared; none for "vault"

    # The late connection shows up and its first login fails: its objects were held, not lost, and say so now.
    registry.attach("late", Observation(generation=1, method="kubernetes", phase="Error", reason="LoginFailed",
                                        message="permission denied"), None)
    await _quiet()
    assert sink.statuses == {"typo": 1, "before-its-connection-1": 1, "before-its-connection-2": 1}
    assert sorted(sink.events[-2:]) == [("before-its-connection-1", "ConnectionNotReady"),
                                        ("before-its-connection-2", "ConnectionNotReady")]

    # The first login fails: the waiting object says so now.
    registry.attach("vault", Observation(generation=1, method="kubernetes", phase="Error", reason="LoginFailed",
                                         message="permission denied"), None)
    await _quiet()
    assert sink.statuses["early"] == 1
    assert sink.events[-1] == ("early", "ConnectionNotReady")
    await controller.close()
