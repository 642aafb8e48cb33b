"""Status building blocks any resource kind uses: the status model base, conditions, and how status is written.

A kind's status is a pydantic model deriving from :class:`StatusModel`: camelCase on the wire, unknown keys
refused (the API server would prune them silently), and written with :func:`status_body`. The CRD's status
schema is generated from the same model (core/crd.py), so the two cannot drift apart.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from .clock import rfc3339

ConditionStatus = Literal["True", "False", "Unknown"]


class StatusModel(BaseModel):
    """Base of every status model: camelCase aliases, extra keys forbidden."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Condition(StatusModel):
    """One condition, as ``kubectl wait --for=condition=Ready`` reads it."""

    type: str
    status: ConditionStatus
    reason: str
    message: str = ""
    last_transition_time: str = Field(description="RFC 3339 time the status last changed.")
    observed_generation: int | None = None


def status_body(status: StatusModel) -> dict[str, Any]:
    """The JSON the operator writes. Unset (None) fields are left out: the API server would prune their nulls."""
    return status.model_dump(by_alias=True, mode="json", exclude_none=True)


class Conditions:
    """Builds a status's conditions from the ones last written.

    ``lastTransitionTime`` moves only when a condition's status flips (the Kubernetes convention), and
    every condition set here carries the generation the status was built for.
    """

    def __init__(
        self, previous: Iterable[Condition], now: datetime.datetime, generation: int | None
    ) -> None:
        self._previous = {c.type: c for c in previous}
        self._now, self._generation = now, generation
        self._built: dict[str, Condition] = {}

    def set(self, kind: str, status: bool | ConditionStatus, reason: str, message: str = "") -> Condition:
        """Set condition ``kind``; a bool is True/False."""
        text: ConditionStatus = ("True" if status else "False") if isinstance(status, bool) else status
        old = self._previous.get(kind)
        since = old.last_transition_time if old is not None and old.status == text else rfc3339(self._now)
        assert since is not None
        condition = Condition(type=kind, status=text, reason=reason, message=message,
                              last_transition_time=since, observed_generation=self._generation)
        self._built[kind] = condition
        return condition

    def keep(self, kind: str) -> Condition | None:
        """Carry condition ``kind`` over unchanged (a check that did not run this time), if it was there."""
        old = self._previous.get(kind)
        if old is not None:
            self._built[kind] = old
        return old

    def all(self) -> list[Condition]:
        """The conditions set or kept, in that order."""
        return list(self._built.values())


def find(conditions: Iterable[Condition], kind: str) -> Condition | None:
    return next((c for c in conditions if c.type == kind), None)
