"""What one sync pass of an access object decided: the status to show, an event, and when to look again.

Generic for every access kind: the pass (a kind's own module) decides, the controller (controller.py) writes
the status only when it changed, posts the event, and schedules the next pass.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from ..conditions import ConditionStatus

ConditionValue = tuple[bool | ConditionStatus, str, str]

#: resync: all is well, look again at the drift interval; wait: until the object or its connection changes;
#: retry: a failure that may pass, with backoff.
Then = Literal["resync", "wait", "retry"]

ANNOTATION_PREFIX = "vault.platform.io/"
ADOPT = ANNOTATION_PREFIX + "adopt"
ALLOW_DESTRUCTIVE = ANNOTATION_PREFIX + "allow-destructive"
DRY_RUN = ANNOTATION_PREFIX + "dry-run"
RECONCILE_NOW = ANNOTATION_PREFIX + "reconcile-now"


def flag(annotations: dict[str, str], key: str) -> bool:
    """The replaced operator's annotation switches: on only for the exact value "true"."""
    return annotations.get(key) == "true"


@dataclasses.dataclass
class Outcome:
    phase: str
    ready: tuple[bool, str, str]  # status, reason, message
    then: Then
    conditions: dict[str, ConditionValue] = dataclasses.field(default_factory=dict)
    fields: dict[str, Any] = dataclasses.field(default_factory=dict)  # status fields to set (snake_case)
    event: tuple[str, str, str] | None = None  # (Normal|Warning, reason, message)
    #: The event's text is our words with names the status shows as they are (a Vault name, a mount, a count): it
    #: is posted without masking, which cost about 50 µs per synced object (bench/README.md, session 10). A text
    #: that carries anything from Vault or a user's input besides those names leaves this False.
    event_ours: bool = False
    wrote: bool = False  # Vault was written in this pass
    drop_annotation: str | None = None  # a single-use annotation that was used up
    #: The objects (kind, namespace, name) this pass read besides its own: a change to one wakes it again.
    depends_on: tuple[tuple[str, str | None, str], ...] = ()
    #: Nothing worth showing yet: what the pass waits for (a policy's first pass) is about to happen. The
    #: controller reports it only on an object that shows nothing yet, and only once the wait lasts.
    hold: bool = False
    #: The status the pass started from, as the adapter parsed it (its kind's status model), None if it did not:
    #: the reporter builds the next status on it instead of parsing the same body again (a pydantic validation,
    #: about 2% of a restart's CPU).
    previous: Any = None

    @property
    def message(self) -> str:
        return self.ready[2]
