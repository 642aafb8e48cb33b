"""Publishes what a connection runtime observes: status patches and Kubernetes events.

Status is rebuilt from the :class:`~status.Observation` after every change and written
only when it differs from what was last written, so steady state costs no API writes
beyond real changes (a renewal, a failure, a recovery). Events go through the object's
:class:`~events.EventEmitter` (masking, clipping, one Warning per reason per episode).
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from .clip import clip
from .clock import Clock
from .conditions import status_body
from .errors import Reason, VaultAccessError
from .events import EventEmitter
from .redact import ALREADY_REDACTED, Redactor
from .status import LoginStanding, Observation, VaultConnectionStatus, build_status, standing_of
from .vault import TokenGrant

log = logging.getLogger(__name__)
MESSAGE_LIMIT = 4096  # a status message; the parts that come from outside are clipped shorter where they arise
# Errors after which the operator no longer holds a token Vault accepted.
_AUTH_REASONS = {
    Reason.LOGIN_DENIED,
    Reason.CREDENTIALS_NOT_FOUND,
    Reason.CREDENTIALS_REJECTED,
    Reason.CREDENTIAL_SOURCE_UNREACHABLE,
    Reason.PLUGIN_FAILED,
    Reason.PLUGIN_TIMEOUT,
    Reason.PLUGIN_UNAVAILABLE,
    Reason.INVALID_SPEC,
    Reason.SECRET_NOT_FOUND,
    Reason.TOKEN_TTL_TOO_SHORT,  # the short-lived token was revoked at once
}


class StatusSink(Protocol):
    async def patch_status(self, name: str, status: dict[str, Any]) -> bool: ...


PhaseListener = Callable[[str, str | None, str, str], None]  # (name, old, new, reason)


class Reporter:
    def __init__(
        self,
        name: str,
        obs: Observation,
        sink: StatusSink,
        events: EventEmitter,
        clock: Clock,
        redactor: Redactor,
        on_phase: PhaseListener | None = None,
    ) -> None:
        self.name, self.obs = name, obs
        # An episode of events lasts until the connection is healthy again: one Warning per reason in it,
        # however often it is retried or its message varies.
        self.events = events
        self._sink, self._clock, self._redact = sink, clock, redactor
        self._on_phase = on_phase
        self._published: VaultConnectionStatus | None = None
        self._published_from: tuple[object, ...] | None = None  # the observation's snapshot it was built from
        self._writing = asyncio.Lock()  # one write at a time, each built from the newest observation
        self._last_phase: str | None = None
        # Until this runtime reports a login or a failure, the status is the one the object showed when the runtime
        # started (written by an earlier process or replica): found() says which login it shows held.
        self._found: LoginStanding | None = None
        self._rejection_told = False  # a TokenRejected warning was posted: the login that ends it is news

    def found(self, status: Mapping[str, Any] | None) -> None:
        """The object's status when the runtime started (its JSON): a first login it already shows is no news."""
        self._found = standing_of(status)

    @property
    def has_written(self) -> bool:
        """A status was written (or found written) by this reporter: its first write is still to come if not."""
        return self._published is not None

    async def publish(self) -> bool:
        """Write the status if it changed; False when the write failed (the next publish retries)."""
        async with self._writing:
            seen = self.obs.snapshot()
            written = self._published is not None and seen == self._published_from
            if not written:  # something changed since the last write: build the status and compare
                status = build_status(self.obs, self._clock(), self._published)
                written = status == self._published
                if not written:
                    try:
                        # A vanished object (False) counts as written: there is nothing left to update.
                        await self._sink.patch_status(self.name, status_body(status))
                        self._published, written = status, True
                    except Exception as error:  # the API server may be down
                        log.warning("VaultConnection %s: status not written: %s", self.name, self._redact(str(error)))
                if written:
                    self._published_from = seen
        if self.obs.phase != self._last_phase:
            old, self._last_phase = self._last_phase, self.obs.phase
            if self._on_phase is not None:
                self._on_phase(self.name, old, self.obs.phase, self.obs.reason)
        return written

    async def publish_until_written(self, sleep: Callable[[float], Awaitable[None]], cap: float = 60.0) -> None:
        """For final states (a spec only an edit can fix): nothing else would publish again."""
        delay = 0.5
        while not await self.publish():
            await sleep(delay)
            delay = min(cap, delay * 2)

    async def failed(self, error: VaultAccessError, failures: int) -> bool:
        """Record a failure; True when the status write succeeded."""
        obs = self.obs
        # Masked once, here, for status, log and event alike; masked before clipping, so a cut never
        # leaves a secret's head the masking could no longer recognise.
        obs.phase, obs.reason = "Error", error.reason
        obs.message = clip(self._redact(error.message), MESSAGE_LIMIT)
        obs.consecutive_failures = failures
        if error.reason in _AUTH_REASONS:
            obs.authenticated = False
        log.warning("VaultConnection %s: %s: %s", self.name, obs.reason, obs.message, extra=ALREADY_REDACTED)
        await self.events.warning_once(obs.reason, obs.message, masked=True)
        return await self.publish()

    async def logged_in(
        self,
        grant: TokenGrant,
        now: datetime.datetime,
        expires: datetime.datetime | None,
        details: dict[str, str],
        supplied: bool = False,
    ) -> None:
        """A token is held: from a login, or (``supplied``) taken from the spec's Secret and looked up.

        The LoggedIn event tells only a login that changes what the status says (bench/README.md, session 11): a
        restart, a takeover or a re-login at max TTL of a connection the status shows Active and logged in at the
        same generation, method and mount is counted by status (authStatus.loginCount, lastLogin) and the login
        metric, not told 1,000 times over.
        """
        obs = self.obs
        # This runtime's own report so far; before its first, the status the object showed when it started.
        held = self._found if obs.phase == "Pending" else obs.standing()
        # After a TokenRejected warning the status still says Active, but the events left the story at "logging in
        # again": the login that ends it is told once (a Vault rejecting every new token warned once, so this is
        # one event too, not one per re-login).
        news = held != obs.logged_in_standing() or self._rejection_told
        self._rejection_told = False
        if obs.phase != "Error":  # after failures, Active waits for recovered(): a login alone proves little
            obs.phase, obs.reason, obs.message = "Active", Reason.CONNECTED, ""
        obs.authenticated = True
        obs.accessor, obs.expires_at, obs.last_login = grant.accessor, expires, now
        obs.last_renewal, obs.renewal_count = None, 0
        obs.login_count += 1
        obs.details = {k: self._redact(str(v)) for k, v in details.items()}
        ttl = f"{int(grant.ttl)}s" if grant.ttl else "no expiry"
        obs.supplied = supplied
        how = "took the supplied Vault token (no login)" if supplied else f"logged in to Vault at auth/{obs.mount}"
        if news:  # Not masked: our words, a number and the mount, which the status shows as is (authStatus.authPath).
            await self.events.normal(Reason.LOGGED_IN, f"{how} (token TTL {ttl})", masked=True)
        await self.publish()

    async def renewed(self, grant: TokenGrant, now: datetime.datetime, expires: datetime.datetime | None) -> None:
        self.obs.last_renewal, self.obs.expires_at = now, expires
        self.obs.renewal_count += 1
        self.obs.accessor = grant.accessor or self.obs.accessor
        self.events.rearm(Reason.TOKEN_REJECTED)  # Vault accepted a token again: a new rejection is news
        await self.publish()

    async def healthy(self) -> None:
        """A check passed; if it only probed after a failure, the phase stays until recovered()."""
        self.events.rearm(Reason.TOKEN_REJECTED)
        await self.publish()

    async def recovered(self) -> None:
        """A full healthy cycle passed since the last failure: Active again, with one event."""
        obs = self.obs
        obs.phase, obs.reason, obs.message, obs.consecutive_failures = "Active", Reason.CONNECTED, "", 0
        obs.authenticated = True
        self.events.rearm()
        await self.events.normal("Active", "Vault is reachable again and the token is valid")
        await self.publish()

    async def token_rejected(self, error: VaultAccessError) -> None:
        # A Vault rejecting every new token gets one event.
        if await self.events.warning_once(Reason.TOKEN_REJECTED, f"{error.message}; logging in again"):
            self._rejection_told = True
