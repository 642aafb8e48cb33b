"""Spec changes of the connections this replica serves, read from kopf's live bodies.

kopf hands each daemon a live view of its object, replaced on every watch event. Most of those
events are the operator's own status writes, and an ``on.event`` handler costs a kopf handler
invocation for each one (a noticeable share of the operator's CPU when many connections log in:
bench/README.md). One task here compares each object's ``metadata.generation``, which the API server
bumps on spec changes only, with the generation last applied, and a spec change is applied within
``interval``. kopf swaps a new raw dict into the live body on each watch event, so a body whose raw dict is
the one already looked at is skipped with one identity test: in steady state (no events) a check reads no
generation at all (reading them through kopf's mapping views was 7% of a steady operator's busy samples
with 1,000 connections: bench/README.md, session 8).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

log = logging.getLogger(__name__)
FOLLOW_INTERVAL = 1.0

Apply = Callable[[str, int | None, dict[str, Any], str | None], Awaitable[None]]  # name, generation, spec, uid


def uid_of(body: Mapping[str, Any]) -> str | None:
    uid = (body.get("metadata") or {}).get("uid")
    return uid if isinstance(uid, str) else None


def source_of(body: Mapping[str, Any]) -> object | None:
    """The raw dict behind kopf's live body, replaced (never changed in place) on each watch event; None for
    any other mapping (it is then read at every check)."""
    return getattr(body, "_src", None)


def generation_of(body: Mapping[str, Any]) -> int | None:
    generation = (body.get("metadata") or {}).get("generation")
    return generation if isinstance(generation, int) else None


class SpecFollower:
    """Calls ``apply(name, generation, spec, uid)`` when a followed object's generation moves on."""

    def __init__(self, apply: Apply, interval: float = FOLLOW_INTERVAL) -> None:
        self._apply = apply
        self.interval = interval
        self._bodies: dict[str, Mapping[str, Any]] = {}
        self._applied: dict[str, int | None] = {}
        self._applying: dict[str, asyncio.Task[None]] = {}
        self._looked_at: dict[str, object] = {}  # name -> the raw body its last check settled on (source_of)

    def follow(self, name: str, body: Mapping[str, Any], applied: int | None) -> None:
        """Follow ``body`` (a live view), whose spec at generation ``applied`` is the one running."""
        self._bodies[name], self._applied[name] = body, applied
        self._looked_at.pop(name, None)

    async def unfollow(self, name: str, uid: str | None = None) -> None:
        """Stop following ``name`` (if it is still the object ``uid``: a new object of the same name may have
        taken over); return once an apply already started for it has finished (so the caller's removal of
        the connection cannot be overtaken by it)."""
        body = self._bodies.get(name)
        if body is not None and uid is not None and uid_of(body) not in (None, uid):
            return  # the followed body is the new object's: its daemon unfollows it
        self._bodies.pop(name, None)
        self._applied.pop(name, None)
        self._looked_at.pop(name, None)
        running = self._applying.get(name)
        if running is not None:
            await asyncio.wait([running])

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.check()

    def check(self) -> None:
        looked_at = self._looked_at
        for name, body in list(self._bodies.items()):
            source = source_of(body)
            if source is not None and looked_at.get(name) is source:
                continue  # no watch event since this body was last settled
            if name in self._applying:
                continue  # an apply is still running: the next check sees what it missed
            generation = generation_of(body)
            if source is not None:
                looked_at[name] = source
            if generation == self._applied.get(name):
                continue  # a status write, or an event that changed no spec
            if (body.get("metadata") or {}).get("deletionTimestamp"):
                continue  # its daemon is being stopped
            self._applied[name] = generation
            spec = dict(body.get("spec") or {})
            task = asyncio.create_task(self._apply_logged(name, generation, spec, uid_of(body)), name=f"spec/{name}")
            self._applying[name] = task
            task.add_done_callback(functools.partial(self._done, name))

    def _done(self, name: str, _: asyncio.Task[None]) -> None:
        self._applying.pop(name, None)

    async def _apply_logged(self, name: str, generation: int | None, spec: dict[str, Any], uid: str | None) -> None:
        try:
            await self._apply(name, generation, spec, uid)
        except Exception:  # one connection's failure must not stop the others from being followed
            log.exception("VaultConnection %s: the changed spec was not applied", name)

    async def close(self) -> None:
        tasks = list(self._applying.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
