"""Tables of a guide: a "Field | Default" table names fields of what the guide is about, with the model's
defaults; a chart "Key | Default" table quotes values.yaml's defaults."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from tests.docs.blocks import doc_scope
from tests.docs.markdown import Doc, Problem, Span
from tests.docs.paths import MISSING, RELATIVE, segments, value_at


def check_field_tables(doc: Doc) -> Iterator[Problem]:
    """Rows of a "Field | Default" table: the field exists where the doc is about, and the default is the model's."""
    scope = doc_scope(doc)
    for span in doc.spans():
        if span.column.lower() != "field" or not any(c.startswith("Default=") for c in span.row):
            continue
        row = dict(cell.split("=", 1) for cell in span.row)
        blocks = _blocks_of_row(row, scope.auth_keys)
        name = segments(span.text.strip())[-1]
        found = [(f, d) for f, d in scope.fields(blocks) if f == name]
        if not found:
            where = ", ".join(sorted(blocks)) or ", ".join(sorted(scope.kinds)) or "nothing the doc's YAML names"
            yield Problem(span.doc, span.line, span.text, f"not a field of {where}")
            continue
        why = _default_mismatch(row.get("Default", ""), [d for _, d in found])
        if why:
            yield Problem(span.doc, span.line, span.text, why)


def _blocks_of_row(row: dict[str, str], auth_keys: set[str]) -> set[str]:
    cell = row.get("Block", "").strip("` ")
    if not cell or cell == "both":
        return auth_keys
    return {part.strip(" `") for part in cell.split(",")}


def _default_mismatch(cell: str, defaults: list[tuple[bool, Any]]) -> str | None:
    """``defaults``: (required, the model's default or None) of each model that has the field."""
    text = cell.strip()
    if "required" in text.lower():
        return None if any(required for required, _ in defaults) else f"the doc says required; default {cell!r}"
    quoted = re.findall(r"`([^`]+)`", text)
    if not quoted or re.sub(r"`[^`]+`|[\s,/]|or", "", text):
        return None  # prose, or nothing quoted: not checkable
    declared = [default for required, default in defaults if not required and default is not None]
    if not declared:
        return None  # the default is decided in code, not declared on the model
    if any(_same(q, d) for q in quoted for d in declared):
        return None
    return f"the doc's default {', '.join(quoted)} is not the model's ({', '.join(map(_shown, declared))})"


def _shown(value: Any) -> str:
    from vault_access_operator.durations import format_duration

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | int):
        return format_duration(float(value)) if value >= 60 else str(value)
    return str(value)


def _same(quoted: str, default: Any) -> bool:
    return quoted.strip().strip('"') in {_shown(default), str(default)}


# --- chart values tables -----------------------------------------------------------------------------------


def check_values_defaults(doc: Doc) -> Iterator[Problem]:
    """A "Key | Default" row whose default cell only quotes values: each is values.yaml's default of its key."""
    rows: dict[int, list[Span]] = {}
    for span in doc.spans():
        if span.column.lower() == "key" and any(c.startswith("Default=") for c in span.row):
            rows.setdefault(span.line, []).append(span)
    last = ""
    for spans in rows.values():
        keys = []
        for span in spans:
            text = span.text.strip()
            key = last.rsplit(".", 1)[0] + text if RELATIVE.match(text) and last else text
            keys.append(key)
            last = key
        cell = dict(c.split("=", 1) for c in spans[0].row).get("Default", "")
        quoted = re.findall(r"`([^`]+)`", cell)
        if not quoted or re.sub(r"`[^`]+`|[\s,/]", "", cell) or len(quoted) != len(keys):
            continue  # prose, or not one value per key: not checkable
        for span, key, shown in zip(spans, keys, quoted, strict=True):
            value = value_at(key)
            if value is not MISSING and shown not in _value_forms(value):
                yield Problem(span.doc, span.line, span.text, f"the doc's default {shown} is not values.yaml's "
                              f"({json.dumps(value)})")


def _value_forms(value: Any) -> set[str]:
    forms = {json.dumps(value), json.dumps(value, separators=(",", ":"))}
    if isinstance(value, bool):
        forms.add("true" if value else "false")
    elif isinstance(value, str | int | float):
        forms.add(str(value))
    return forms
