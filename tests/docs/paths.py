"""Field paths a guide quotes (`spec.auth.kubernetes.role`, `status.authStatus`, `trust.secretNamespaces`):
resolved against the generated CRDs, the auth plugins' config models and the chart's values.yaml."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tests.docs import known

DOTTED = re.compile(r"^[a-z][A-Za-z0-9]*(?:\[\d*\])?(?:\.[A-Za-z][A-Za-z0-9]*(?:\[\d*\])?)+(?:=\S*)?$")
RELATIVE = re.compile(r"^\.[a-z][A-Za-z0-9]*$")


def is_field_path(text: str) -> bool:
    """A dotted name that claims to be a field: spec./status., a chart value, or with a camelCase segment
    (file names, host names and Python attributes are none of these)."""
    parts = segments(text)
    if parts[0] == "metadata":
        return False
    return parts[0] in ("spec", "status") or parts[0] in known.values() or any(known.CAMEL.match(p) for p in parts)


MISSING = object()


def value_at(key: str) -> Any:
    node: Any = known.values()
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


def segments(path: str) -> list[str]:
    return [re.sub(r"\[\d*\]$", "", part) for part in path.split("=", 1)[0].split(".")]


def _in_schema(schema: dict[str, Any], parts: list[str]) -> bool:
    node = schema
    for part in parts:
        node = node.get("items", node) if node.get("type") == "array" else node
        properties = node.get("properties") or {}
        if part in properties:
            node = properties[part]
            continue
        if node.get("x-kubernetes-preserve-unknown-fields") or isinstance(node.get("additionalProperties"), dict):
            return True  # a free-form map (status details, defaults): any key
        return False
    return True


def _in_auth(parts: list[str]) -> bool:
    """``auth.<key>[.<field>[...]]`` against the installed plugins' config models."""
    if len(parts) < 2 or parts[1] not in known.auth_models():
        return False
    model = known.auth_models()[parts[1]]
    for part in parts[2:]:
        fields = known.model_fields(model)
        if part not in fields:
            return False
        annotation = repr(fields[part].annotation)
        nested = [m for m in known.nested_models(model) if m is not model and m.__name__ in annotation]
        model = nested[0] if nested else model
    return True


def _value_paths(node: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield f"{prefix}{key}"
            yield from _value_paths(value, f"{prefix}{key}.")


def path_exists(path: str) -> bool:
    parts = segments(path)
    joined = ".".join(parts)
    if any(p == joined or p.endswith("." + joined) for p in _value_paths(known.values())):
        return True  # a chart value, or its tail (`apiServer.cidrs` under networkPolicy)
    heads = [parts] if parts[0] in ("spec", "status") else [["spec", *parts], ["status", *parts]]
    for candidate in heads:
        if candidate[:2] == ["spec", "auth"] and len(candidate) > 2:
            if _in_auth(candidate[1:]):
                return True
            continue
        if any(_in_schema(schema, candidate) for schema in known.crd_schemas().values()):
            return True
    return False
