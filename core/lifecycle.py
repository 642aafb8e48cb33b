"""Token renewal and retry timing: pure functions, with the clock and randomness as inputs.

Modelled on Vault's LifetimeWatcher: renew at about two thirds of the remaining lease, with
jitter so many connections do not renew in step; log in again instead when renewing cannot
help (token not renewable, or Vault capped the lease because its max TTL is near).
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
from collections.abc import Callable

RENEW_FRACTION = 2.0 / 3.0
RENEW_JITTER = 0.1  # up to 10% earlier than two thirds
CAP_TOLERANCE = 0.9  # a renewal granting under 90% of the usual TTL means max TTL is near
MIN_DELAY = 0.5  # seconds: never schedule work in a tight loop, whatever Vault answers
# Seconds between two login attempts of one connection, whatever Vault answers: every attempt may cost a
# TokenRequest and a token in Vault. A token must last two floors (see Backoff.min_ttl).
LOGIN_FLOOR = 5.0
SUPPLIED_EXPIRY_MARGIN = 1.0  # seconds after a supplied token's computed expiry before it is read again

Random = Callable[[], float]  # uniform in [0, 1)


class Action(enum.Enum):
    RENEW = "renew"
    RELOGIN = "relogin"
    NONE = "none"  # a token that never expires (ttl 0): nothing to schedule


@dataclasses.dataclass(frozen=True)
class Lease:
    """A token's lease as of ``issued_at`` (login or last renewal)."""

    issued_at: datetime.datetime
    ttl: float  # seconds granted at issued_at; 0 means no expiry
    renewable: bool
    creation_ttl: float  # the TTL the login granted: a renewal far below it was capped
    #: A token a plugin supplied (no login): one that cannot be renewed is read again only when it expires.
    supplied: bool = False

    @property
    def expires_at(self) -> datetime.datetime | None:
        if self.ttl <= 0:
            return None
        return self.issued_at + datetime.timedelta(seconds=self.ttl)

    @property
    def capped(self) -> bool:
        return self.creation_ttl > 0 and self.ttl < self.creation_ttl * CAP_TOLERANCE


@dataclasses.dataclass(frozen=True)
class Plan:
    action: Action
    at: datetime.datetime | None


def plan_lease(lease: Lease, now: datetime.datetime, random: Random) -> Plan:
    """When to renew or log in again, and which of the two."""
    expires = lease.expires_at
    if expires is None:
        return Plan(Action.NONE, None)
    remaining = (expires - now).total_seconds()
    action = Action.RENEW if lease.renewable and not lease.capped else Action.RELOGIN
    if action is Action.RELOGIN and lease.supplied:
        # A new "login" reads the same token again until it is replaced: only its expiry is news. Vault
        # rounds a token's remaining TTL down to whole seconds, so it may live up to a second past ``expires``.
        return Plan(Action.RELOGIN, expires + datetime.timedelta(seconds=SUPPLIED_EXPIRY_MARGIN))
    if remaining <= MIN_DELAY:
        return Plan(Action.RELOGIN, now)
    fraction = RENEW_FRACTION * (1.0 - RENEW_JITTER * random())
    delay = max(MIN_DELAY, remaining * fraction)
    return Plan(action, now + datetime.timedelta(seconds=delay))


@dataclasses.dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: the n-th consecutive failure waits about base * 2**(n-1).

    Also holds the login floor (tests shorten it with the rest of the timing).
    """

    base: float = 1.0
    cap: float = 300.0
    login_floor: float = LOGIN_FLOOR

    @property
    def min_ttl(self) -> float:
        """The shortest token TTL the operator accepts: two login floors.

        The next login comes at about two thirds of the TTL (or the token is renewed there); with a TTL
        of two floors that point is past the floor, so a new token is in hand before the old one expires.
        """
        return 2 * self.login_floor

    def delay(self, failures: int, random: Random) -> float:
        if failures <= 0:
            return 0.0
        ceiling = min(self.cap, self.base * 2.0 ** min(failures - 1, 32))
        # "Equal jitter": at least half the ceiling, so retries never bunch up near zero.
        return ceiling / 2 + random() * ceiling / 2

    def max_attempts_within(self, seconds: float) -> int:
        """An upper bound on attempts in ``seconds`` of outage (each waits >= ceiling / 2)."""
        attempts, elapsed = 1, 0.0
        while True:
            floor = min(self.cap, self.base * 2 ** min(attempts - 1, 32)) / 2
            if elapsed + floor > seconds:
                return attempts
            elapsed += floor
            attempts += 1
