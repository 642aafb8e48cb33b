"""Registered secret values and the forms they travel in, found in a text with bounded work per position.

A value of ``LONG`` characters or more is found anywhere, also URL-encoded, base64 (standard and
URL-safe, padded or not), JSON-escaped, and wrapped over lines (line breaks in the text are skipped
while matching, so any wrap width works). A value of ``SHORT`` to ``LONG - 1`` characters (an EC2
nonce can be short) is found only as a whole word, so it does not mask parts of longer words; shorter
values are never registered (they would mask ordinary words).

Matching: each form is indexed under one ``ANCHOR``-character window of it (the window no other form
uses yet, where possible), with its offset and length. The scan looks up the window at each text
position (one dict lookup) and, on a hit, compares a polynomial hash of the candidate span with the
form's hash (O(1) from the text's prefix hashes). The hash is the text read as one big number, a
character per 32 bits, modulo a prime drawn at random per process (Rabin's fingerprint): a value is
hashed in C (``int.from_bytes``), where a character-by-character loop cost 0.4 ms per JWT, about a tenth of
the operator's CPU per login (bench/README.md, session 8). A window holds at most ``GROUPS_PER_WINDOW``
(offset, length) groups; a form that finds every one of its windows full (only near-duplicate,
low-entropy values do) goes to the window's overflow, which masks the widest span any of its forms
could cover around each occurrence of the window, unchecked. So the work per position is at most
``2 + GROUPS_PER_WINDOW`` checks, whatever the number of values. Both the overflow and a hash
collision (two spans of n characters: chance under n / 2^50) can only mask more than needed, never less.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import secrets
import urllib.parse
from typing import TypeVar

from .secret_shapes import Span, Work

SHORT, LONG, ANCHOR = 4, 8, 8
GROUPS_PER_WINDOW = 4
_BITS = 32  # per character: every code point fits, so a text's number is exact
LINE_BREAKS = str.maketrans("", "", "\r\n")  # str.translate: removes them


def forms(value: str) -> set[str]:
    """What ``value`` may look like in a text: itself, URL-encoded, base64, JSON-escaped (line breaks removed)."""
    found = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    try:
        raw = value.encode()
    except UnicodeEncodeError:  # a lone surrogate: it has no bytes to encode (nor to URL-encode)
        raw = None
    if raw is not None:
        found |= {urllib.parse.quote(raw), urllib.parse.quote(raw, safe=""), urllib.parse.quote_plus(raw)}
        for encoded in (base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()):
            found |= {encoded, encoded.rstrip("=")}
    flat = {form.translate(LINE_BREAKS) for form in found}
    return {form for form in flat if len(form) >= LONG}


def _is_prime(number: int) -> bool:
    """Miller-Rabin with the first 13 primes as bases: exact below 3.3 * 10^24."""
    bases = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)
    if number < 2 or any(number % base == 0 for base in bases):
        return number in bases
    odd, twos = number - 1, 0
    while odd % 2 == 0:
        odd, twos = odd // 2, twos + 1
    for base in bases:
        x = pow(base, odd, number)
        if x in (1, number - 1):
            continue
        for _ in range(twos - 1):
            x = x * x % number
            if x == number - 1:
                break
        else:
            return False
    return True


def _random_prime(bits: int) -> int:
    while True:
        candidate = secrets.randbits(bits - 1) | (1 << (bits - 1)) | 1
        if _is_prime(candidate):
            return candidate


# Random per process: an attacker cannot aim at collisions (which would only over-mask anyway).
_MOD = _random_prime(61)


def _hash(text: str) -> int:
    # = sum(ord(c) << 32 * (len - 1 - i)) % _MOD, the polynomial _prefix_hashes cuts spans out of.
    return int.from_bytes(text.encode("utf-32-be", "surrogatepass"), "big") % _MOD


@dataclasses.dataclass
class _Group:
    """Forms indexed under one window at the same offset, with the same length."""

    power: int  # 2 ** (_BITS * length) % _MOD: cuts a span's hash out of the prefix hashes
    hashes: dict[int, int]  # form hash -> registrations holding it


@dataclasses.dataclass
class _Window:
    groups: dict[tuple[int, int], _Group] = dataclasses.field(default_factory=dict)  # (offset, length) ->
    overflow: dict[tuple[int, int], int] = dataclasses.field(default_factory=dict)  # (before, after) -> count
    reach: tuple[int, int] = (0, 0)  # the widest (before, after) in overflow

    def __bool__(self) -> bool:
        return bool(self.groups or self.overflow)


_K = TypeVar("_K")
_Entry = tuple[str, int, int, int]  # window, offset, length, hash (-1: in the window's overflow)


class SecretIndex:
    def __init__(self) -> None:
        self._windows: dict[str, _Window] = {}
        self._entries: dict[str, list[_Entry]] = {}  # value -> what registering it added
        self._short: dict[int, set[str]] = {}  # length -> whole-word values

    def add(self, value: str) -> None:
        if len(value) < LONG:
            self._short.setdefault(len(value), set()).add(value)
            return
        self._entries[value] = [self._add_form(form) for form in sorted(forms(value))]

    def remove(self, value: str) -> None:
        if len(value) < LONG:
            same_length = self._short.get(len(value), set())
            same_length.discard(value)
            if not same_length:
                self._short.pop(len(value), None)
            return
        for name, offset, length, digest in self._entries.pop(value, []):
            window = self._windows[name]
            if digest < 0:
                _decrement(window.overflow, (offset, length - offset))
                window.reach = tuple(map(max, zip(*window.overflow, strict=True))) if window.overflow else (0, 0)
            else:
                group = window.groups[offset, length]
                _decrement(group.hashes, digest)
                if not group.hashes:
                    del window.groups[offset, length]
            if not window:
                del self._windows[name]

    def __len__(self) -> int:
        """Indexed forms and short values: 0 once every value is removed."""
        held = sum(len(g.hashes) for w in self._windows.values() for g in w.groups.values())
        held += sum(sum(w.overflow.values()) for w in self._windows.values())
        return held + sum(len(values) for values in self._short.values())

    def _add_form(self, form: str) -> _Entry:
        length, best = len(form), None
        for offset in range(length - ANCHOR + 1):
            name = form[offset : offset + ANCHOR]
            groups = self._windows[name].groups if name in self._windows else {}
            load = 0 if (offset, length) in groups else len(groups) + 1
            if best is None or load < best[0]:
                best = (load, name, offset)
                if load <= 1:  # joins its own group, or a window nothing uses: as good as it gets
                    break
        assert best is not None
        load, name, offset = best
        window = self._windows.setdefault(name, _Window())
        if load > GROUPS_PER_WINDOW:
            key = (offset, length - offset)
            window.overflow[key] = window.overflow.get(key, 0) + 1
            window.reach = (max(window.reach[0], key[0]), max(window.reach[1], key[1]))
            return name, offset, length, -1
        group = window.groups.get((offset, length))
        if group is None:
            group = window.groups[offset, length] = _Group(pow(2, _BITS * length, _MOD), {})
        digest = _hash(form)
        group.hashes[digest] = group.hashes.get(digest, 0) + 1
        return name, offset, length, digest

    def find(self, text: str, work: Work) -> list[Span]:
        spans: list[Span] = []
        if self._windows:
            spans += self._find_long(text, work)
        if self._short:
            spans += self._find_short(text, work)
        return spans

    def _find_long(self, text: str, work: Work) -> list[Span]:
        # Matching runs on the text without line breaks; ``where`` maps back to the text.
        view = text.translate(LINE_BREAKS)
        where = range(len(text)) if len(view) == len(text) else [i for i, c in enumerate(text) if c not in "\r\n"]
        work.units += len(text)
        prefix: list[int] = []
        spans: list[Span] = []
        windows = self._windows
        for position in range(len(view) - ANCHOR + 1):
            window = windows.get(view[position : position + ANCHOR])
            if window is None:
                continue
            if window.overflow:
                work.units += 1
                before, after = window.reach
                spans.append((where[max(position - before, 0)], where[min(position + after, len(view)) - 1] + 1))
            if not prefix:
                prefix = _prefix_hashes(view, work)
            for (offset, length), group in window.groups.items():
                work.units += 1
                start = position - offset
                if start < 0 or start + length > len(view):
                    continue
                if (prefix[start + length] - prefix[start] * group.power) % _MOD in group.hashes:
                    spans.append((where[start], where[start + length - 1] + 1))
        work.units += len(view)
        return spans

    def _find_short(self, text: str, work: Work) -> list[Span]:
        spans: list[Span] = []
        lengths = list(self._short.items())
        previous_is_word = False
        for position, char in enumerate(text):
            if not previous_is_word:  # a whole word can only start here
                for length, values in lengths:
                    work.units += 1
                    end = position + length
                    if text[position:end] in values and (end == len(text) or not text[end].isalnum()):
                        spans.append((position, end))
            previous_is_word = char.isalnum()
        return spans


def _decrement(counts: dict[_K, int], key: _K) -> None:
    counts[key] -= 1
    if not counts[key]:
        del counts[key]


def _prefix_hashes(view: str, work: Work) -> list[int]:
    work.units += len(view)
    hashes = [0] * (len(view) + 1)
    value = 0
    for index, char in enumerate(view):
        value = ((value << _BITS) + ord(char)) % _MOD
        hashes[index + 1] = value
    return hashes
