"""A stand-in for the json module inside core/kube.py that counts decodes: the tests of answers nobody reads."""

from __future__ import annotations

import json
from typing import Any


class CountingJson:
    """Stands in for the json module inside core/kube.py: counts the decodes."""

    def __init__(self) -> None:
        self.decoded = 0

    def loads(self, raw: Any) -> Any:
        self.decoded += 1
        return json.loads(raw)

    def dumps(self, value: Any, **kwargs: Any) -> str:
        return json.dumps(value, **kwargs)
