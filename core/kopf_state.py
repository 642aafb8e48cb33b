"""kopf's per-object state for kinds whose kopf handlers never need it written onto the object.

The access kinds (VaultPolicy, VaultRole, ...) use kopf only for watch events and for the deletion behind the
finalizer; their controller keeps what it needs in memory. kopf's diff-base (the "last-handled-configuration"
annotation) would cost each object a second PATCH on its first sight, and another watch event for kopf, the
controller and every other watcher to process; its progress records would cost a PATCH per retry of a deletion
Vault refuses. For those kinds no diff-base is built or stored, and the progress lives in this process. Every
other kind (VaultConnection) keeps kopf's progress annotations; core/handlers.py gives it no diff-base either
(no handler of it compares one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import kopf

Kinds = frozenset[tuple[str, str]]  # (apiVersion, kind)


def _raw(body: kopf.Body) -> Mapping[str, Any]:
    """The plain dict behind kopf's body (as core/follow.py reads it), else the body itself. kopf asks these storages
    four to six times per watch event, and each key read through its view walks a parsed path (a question was
    1.5 µs, 0.3 µs now): with three watch events per access object, 0.65 to 0.85% of the operator's CPU in an initial
    sync before (bench/README.md, session 10)."""
    raw = getattr(body, "_src", None)
    return raw if isinstance(raw, dict) and getattr(body, "_path", None) == () else body


def _of(body: kopf.Body, kinds: Kinds) -> bool:
    raw = _raw(body)
    return (raw.get("apiVersion"), raw.get("kind")) in kinds


def _uid(body: kopf.Body) -> str:
    uid = (_raw(body).get("metadata") or {}).get("uid")
    return uid if isinstance(uid, str) else ""


class StatelessDiffBase(kopf.DiffBaseStorage):
    """No diff-base for ``kinds``: every event looks unchanged to kopf (their on.event handlers see all events,
    and an on.delete handler needs no diff). ``others`` serves every other kind."""

    def __init__(self, others: kopf.DiffBaseStorage, kinds: Iterable[tuple[str, str]]) -> None:
        super().__init__()
        self.others, self.kinds = others, frozenset(kinds)

    def build(self, *, body: kopf.Body, extra_fields: Iterable[Any] | None = None) -> kopf.BodyEssence:
        if _of(body, self.kinds):
            return {}  # not a copy of the body on every event: the same empty essence as fetch gives
        return self.others.build(body=body, extra_fields=extra_fields)

    def fetch(self, *, body: kopf.Body) -> kopf.BodyEssence | None:
        return {} if _of(body, self.kinds) else self.others.fetch(body=body)

    def store(self, *, body: kopf.Body, patch: kopf.Patch, essence: kopf.BodyEssence) -> None:
        if not _of(body, self.kinds):
            self.others.store(body=body, patch=patch, essence=essence)


class InMemoryProgress(kopf.ProgressStorage):
    """Handler progress of ``kinds`` (retry counts, when a retry is due) kept in this process, by object uid.

    Only kopf's touch stays on the object: after a retry's delay it patches a dummy annotation so that a watch
    event wakes the object's handling again (kopf has no other wake-up): one PATCH per retry instead of two.
    Another replica taking over, or a restart, starts the retries afresh.
    """

    def __init__(self, others: kopf.ProgressStorage, kinds: Iterable[tuple[str, str]]) -> None:
        super().__init__()
        self.others, self.kinds = others, frozenset(kinds)
        self._records: dict[str, dict[str, kopf.ProgressRecord]] = {}

    def fetch(self, *, key: kopf.HandlerId, body: kopf.Body) -> kopf.ProgressRecord | None:
        if _of(body, self.kinds):
            return self._records.get(_uid(body), {}).get(key)
        return self.others.fetch(key=key, body=body)

    def store(self, *, key: kopf.HandlerId, record: kopf.ProgressRecord, body: kopf.Body,
              patch: kopf.Patch) -> None:
        if _of(body, self.kinds):
            self._records.setdefault(_uid(body), {})[key] = record.copy()
        else:
            self.others.store(key=key, record=record, body=body, patch=patch)

    def purge(self, *, key: kopf.HandlerId, body: kopf.Body, patch: kopf.Patch) -> None:
        if _of(body, self.kinds):
            uid = _uid(body)
            records = self._records.get(uid, {})
            records.pop(key, None)
            if not records:
                self.forget(uid)
        else:
            self.others.purge(key=key, body=body, patch=patch)

    def touch(self, *, body: kopf.Body, patch: kopf.Patch, value: str | None) -> None:
        # The wake-up after a delay stays, for every kind. Removing it (value None) is kept from these kinds: their
        # only retried handler is the deletion, so the object goes anyway, and the removal would be a PATCH of its
        # own beside the finalizer's removal.
        if value is not None or not _of(body, self.kinds):
            self.others.touch(body=body, patch=patch, value=value)

    def clear(self, *, essence: kopf.BodyEssence) -> kopf.BodyEssence:
        # kopf clears both diff-bases of every watch event; with none kept (StatelessDiffBase) both are empty.
        return essence if not essence else self.others.clear(essence=essence)

    def forget(self, uid: str | None) -> None:
        """The object is gone (its progress was purged, or its finalizer went another way)."""
        self._records.pop(uid or "", None)

    @property
    def held(self) -> int:
        """How many objects have progress here (a deletion being retried)."""
        return len(self._records)
