"""Go-style durations ("30s", "1h30m", "500ms"), as the replaced operator's YAML uses them."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

from .clip import clip_value

_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
# ASCII digits and units only, no spaces: the parser accepts exactly what DURATION_PATTERN (the CRD) does.
# ``\d`` would also take Unicode digits such as Arabic-Indic ones, which the API server refuses.
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ns|us|ms|s|m|h)")
DURATION_PATTERN = r"^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$"
MAX_TEXT = 64  # "8784h" is 5 characters; the CRD carries this as maxLength
MAX_SECONDS = 366 * 24 * 3600.0  # a year: longer is a typo, and would overflow timedelta arithmetic


def parse_duration(text: str) -> float:
    """Seconds in a Go duration string; raises ValueError with what is wrong."""
    value = text
    if not value:
        raise ValueError("empty duration: use a value such as 30s, 5m or 1h")
    pos, total = 0, 0.0
    for match in _PART.finditer(value):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(value):
        raise ValueError(
            f"{clip_value(text)} is not a duration: use ASCII digits with a unit (h, m, s, ms, us, ns) and no "
            "spaces, such as 30s, 5m or 1h30m"
        )
    return total


def format_duration(seconds: float) -> str:
    """The shortest Go-style text for ``seconds`` (whole seconds and up)."""
    whole = int(seconds)
    if whole != seconds or whole == 0:
        return f"{round(seconds * 1000)}ms"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n}{u}" for n, u in ((hours, "h"), (minutes, "m"), (secs, "s")) if n]
    return "".join(parts)


def _to_seconds(value: Any) -> Any:
    if isinstance(value, bool):  # bool is an int subclass; never a duration
        raise ValueError("a duration must be a string such as 30s")
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise ValueError(f"must be at most {MAX_TEXT} characters, such as 30s, 5m or 1h")
        seconds = parse_duration(value)
    elif isinstance(value, int | float):
        seconds = float(value)
    else:
        raise ValueError("a duration must be a string such as 30s, 5m or 1h")
    if not seconds > 0:  # also catches NaN
        raise ValueError(f"{clip_value(value)} must be longer than zero")
    if seconds > MAX_SECONDS:
        raise ValueError(f"{clip_value(value)} is longer than the maximum of 8784h (a year)")
    return seconds


#: Seconds, written and read as a Go duration string.
Duration = Annotated[
    float,
    BeforeValidator(_to_seconds),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "maxLength": MAX_TEXT, "pattern": DURATION_PATTERN}),
]


def at_least(minimum: float, why: str) -> AfterValidator:
    """For ``Annotated[Duration, at_least(600, "the TokenRequest API's minimum")]``: shorter is refused, saying why."""

    def check(seconds: float) -> float:
        if seconds < minimum:
            raise ValueError(f"must be at least {format_duration(minimum)} ({why})")
        return seconds

    return AfterValidator(check)


#: Vault's TTL grammar (parseutil.ParseDurationSecond, checked against OpenBao): whole seconds ("3600"), whole
#: days ("2d", alone: "1d12h" is refused), or a Go duration ("1h30m", "1.5h"; read back in whole seconds).
VAULT_TTL_PATTERN = r"^([0-9]+d?|([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+)$"
_WHOLE = re.compile(r"[0-9]+")


def vault_ttl_seconds(text: str) -> int:
    """The whole seconds Vault stores for a TTL string; ValueError says what Vault would refuse.

    "0" is Vault's "unset" (the mount's default); a non-zero value under one second is refused, since
    Vault would store 0 and so silently mean the default.
    """
    if len(text) > MAX_TEXT:
        raise ValueError(f"must be at most {MAX_TEXT} characters, such as 3600, 30m, 1h or 2d")
    if _WHOLE.fullmatch(text):
        return int(text)
    if text.endswith("d") and _WHOLE.fullmatch(text[:-1]):
        return int(text[:-1]) * 86400
    try:
        seconds = parse_duration(text)
    except ValueError:
        raise ValueError(f"{clip_value(text)} is not a Vault TTL: use whole seconds (3600), whole days alone (2d) "
                         "or a duration such as 90s, 30m or 1h30m (d cannot be combined with other units)") from None
    if 0 < seconds < 1:
        raise ValueError(f"{clip_value(text)} is under one second: Vault would store 0 (the mount's default)")
    return int(seconds)
