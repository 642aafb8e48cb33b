"""Parses ACL policy documents into comparable rules, for drift detection and read-back checks.

The replaced operator compared comment-stripped text, and its stripping was not quote-aware (a path holding
``*/`` hid drift). Here the document is tokenised (strings, comments and punctuation, quote-aware) and the
``path`` blocks are compared as data: comments and layout never count, a changed capability always does.
"""

from __future__ import annotations

import json
import re
from typing import Any

_TOKEN = re.compile(
    r'\s+|#[^\n]*|//[^\n]*|/\*.*?\*/|(?P<string>"(?:[^"\\\n]|\\.)*")|(?P<word>[A-Za-z_][A-Za-z0-9_-]*)'
    r"|(?P<number>-?[0-9]+)|(?P<punct>[{}\[\]=,])",
    re.S,
)
ParsedPolicy = tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]


class PolicyParseError(ValueError):
    """A document this parser does not understand (then it counts as different from ours)."""


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise PolicyParseError(f"unexpected text at offset {position}")
        position = match.end()
        kind = match.lastgroup
        if kind == "string":
            out.append(("value", json.loads(match.group(kind))))
        elif kind == "number":
            out.append(("value", int(match.group(kind))))
        elif kind is not None:
            out.append((kind, match.group(kind)))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens, self.at = _tokens(text), 0

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, kind: str, text: str | None = None) -> Any:
        token = self.peek()
        if token is None or token[0] != kind or (text is not None and token[1] != text):
            raise PolicyParseError(f"expected {text or kind}, found {token[1] if token else 'the end'}")
        self.at += 1
        return token[1]

    def value(self) -> Any:
        token = self.peek()
        if token is not None and token[0] == "value":
            self.at += 1
            return token[1]
        if token == ("punct", "["):
            self.at += 1
            items: list[Any] = []
            while self.peek() != ("punct", "]"):
                items.append(self.value())
                if self.peek() == ("punct", ","):
                    self.at += 1
            self.at += 1
            return tuple(items)
        return self.body()

    def body(self) -> tuple[tuple[str, Any], ...]:
        self.take("punct", "{")
        entries: list[tuple[str, Any]] = []
        while self.peek() != ("punct", "}"):
            token = self.peek()
            if token is None:
                raise PolicyParseError("unclosed {")
            key = self.take(token[0]) if token[0] in ("word", "value") else self.take("word")
            if self.peek() == ("punct", "="):
                self.at += 1
            entries.append((str(key), self.value()))
            if self.peek() == ("punct", ","):
                self.at += 1
        self.at += 1
        return tuple(sorted(entries, key=repr))

    def document(self) -> ParsedPolicy:
        blocks: list[tuple[str, tuple[tuple[str, Any], ...]]] = []
        while self.peek() is not None:
            self.take("word", "path")
            path = self.take("value")
            if self.peek() == ("punct", "="):
                self.at += 1
            blocks.append((str(path), self.body()))
        return tuple(blocks)


def parse_policy(text: str) -> ParsedPolicy:
    """The document's ``path`` blocks in order, each with its attributes (sorted); raises PolicyParseError."""
    return _Parser(text).document()


def same_rules(ours: str, theirs: str | None) -> bool:
    """True when both documents grant the same (comments and layout aside); a missing or unreadable one differs."""
    if theirs is None:
        return False
    if theirs == ours:  # Vault answers with the text as written: a drift check of an untouched policy parses nothing
        return True
    try:
        return parse_policy(ours) == parse_policy(theirs)
    except PolicyParseError:
        return False
