"""Cuts text from outside (Vault and API error bodies, exception texts, spec values) to a size a message can hold.

One bad Vault answer or one odd spec must not put megabytes into a status, an event and a log line
(or stall the masking that runs over them). The head is kept; the rest is counted, not shown.
"""

from __future__ import annotations

from typing import Any

DEFAULT_LIMIT = 2048
SPEC_VALUE_LIMIT = 200  # a field name or value of a spec, echoed in a validation message


def clip(text: str, limit: int = DEFAULT_LIMIT, *, whole_words: bool = True) -> str:
    """``text`` if it has at most ``limit`` characters, else its head and ``… (N more characters)``.

    With ``whole_words`` (the default, for text that may quote a secret) a word cut by the limit is
    dropped whole, so no prefix of a token is shown that the masking, which only knows whole values,
    could miss. The cut never falls between the two halves of a surrogate pair. Linear in ``limit``.
    """
    if len(text) <= limit:
        return text
    end = max(limit, 0)
    if whole_words and not text[end].isspace():
        end = _word_start(text, end)
    if end and "\ud800" <= text[end - 1] <= "\udbff":  # a high surrogate whose low half is cut off
        end -= 1
    return f"{text[:end]}… ({len(text) - end} more characters)"


def _word_start(text: str, end: int) -> int:
    """Where the word containing ``text[end]`` starts (0 when the whole head is one word)."""
    start = end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return start


def clip_value(value: Any, limit: int = 40) -> str:
    """``repr`` of a user's value, cut so that a long one cannot flood a message."""
    if not isinstance(value, str) or len(value) <= limit:
        return repr(value)
    return repr(value[:limit]) + f"... ({len(value)} characters)"
