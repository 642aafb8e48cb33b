"""How fast another replica takes over: the lifetime of a replica's kopf peering record."""

from __future__ import annotations

from collections.abc import Mapping

#: As controller-runtime's default lease (15 s): the replica that takes over waits at most this long.
DEFAULT_PEERING_LIFETIME = 15
#: kopf renews a record 5-10 s before it expires: a shorter lifetime would leave no time for the renewal.
MIN_PEERING_LIFETIME = 11
MAX_PEERING_LIFETIME = 3600


def check_peering_lifetime(seconds: int, source: str) -> int:
    """The lifetime if it is in range, else a ValueError naming ``source`` (the flag or variable)."""
    if not MIN_PEERING_LIFETIME <= seconds <= MAX_PEERING_LIFETIME:
        raise ValueError(f"{source} must be between {MIN_PEERING_LIFETIME} and {MAX_PEERING_LIFETIME} seconds "
                         f"(got {seconds}): kopf renews a replica's record 5-10 s before it expires")
    return seconds


def peering_lifetime_from_env(env: Mapping[str, str]) -> int:
    raw = env.get("VAO_PEERING_LIFETIME", "").strip()
    if not raw:
        return DEFAULT_PEERING_LIFETIME
    if not raw.isdigit():
        raise ValueError(f"VAO_PEERING_LIFETIME must be a whole number of seconds (got {raw[:20]!r})")
    return check_peering_lifetime(int(raw), "VAO_PEERING_LIFETIME")
