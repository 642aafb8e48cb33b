"""What a login costs beside its requests: what reporting it masks, and the auth contexts made for it.

Reporting a login masks the plugin's details (they come from outside), not the LoggedIn event's text.

The event says "logged in to Vault at auth/<mount> (token TTL <n>s)": our words, a number and the mount, which the
status shows unmasked as ``authStatus.authPath``. Masking it cost every login a pass of the redactor (the index of
every registered JWT and token, and seven scans for secret shapes): 1.4% of a restart's operator CPU
(bench/README.md, session 9). Counted here: the texts the redactor examined per login.
"""

from __future__ import annotations

import datetime
import functools
import logging
from typing import Any

import pytest

from tests.support.counting_redactor import CountingRedactor
from vault_access_operator.context import CoreAuthContext, OperatorIdentity
from vault_access_operator.errors import Reason
from vault_access_operator.events import EventEmitter
from vault_access_operator.kinds import VAULT_CONNECTION
from vault_access_operator.reporting import Reporter
from vault_access_operator.status import Observation
from vault_access_operator.vault import TokenGrant

T0 = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)
TOKEN = "hvs.CAESIJ2f0e6b8c7d9a1b3c5e7f9a0b2c4d6e8f0a1b3c5d7e9"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXBwIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


class Recorded:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []
        self.statuses: list[dict[str, Any]] = []

    async def post(self, involved: dict[str, str], kind: str, reason: str, message: str) -> None:
        self.events.append((kind, reason, message))

    async def patch_status(self, name: str, status: dict[str, Any]) -> bool:
        self.statuses.append(status)
        return True


async def _logins(count: int, details: dict[str, str], mount: str = "kubernetes") -> tuple[CountingRedactor, Recorded]:
    redactor, recorded = CountingRedactor(), Recorded()
    redactor.remember(TOKEN)
    redactor.remember(JWT)
    for i in range(count):
        obs = Observation(generation=1, method="kubernetes", mount=mount)
        events = EventEmitter(functools.partial(VAULT_CONNECTION.ref, f"vault-{i}"), recorded.post, redactor)
        reporter = Reporter(f"vault-{i}", obs, recorded, events, lambda: T0, redactor)
        grant = TokenGrant(token=TOKEN, accessor=f"acc-{i}", ttl=3600, renewable=True)
        await reporter.logged_in(grant, T0, T0 + datetime.timedelta(hours=1), details)
    return redactor, recorded


@pytest.mark.asyncio
async def test_a_login_masks_its_details_and_not_its_own_event_text() -> None:
    details = {"serviceAccount": "vault-access-operator-system/operator", "tokenSource": "TokenRequest"}
    redactor, recorded = await _logins(100, details)
    assert len(redactor.texts) == 200  # the two details of each login; 300 before (the event's text too)
    assert set(redactor.texts) == set(details.values())
    assert recorded.events == [("Normal", Reason.LOGGED_IN, "logged in to Vault at auth/kubernetes (token TTL 3600s)")
                               ] * 100
    assert all(s["authStatus"]["authPath"] == "kubernetes" for s in recorded.statuses)


@pytest.mark.asyncio
async def test_secrets_in_the_details_are_still_masked_and_none_reaches_the_event() -> None:
    _, recorded = await _logins(1, {"echo": f"token {TOKEN} jwt {JWT}", "shape": "hvs." + "x" * 24})
    [status] = recorded.statuses
    assert status["authStatus"]["details"] == {"echo": "token *** jwt ***", "shape": "***"}
    [(_, _, message)] = recorded.events
    assert TOKEN not in message and JWT not in message and "hvs." not in message


def test_a_connections_auth_context_looks_no_logger_up(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two contexts per connection served (admission, the runtime): each looked its logger up under logging's lock.
    looked_up: list[str | None] = []
    real = logging.getLogger

    def counted(name: str | None = None) -> logging.Logger:
        looked_up.append(name)
        return real(name)

    monkeypatch.setattr(logging, "getLogger", counted)
    contexts = [CoreAuthContext(f"vault-{i}", OperatorIdentity(), None, lambda: None)  # type: ignore[arg-type, return-value]
                for i in range(100)]
    assert looked_up.count("vault_access_operator.auth") == 0  # 100 before
    assert {ctx.logger.name for ctx in contexts} == {"vault_access_operator.auth"}
