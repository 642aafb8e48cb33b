"""Bounds on the nesting and size of a spec, checked without recursion before anything else reads it.

``spec.auth.<method>``, ``spec.defaults`` and ``spec.discovery`` are free-form in the CRD, so the API
server passes on whatever JSON they hold. pydantic, ``json.dumps`` and ``repr`` recurse into nested
values and raise RecursionError near 1000 levels; these walks use an explicit stack instead, so a
hostile spec becomes an InvalidSpec status rather than an exception outside the error handling.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .models import METHOD_NAME, SETUP_PAIR

MAX_BLOCK_DEPTH = 10  # levels of maps and lists inside one free-form block (spec.defaults: {a: {b: 1}} is 2)
MAX_SPEC_VALUES = 2000  # maps, lists and scalars in the whole spec
MAX_SPEC_TEXT = 512 * 1024  # characters of keys and strings in the whole spec (etcd stores at most 1.5 MiB)
_SHOWN_KEY = 40  # a path in a message shows at most this much of each key


def _shown(path: list[str]) -> str:
    return ".".join(p if len(p) <= _SHOWN_KEY else p[:_SHOWN_KEY] + "..." for p in path)


def _block_root(path: list[str]) -> int:
    """How many leading path parts name the block a value is in: spec.auth.<method> or spec.<field>."""
    return 3 if len(path) >= 3 and path[1] == "auth" else 2


def shape_problem(spec: Any) -> str | None:
    """What makes ``spec`` too deep or too large, or None. Visits each value once; never recurses."""
    stack: list[tuple[Any, list[str]]] = [(spec, ["spec"])]
    values = text = 0
    while stack:
        value, path = stack.pop()
        values += 1
        if values > MAX_SPEC_VALUES:
            return f"spec has more than {MAX_SPEC_VALUES} values (fields and list items): remove what is not needed"
        if isinstance(value, str):
            text += len(value)
        if not isinstance(value, dict | list):
            continue
        root = _block_root(path)
        if len(path) - root >= MAX_BLOCK_DEPTH:
            block = _shown(path[:root])
            return (
                f"{block} is nested more than {MAX_BLOCK_DEPTH} levels deep (at {_shown(path[: root + 3])}...): "
                "flatten it"
            )
        if isinstance(value, dict):
            for key, child in value.items():
                text += len(key) if isinstance(key, str) else 0
                stack.append((child, [*path, str(key)]))
        else:
            stack.extend((child, [*path, str(index)]) for index, child in enumerate(value))
        if text > MAX_SPEC_TEXT:
            return f"spec holds more than {MAX_SPEC_TEXT // 1024} KiB of text: remove what is not needed"
    return None


def auth_method_of(spec: Any) -> str:
    """The spec's one auth method name, for status, or "" when there is not exactly one sane one."""
    auth = spec.get("auth") if isinstance(spec, dict) else None
    if isinstance(auth, dict) and set(auth) == set(SETUP_PAIR):
        return SETUP_PAIR[1]  # the bootstrap pair logs in with kubernetes
    if not isinstance(auth, dict) or len(auth) != 1:
        return ""
    method = next(iter(auth))
    return method if isinstance(method, str) and METHOD_NAME.fullmatch(method) else ""


def spec_key(spec: Any) -> str:
    """A digest equal for equal specs (map order ignored), computed without recursion at any depth."""
    digest = hashlib.sha256()
    stack: list[Any] = [spec]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            digest.update(b"{%d" % len(value))
            for key in sorted(value, key=repr, reverse=True):  # popped in sorted order
                stack.append(value[key])
                stack.append(("key", key))
        elif isinstance(value, list):
            digest.update(b"[%d" % len(value))
            stack.extend(reversed(value))
        else:
            # Scalars (and key markers) by type and repr: 1, 1.0, True and "1" stay distinct.
            digest.update(f"{type(value).__name__}:{value!r};".encode(errors="replace"))
    return digest.hexdigest()
