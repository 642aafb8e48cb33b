"""Consecutive failures of one connection, and how long to wait after each.

Only a full healthy cycle resets the count: a scheduled health check or renewal that passed after the
last failure. A successful probe alone does not, so a Vault whose renewals fail while lookups work
backs off exponentially instead of retrying at the first backoff step forever.
"""

from __future__ import annotations

import dataclasses

from .errors import TokenTTLTooShortError, VaultAccessError
from .lifecycle import Backoff, Random


@dataclasses.dataclass
class FailureTracker:
    backoff: Backoff
    random: Random
    count: int = 0
    last_delay: float = 0.0

    @property
    def recovering(self) -> bool:
        """A failure happened and no full healthy cycle has passed since."""
        return self.count > 0

    def failed(self, error: VaultAccessError) -> float:
        """Count a failure; the seconds to wait before the next attempt."""
        self.count += 1
        delay = self.backoff.delay(self.count, self.random)
        # A server's Retry-After is honoured, but no longer than the backoff's cap: it is not ours to trust.
        suggested = getattr(error, "retry_after", None)
        if isinstance(suggested, int | float) and suggested > delay:
            delay = min(float(suggested), max(self.backoff.cap, delay))
        self.last_delay = delay
        return delay

    def check_interval(self, interval: float) -> float:
        """Seconds to the next health check: while recovering, the check that confirms it comes sooner."""
        return min(interval, self.last_delay) if self.recovering else interval

    def reset(self) -> None:
        self.count, self.last_delay = 0, 0.0



def short_ttl_error(ttl: float, mount: str, backoff: Backoff) -> TokenTTLTooShortError | None:
    """The error for a token too short-lived to use (ttl 0 never expires), else None."""
    if not 0 < ttl < backoff.min_ttl:
        return None
    return TokenTTLTooShortError(
        f"Vault granted a token with a TTL of {ttl:g}s at auth/{mount}: raise the role's token_ttl to at least "
        f"{backoff.min_ttl:g}s (the operator logs in at most once every {backoff.login_floor:g}s)",
    )
