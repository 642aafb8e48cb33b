"""What the access controller holds per idle object besides its record: tracemalloc bytes, blocks and asyncio tasks.

N objects are observed by a real AccessController whose passes end well at once (no Vault, no API server: a
status sink accepts every write), so that each object is synced and waits for its next drift check, as nearly
every object of a large cluster does nearly all the time. Measured once all passes are done and the loop is
idle; the record's own JSON is counted apart (``kept``) so that the figure is what the scheduling costs.

    python -m bench.idle_objects --objects 1000,3000 [--uvloop]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import json
import sys
import tracemalloc
from typing import Any

from vault_access_operator.access.controller import AccessController
from vault_access_operator.access.outcome import Outcome
from vault_access_operator.access.policy_delete import Deletion
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.connections import ConnectionRegistry
from vault_access_operator.kinds import VAULT_POLICY


class _Synced:
    """Every pass ends well and asks for the next drift check, as a synced object's does."""

    kind = VAULT_POLICY

    def __init__(self) -> None:
        self.passes = 0

    async def run_pass(self, raw: dict[str, Any], handle: object, drift_check: bool) -> Outcome:
        self.passes += 1
        return Outcome("Active", (True, "Succeeded", "synced"), "resync")

    async def run_delete(self, raw: dict[str, Any], handle: object) -> Deletion:
        return Deletion(True, "Deleted", "")


class _Sink:
    async def patch_status(self, name: str, status: dict[str, Any], uid: str | None = None, **_: Any) -> bool:
        return True

    async def request(self, method: str, path: str, **_: Any) -> tuple[int, Any]:
        return 404, None


async def _no_event(involved: dict[str, str], kind: str, reason: str, message: str) -> None:
    pass


def _body(i: int) -> dict[str, Any]:
    return {"metadata": {"name": f"p{i}", "namespace": f"team-{i % 50}", "uid": f"u{i}", "generation": 1},
            "spec": {"connectionRef": "vault", "rules": [{"path": f"secret/data/{i}/*", "capabilities": ["read"]}]}}


async def measure(count: int) -> dict[str, Any]:
    """Figures for ``count`` idle synced objects (per object: minus the same controller holding none)."""
    controller = AccessController(ConnectionRegistry(), _Sink(), _no_event,  # type: ignore[arg-type]
                                  AccessSettings(), lambda: datetime.datetime.now(datetime.UTC))
    adapter = _Synced()
    bodies = [_body(i) for i in range(count)]
    await asyncio.sleep(0)
    gc.collect()
    tasks_before = len(asyncio.all_tasks())
    blocks_before = sys.getallocatedblocks()
    traced_before = tracemalloc.get_traced_memory()[0]
    for body in bodies:
        controller.observe(adapter, body)
    for _ in range(10_000):
        await asyncio.sleep(0.001)
        if adapter.passes >= count:
            break
    for _ in range(20):
        await asyncio.sleep(0.005)  # the last passes' tasks end (or the workers reach their wait)
    gc.collect()
    traced = tracemalloc.get_traced_memory()[0] - traced_before
    blocks = sys.getallocatedblocks() - blocks_before
    tasks = len(asyncio.all_tasks()) - tasks_before
    kept = sum(t.kept_bytes for t in controller._objects.values())
    figures = {"objects": count, "passes": adapter.passes, "tasks": tasks,
               "bytes_per_object": round(traced / count), "json_bytes_per_object": round(kept / count),
               "bytes_per_object_besides_json": round((traced - kept) / count),
               "blocks_per_object": round(blocks / count, 1)}
    await controller.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", default="1000,3000", help="comma-separated object counts")
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop, as the operator's run command does")
    args = parser.parse_args()
    tracemalloc.start()
    for count in (int(n) for n in args.objects.split(",")):
        if args.uvloop:
            import uvloop

            figures = uvloop.run(measure(count))
        else:
            figures = asyncio.run(measure(count))
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
