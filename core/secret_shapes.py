"""Where secret-shaped text is: JWTs, Vault/OpenBao tokens, AWS key ids, ``key=value`` credentials, URL passwords.

Each finder returns the spans to mask and adds what it examined to a :class:`Work` counter. All of it
is linear in the text on any input: the token shapes are classified run by run in Python (each
character of a run is looked at a bounded number of times), and every regular expression kept here
is linear by construction, for the reason written next to it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

Span = tuple[int, int]

# Linear: one character class, greedy, nothing after it. A search fails in one step between runs
# and a match consumes its run, so every character is visited once.
_RUN = re.compile(r"[A-Za-z0-9_.-]+")
_VAULT_PREFIXES = ("hvs", "hvb", "hvr", "s", "b", "r")
_AWS_PREFIXES = ("AKIA", "ASIA")
_AWS_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

# ``key = value`` forms. Linear: each starts with a literal keyword of bounded length (O(1) per start
# position); the only unbounded parts before the value are whitespace runs, which only the attempt
# whose keyword ends right before them can scan (a keyword contains no whitespace); the value is a
# greedy class with nothing after it, so a match consumes what it scanned and never backtracks into it.
_VALUE = r"(?P<v>[^\s\"',}]+)"
_ASSIGN = r"[\"']?\s*[:=]\s*[\"']?"
_KEYWORDS = [
    re.compile(r"(?i)(?:signature=|x-amz-signature[=:]\s*|x-amz-security-token[=:]\s*)(?P<v>[A-Za-z0-9%/+=_-]+)"),
    re.compile(r"(?i)x-vault-token" + _ASSIGN + _VALUE),
    re.compile(r"(?i)authorization" + _ASSIGN + r"(?:bearer\s+|basic\s+)?" + _VALUE),
    re.compile(r"<(?:SecretAccessKey|SessionToken)>(?P<v>[^<]+)"),  # STS responses in library debug logs
    re.compile(r"(?i)(?:secret_?access_?key|session_?token|secret_?id|client_?token)" + _ASSIGN + _VALUE),
    # The password of a URL's userinfo (https://user:PASSWORD@host). Linear: it can only start right after
    # "://" (a fixed-width lookbehind); its scan stops at the first of / ? # @ or whitespace, and the next
    # "://" lies after that "/", so two attempts never scan the same characters.
    re.compile(r"(?<=://)[^\s/?#@:]*:(?P<v>[^\s/?#@]+)@"),
]


@dataclasses.dataclass
class Work:
    """Counts characters examined and candidates checked: the tests bound it by the text's length."""

    units: int = 0


def secret_shapes(text: str, work: Work) -> list[Span]:
    spans: list[Span] = []
    for run in _RUN.finditer(text):
        spans.extend(_classify(run.group(), run.start(), work))
    for pattern in _KEYWORDS:
        work.units += len(text)  # one linear pass each (see above)
        spans.extend(match.span("v") for match in pattern.finditer(text))
    return spans


def _segments(run: str, start: int) -> Iterator[tuple[int, str]]:
    for segment in run.split("."):
        yield start, segment
        start += len(segment) + 1


def _classify(run: str, start: int, work: Work) -> Iterator[Span]:
    """Token shapes inside one run of ``[A-Za-z0-9_.-]``, a superset of what the old regexes matched."""
    work.units += len(run)
    segments = list(_segments(run, start))
    for index, (at, segment) in enumerate(segments):
        work.units += len(segment) + 1
        following = segments[index + 1][1] if index + 1 < len(segments) else None
        # JWT: eyJ + 5 characters, a dot, 5 more, a dot, anything (header.payload.signature).
        jwt = segment.find("eyJ")
        if jwt >= 0 and len(segment) - jwt >= 8 and following is not None and len(following) >= 5:
            if index + 2 < len(segments):
                last_at, last = segments[index + 2]
                yield at + jwt, last_at + len(last)
        # Vault / OpenBao token: hvs. (or hvb. hvr. s. b. r.) at a word start, then 20+ characters.
        if following is not None and len(following) >= 20:
            for prefix in _VAULT_PREFIXES:
                if segment.endswith(prefix) and (len(segment) == len(prefix) or segment[-len(prefix) - 1] == "-"):
                    yield at + len(segment) - len(prefix), at + len(segment) + 1 + len(following)
                    break
        # AWS access key id: AKIA/ASIA + 16 of [A-Z0-9], a whole word.
        word_at = at
        for word in segment.split("-"):
            if len(word) == 20 and word.startswith(_AWS_PREFIXES) and _AWS_KEY_CHARS.issuperset(word):
                yield word_at, word_at + 20
            word_at += len(word) + 1
