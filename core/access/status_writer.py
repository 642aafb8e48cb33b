"""Writes an access object's status from a pass's :class:`Outcome`, only when it changed.

The operator is the only writer of these statuses, so the status it last wrote is the truth its next pass
starts from (a watch event may still carry an older one).
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from ..clock import Clock, rfc3339
from ..conditions import Condition, ConditionStatus, StatusModel, status_body
from ..kinds import KindDefinition
from ..kube import KubeClient
from ..redact import REDACTOR
from .outcome import Outcome

log = logging.getLogger(__name__)
CONDITION_ORDER = ("Ready", "Synced", "ConnectionReady", "Drifted", "DryRun")


def previous_status(kind: KindDefinition, body: dict[str, Any] | None) -> StatusModel:
    try:
        return kind.status_model.model_validate(body or {})
    except ValueError:  # written by something else (an older operator): start afresh
        return kind.status_model()


def next_status(kind: KindDefinition, previous: StatusModel, outcome: Outcome, generation: int | None,
                now: datetime.datetime) -> StatusModel:
    """The status after ``outcome``. A condition equal to the one last written is that same model (a drift check's
    pass builds none), and the time is formatted at most once: building and dating all five conditions anew was
    about a third of a pass's status work."""
    was_conditions = getattr(previous, "conditions", [])
    old = {c.type: c for c in was_conditions}
    ready, reason, message = outcome.ready
    built: dict[str, tuple[Any, str, str]] = {"Ready": (ready, reason, message)}
    if ready:
        built["Synced"] = (True, "Succeeded", "")
    built.update(outcome.conditions)
    built.setdefault("ConnectionReady", (True, "ConnectionActive", ""))
    stamp: list[str] = []  # rfc3339(now), formatted when first needed
    conditions: list[Condition] = []
    for kind_name in CONDITION_ORDER + tuple(k for k in built if k not in CONDITION_ORDER):
        was = old.get(kind_name)
        if kind_name not in built:
            if was is not None:  # a check that did not run this time: carried over
                conditions.append(was)
            continue
        status, why, text = built[kind_name]
        shown: ConditionStatus = ("True" if status else "False") if isinstance(status, bool) else status
        if was is not None and was.status == shown:
            if (was.reason, was.message, was.observed_generation) == (why, text, generation):
                conditions.append(was)
                continue
            since = was.last_transition_time  # moves only when the status flips
        else:
            since = stamp[0] if stamp else _stamp(stamp, now)
        conditions.append(Condition(type=kind_name, status=shown, reason=why, message=text,
                                    last_transition_time=since, observed_generation=generation))
    fields = {**outcome.fields, "phase": outcome.phase, "message": None if ready else message}
    if not outcome.wrote and _same(previous, was_conditions, conditions, fields):
        return previous  # what validating its own values again would give: an equal model (the usual pass)
    # The fields as they are (models kept as models: not dumped and validated again). Pairs, not dict(previous):
    # dict() asks a model for ``keys``, which pydantic answers with an AttributeError raised and caught.
    values = dict(iter(previous))
    values.update(fields, conditions=conditions)
    if outcome.wrote:
        values["last_synced_at"] = stamp[0] if stamp else _stamp(stamp, now)
    return kind.status_model.model_validate(values)


def _same(previous: StatusModel, was: list[Condition], conditions: list[Condition], fields: dict[str, Any]) -> bool:
    """The next status would be ``previous``: its very conditions in the same order, and the same field values."""
    held = vars(previous)  # the field values (pydantic keeps them there): the class's model_fields is a descriptor
    return (len(was) == len(conditions) and all(a is b for a, b in zip(was, conditions, strict=True))
            and all(name in held and held[name] == value for name, value in fields.items()))


def _stamp(stamp: list[str], now: datetime.datetime) -> str:
    text = rfc3339(now)
    assert text is not None  # a time was given
    stamp.append(text)
    return text


def written_within(status: dict[str, Any] | None, now: datetime.datetime, seconds: float) -> bool:
    """Whether a status body says Vault was written (``lastSyncedAt``) less than ``seconds`` before ``now``."""
    stamp = (status or {}).get("lastSyncedAt")
    if not isinstance(stamp, str):
        return False
    try:
        written = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return False
    return written.tzinfo is not None and (now - written).total_seconds() < seconds


class StatusWriter:
    def __init__(self, kube: KubeClient, clock: Clock) -> None:
        self.kube, self.clock = kube, clock

    async def write(self, kind: KindDefinition, raw: dict[str, Any], status: StatusModel,
                    previous: StatusModel) -> bool:
        """Patch ``status`` unless it equals ``previous``; True when written."""
        if status is previous or status == previous:  # the same model: an unchanged pass's (next_status)
            return False
        meta = raw.get("metadata") or {}
        try:
            await self.kube.patch_status(meta.get("name", ""), status_body(status), uid=meta.get("uid"), kind=kind,
                                         namespace=meta.get("namespace"))
        except Exception as error:  # the API server may be down: the next pass writes it
            log.warning("%s %s: status not written: %s", kind.kind, meta.get("name"), REDACTOR(str(error)))
            return False
        return True

    async def drop_annotation(self, kind: KindDefinition, raw: dict[str, Any], key: str) -> None:
        meta = raw.get("metadata") or {}
        path = kind.path(meta.get("name", ""), meta.get("namespace"))
        patch = {"metadata": {"annotations": {key: None}}}
        code, _ = await self.kube.request("PATCH", path, json=patch, what=f"removing annotation {key}",
                                          headers={"Content-Type": "application/merge-patch+json"},
                                          decode=False)  # the whole object again: unread
        if code >= 300:
            log.warning("%s %s: annotation %s not removed (HTTP %s)", kind.kind, meta.get("name"), key, code)
