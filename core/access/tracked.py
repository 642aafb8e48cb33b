"""What the access controller keeps of each object for as long as it exists: its body, the status it wrote, its
scheduling state (no task while no pass runs: core/access/schedule.py).

The body and the status are kept as JSON bytes, not as parsed dicts: a VaultPolicy with its status parsed is
about 60 small Python objects (5 to 7 KB, scattered over the allocator's pools), as bytes one block of about
1.5 KB. A pass reads the body once (a ``json.loads`` of 20 µs, about as much as the key interning it replaces
cost on each watch event), and there is one pass per object per drift interval. ``metadata.managedFields``
(often the largest part of a body from a real API server) is dropped: no pass reads it.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

from .outcome import ANNOTATION_PREFIX

if TYPE_CHECKING:
    from .controller import KindAdapter

Key = tuple[str, str | None, str]  # kind, namespace, name: how the controller keys its objects

#: Never read by a pass; on a real API server often larger than the rest of the body.
_DROPPED_METADATA = ("managedFields",)

#: What kopf keeps under our annotation prefix (its diff-base, its marker, its progress and wake-up records; the
#: progress keys are handler ids, the only names there with a dot): no pass reads them.
_KOPF_STATE = frozenset({"kopf-managed", "last-handled-configuration", "touch-dummy"})


def _read_by_passes(key: str) -> bool:
    prefix, _, name = key.partition("/")
    return prefix + "/" == ANNOTATION_PREFIX and name not in _KOPF_STATE and "." not in name


def essence(raw: dict[str, Any]) -> tuple[Any, ...]:
    """What a pass depends on besides spec and status: a change to anything else (kopf writing its own state onto
    the object, another tool's annotations) wakes no pass."""
    meta = raw.get("metadata") or {}
    # A tuple: none (nearly always) is the empty tuple, shared, where a list would be kept per object.
    annotations = tuple(sorted(item for item in (meta.get("annotations") or {}).items() if _read_by_passes(item[0])))
    return meta.get("uid"), meta.get("generation"), annotations


def encode(value: Any) -> bytes:
    """``value`` as compact JSON; equal values give equal bytes (keys sorted: the API server may reorder them)."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def _kept_body(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` without its status and without the metadata no pass reads (a shallow copy: ``raw`` is untouched)."""
    body = {key: value for key, value in raw.items() if key != "status"}
    meta = body.get("metadata")
    if isinstance(meta, dict) and any(key in meta for key in _DROPPED_METADATA):
        body["metadata"] = {key: value for key, value in meta.items() if key not in _DROPPED_METADATA}
    return body


class Tracked:
    """One access object as the controller knows it (``raw``, ``status``) and when its next pass runs.

    ``raw`` and ``status`` read as fresh dicts on each access (decoded from the kept bytes): change them by
    assigning, never in place.
    """

    __slots__ = (
        "_body",
        "_body_status",
        "_connection",
        "_status",
        "adapter",
        "alarm",
        "due",
        "failures",
        "held",
        "saw",
        "seen",
        "settling",
        "since",
        "task",
        "woken",
    )

    def __init__(self, adapter: KindAdapter, raw: dict[str, Any], status: dict[str, Any] | None = None,
                 since: float | None = None) -> None:
        self.adapter = adapter
        self._status: bytes | None = None if status is None else encode(status)
        self._body = b"{}"
        #: The status the body showed: its JSON, None for none, or True for "the one ``status`` holds" (the watch
        #: event that follows a status write carries an equal copy of it: kept once).
        self._body_status: bytes | bool | None = None
        self._connection: str | None = None
        self.raw = raw
        self.task: asyncio.Task[None] | None = None  # the pass running (and those it runs again), None between
        #: Woken while a pass runs (it runs again when done), or while settling (a check of the connection follows).
        self.woken = False
        #: After a start or a takeover, a synced object waits for its connection to log in before its first pass.
        self.settling = False
        self.alarm: float | None = None  # when its alarm rings (the loop's clock): a drift check, a retry, a grace
        self.due: float | None = None  # when its next drift check is due (the loop's clock)
        self.failures = 0
        self.seen: tuple[Any, ...] = ()  # generation and annotations: what a pass depends on besides status
        self.since = time.monotonic() if since is None else since  # when this controller first saw it
        self.held: float | None = None  # the last pass was held back (Outcome.hold): seconds it may stay unreported
        #: The connection as the last pass found it (phase, active, reason, token generation), None before one:
        #: a change it already saw (a pass that ran between the change and the telling of it) wakes no pass.
        self.saw: tuple[Any, ...] | None = None

    @property
    def raw(self) -> dict[str, Any]:
        """The object as last seen (a fresh dict on each access)."""
        raw: dict[str, Any] = json.loads(self._body)
        shown = self._body_status
        if shown is True:
            shown = self._status
        if isinstance(shown, bytes):
            raw["status"] = json.loads(shown)
        return raw

    @raw.setter
    def raw(self, raw: dict[str, Any]) -> None:
        self._body = encode(_kept_body(raw))
        shown = raw.get("status")
        if shown is None:
            self._body_status = None
        else:
            encoded = encode(shown)
            self._body_status = True if encoded == self._status else encoded
        ref = (raw.get("spec") or {}).get("connectionRef")
        self._connection = ref if isinstance(ref, str) else None

    @property
    def status(self) -> dict[str, Any] | None:
        """The status this operator last wrote (it is the only writer), None before its first write."""
        return None if self._status is None else json.loads(self._status)

    @status.setter
    def status(self, status: dict[str, Any] | None) -> None:
        shown = self._body_status
        if shown is True:  # the body showed the status being replaced: it keeps its own copy of that one
            self._body_status = self._status
        self._status = None if status is None else encode(status)
        if isinstance(self._body_status, bytes) and self._body_status == self._status:
            self._body_status = True

    @property
    def wrote_status(self) -> bool:
        """This operator wrote the object's status (``status`` is not None), known without decoding it."""
        return self._status is not None

    def for_pass(self) -> dict[str, Any]:
        """The body with the status a pass starts from: the one last written, else the one the body shows (the
        watch may still show an older one; this operator is its only writer)."""
        raw: dict[str, Any] = json.loads(self._body)
        shown = self._status if self._status is not None else self._body_status
        raw["status"] = json.loads(shown) if isinstance(shown, bytes) else None
        return raw

    def shown_status(self) -> dict[str, Any]:
        """The status last written, else the one the body shows ({} for none): the status decoded, not the body."""
        shown = self._status if self._status is not None else self._body_status
        status = json.loads(shown) if isinstance(shown, bytes) else None
        return status if isinstance(status, dict) else {}

    def deletion_timestamp(self) -> Any:
        """``metadata.deletionTimestamp``; the body is decoded only if its JSON names such a key (nearly never)."""
        if b'"deletionTimestamp":' not in self._body:  # the key as encode() writes it (no space after the colon)
            return None
        return (json.loads(self._body).get("metadata") or {}).get("deletionTimestamp")

    @property
    def connection(self) -> str | None:
        return self._connection

    @property
    def kept_bytes(self) -> int:
        """The size of the kept JSON (body and statuses; for tests and measurements)."""
        shown = self._body_status
        return len(self._body) + len(self._status or b"") + (len(shown) if isinstance(shown, bytes) else 0)
