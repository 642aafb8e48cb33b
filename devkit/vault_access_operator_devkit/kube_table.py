"""Server-side printing: the meta.k8s.io/v1 Table that ``kubectl get`` asks for.

kubectl sends ``Accept: application/json;as=Table;v=v1;g=meta.k8s.io`` and prints the columns the
server chooses; without a Table it falls back to NAME and AGE. Custom resources get NAME plus their
CRD's ``additionalPrinterColumns`` (as kube-apiserver does), a few built-in kinds get the columns a
real server shows, everything else NAME and AGE.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]
_STEP = re.compile(r"""\.([^.\[]+)|\[(\d+)\]|\[\?\(@\.([\w.]+)\s*==\s*["']([^"']*)["']\)\]""")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string | integer | number | boolean | date
    cell: Callable[[Obj], Any]
    format: str = ""
    description: str = ""
    priority: int = 0

    def definition(self) -> Obj:
        return {"name": self.name, "type": self.type, "format": self.format,
                "description": self.description, "priority": self.priority}


def wants_table(headers: Mapping[str, str]) -> bool:
    accept = next((v for k, v in headers.items() if k.lower() == "accept"), "")
    for media_type in accept.split(","):
        params = dict(p.strip().split("=", 1) for p in media_type.split(";")[1:] if "=" in p)
        if params.get("as") == "Table" and params.get("g") == "meta.k8s.io" and params.get("v") == "v1":
            return True
    return False


def jsonpath(obj: Any, path: str) -> Any:
    """The simple JSONPaths CRDs use: ``.a.b``, ``.a[0]`` and ``.a[?(@.type=="Ready")].status``."""
    position, value = 0, obj
    path = path.strip().removeprefix("{").removesuffix("}").removeprefix("$")
    while position < len(path) and value is not None:
        step = _STEP.match(path, position)
        if step is None:
            return None
        key, index, field, expected = step.groups()
        if key is not None:
            value = value.get(key) if isinstance(value, dict) else None
        elif index is not None:
            value = value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
        else:
            value = next((item for item in value if isinstance(item, dict)
                          and jsonpath(item, "." + field) == expected), None) if isinstance(value, list) else None
        position = step.end()
    return value


def human_age(timestamp: str | None, now: datetime.datetime | None = None) -> str | None:
    """Go's duration.HumanDuration of the time since ``timestamp``, as kubectl's AGE shows it."""
    if not timestamp:
        return None
    try:
        then = datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    seconds = int(((now or datetime.datetime.now(datetime.UTC)) - then).total_seconds())
    if seconds < -1:
        return "<invalid>"
    seconds = max(seconds, 0)
    minutes, hours = seconds // 60, seconds // 3600
    days, years = hours // 24, hours // (24 * 365)
    steps: list[tuple[bool, str]] = [
        (seconds < 120, f"{seconds}s"),
        (minutes < 10, f"{minutes}m" + (f"{seconds % 60}s" if seconds % 60 else "")),
        (minutes < 180, f"{minutes}m"),
        (hours < 8, f"{hours}h" + (f"{minutes % 60}m" if minutes % 60 else "")),
        (hours < 48, f"{hours}h"),
        (hours < 24 * 8, f"{days}d" + (f"{hours % 24}h" if hours % 24 else "")),
        (hours < 24 * 365 * 2, f"{days}d"),
        (hours < 24 * 365 * 8, f"{years}y" + (f"{days % 365}d" if days % 365 else "")),
    ]
    return next((text for done, text in steps if done), f"{years}y")


def _cell(kind: str, value: Any) -> Any:
    # kube-apiserver's CRD table convertor: dates become ages, strings are printed as they are.
    if value is None:
        return None
    if kind == "date":
        return human_age(value) if isinstance(value, str) else None
    if kind == "string" and not isinstance(value, str):
        return str(value).lower() if isinstance(value, bool) else str(value)
    return value


NAME = Column("Name", "string", lambda o: o["metadata"]["name"], format="name",
              description="Name must be unique within a namespace.")
AGE = Column("Age", "string", lambda o: human_age(o["metadata"].get("creationTimestamp")),
             description="CreationTimestamp is a timestamp representing the server time when this object was created.")


def _json_cell(kind: str, path: str) -> Callable[[Obj], Any]:
    return lambda obj: _cell(kind, jsonpath(obj, path))


def printer_columns(columns: list[Obj]) -> list[Column]:
    """NAME + a CRD version's ``additionalPrinterColumns`` (AGE too when the CRD does not show it)."""
    result = [NAME]
    for column in columns:
        kind, path = column.get("type", "string"), column.get("jsonPath", "")
        result.append(Column(column["name"], kind, _json_cell(kind, path),
                             format=column.get("format", ""), description=column.get("description", ""),
                             priority=int(column.get("priority", 0))))
    if not any(c.get("jsonPath") == ".metadata.creationTimestamp" for c in columns):
        result.append(AGE)
    return result


def _event_object(event: Obj) -> str:
    involved = event.get("involvedObject") or {}
    return f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}"


BUILT_IN: dict[str, list[Column]] = {
    "events": [
        Column("Last Seen", "string", lambda e: human_age(e.get("lastTimestamp") or e.get("eventTime")
                                                          or e["metadata"].get("creationTimestamp"))),
        Column("Type", "string", lambda e: e.get("type")),
        Column("Reason", "string", lambda e: e.get("reason")),
        Column("Object", "string", _event_object),
        Column("Message", "string", lambda e: e.get("message")),
    ],
    "secrets": [NAME, Column("Type", "string", lambda s: s.get("type")),
                Column("Data", "integer", lambda s: len(s.get("data") or {})), AGE],
    "namespaces": [NAME, Column("Status", "string", lambda n: (n.get("status") or {}).get("phase", "Active")), AGE],
    "customresourcedefinitions": [NAME, Column("Created At", "date",
                                               lambda c: c["metadata"].get("creationTimestamp"))],
}


def _row_object(obj: Obj, include: str) -> Obj | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}


def table(columns: list[Column], objects: list[Obj], resource_version: str, include: str = "Metadata") -> Obj:
    """A meta.k8s.io/v1 Table of ``objects``; ``include`` is the request's ``includeObject``."""
    rows = [{"cells": [column.cell(obj) for column in columns], "object": _row_object(obj, include)}
            for obj in objects]
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": resource_version},
            "columnDefinitions": [column.definition() for column in columns], "rows": rows}
