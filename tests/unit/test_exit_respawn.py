"""An operator that exits serves no connection again: kopf respawns a daemon it stopped for an event still queued.

kopf stops every daemon when the operator exits (OPERATOR_EXITING), but a daemon stopped for a reason may be
spawned again by the next watch event of its object, and events queued before the exit are still processed
while it stops. The respawned daemon used to serve the connection again: a new runtime, Pending until a login
that never came, and every synced object of that connection reported "waiting for the first login" on the way
out (up to 287 of 300 policies in a benchmark run); the next start then wrote them back.
"""

from __future__ import annotations

import types
from typing import Any, cast

import kopf
import pytest

from vault_access_operator.handlers import build_registry


class _App:
    """What the connection daemon calls, recorded."""

    def __init__(self) -> None:
        self.exiting = False
        self.calls: list[str] = []
        self.config = types.SimpleNamespace(shard=types.SimpleNamespace(cluster_scoped=True, owns=lambda body: True,
                                                                    owns_every_object=True))
        self.specs = types.SimpleNamespace(follow=lambda *a: self.calls.append("follow"), unfollow=self._unfollow)

    async def _unfollow(self, *_: Any) -> None:
        self.calls.append("unfollow")

    async def reconcile(self, *_: Any) -> None:
        self.calls.append("reconcile")

    async def release(self, *_: Any) -> None:
        self.calls.append("release")


class _Stopped:
    def __init__(self, reason: kopf.DaemonStoppingReason) -> None:
        self.reason = reason

    async def wait(self) -> None:
        return None


def _hold(app: _App) -> Any:
    registry = build_registry(app)  # type: ignore[arg-type]
    handlers = [h for h in registry._spawning.get_all_handlers() if str(h.id).endswith("hold")]
    assert len(handlers) == 1
    return handlers[0].fn


async def _run(hold: Any, reason: kopf.DaemonStoppingReason) -> None:
    # kopf's RawMeta has no generation field: the body is cast to what kopf.Body takes.
    body = kopf.Body(cast(kopf.RawBody, {"metadata": {"name": "vault", "uid": "u1", "generation": 1}, "spec": {}}))
    await hold(name="vault", uid="u1", body=body, spec=body.spec, stopped=_Stopped(reason))


@pytest.mark.asyncio
async def test_a_daemon_spawned_again_while_the_operator_exits_serves_nothing() -> None:
    app = _App()
    hold = _hold(app)
    await _run(hold, kopf.DaemonStoppingReason.OPERATOR_EXITING)
    assert app.calls == ["reconcile", "follow", "unfollow", "release"] and app.exiting

    app.calls.clear()
    await _run(hold, kopf.DaemonStoppingReason.OPERATOR_EXITING)  # respawned by a queued event
    assert app.calls == []


@pytest.mark.asyncio
async def test_a_paused_replica_serves_again_when_resumed() -> None:
    """Losing the peering lead is not an exit: the daemon kopf spawns after the pause serves the connection."""
    app = _App()
    hold = _hold(app)
    await _run(hold, kopf.DaemonStoppingReason.OPERATOR_PAUSING)
    await _run(hold, kopf.DaemonStoppingReason.OPERATOR_PAUSING)
    assert app.calls.count("reconcile") == 2 and not app.exiting
