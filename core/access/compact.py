"""Access objects as the controller keeps them: a body per object, for as long as the object exists."""

from __future__ import annotations

import sys
from typing import Any


def compact(value: Any) -> Any:
    """A copy of ``value`` (a JSON body) whose dict keys are interned: equal, with one string per distinct key.

    Every body parsed from a watch event has a copy of its own of each key ("metadata", "lastTransitionTime",
    "observedGeneration", ...): about a quarter of a VaultPolicy body. The keys come from the kinds' schemas
    and the objects' labels and annotations, a set that does not grow with the number of objects. Values are
    left alone: uids, names and timestamps would only fill the intern table (whose strings some Python builds
    never free).
    """
    if isinstance(value, dict):
        return {sys.intern(key) if isinstance(key, str) else key: compact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [compact(item) for item in value]
    return value
