"""The context a set-up block (spec.auth.bootstrap) gets: the core's, with secrets held for the whole set-up."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence

import aiohttp

from .clip import clip
from .context import CoreAuthContext
from .provider import ServiceAccountToken

MESSAGE_LIMIT = 2048  # a condition message


class SetupContext:
    """The provider's context during set-up: the core's, but the secrets it reads stay masked until the next run.

    (The core's own context forgets a login attempt's secrets when the next attempt begins, and the test
    login is one.)
    """

    def __init__(self, ctx: CoreAuthContext) -> None:
        self._ctx = ctx
        self._held: list[str] = []

    @property
    def connection_name(self) -> str:
        return self._ctx.connection_name

    @property
    def operator_namespace(self) -> str:
        return self._ctx.operator_namespace

    @property
    def operator_service_account(self) -> str:
        return self._ctx.operator_service_account

    @property
    def logger(self) -> logging.Logger:
        return self._ctx.logger

    def now(self) -> datetime.datetime:
        return self._ctx.now()

    def remember_secret(self, value: str) -> None:
        self._ctx.redactor.remember(value)
        self._held.append(value)

    async def read_secret(self, namespace: str, name: str, key: str) -> str:
        self._ctx.check_secret(namespace, name)
        value = await self._ctx.kube.read_secret(namespace, name, key)
        self.remember_secret(value)
        return value

    async def request_service_account_token(
        self, namespace: str, name: str, audiences: Sequence[str], duration_seconds: int
    ) -> ServiceAccountToken:
        token = await self._ctx.request_service_account_token(namespace, name, audiences, duration_seconds)
        self.remember_secret(token.token)
        return token

    def http_session(self) -> aiohttp.ClientSession:
        return self._ctx.http_session()

    def masked(self, text: str) -> str:
        """``text`` with every secret the operator knows masked (for status and events)."""
        return clip(self._ctx.redactor(text), MESSAGE_LIMIT)

    def release(self) -> None:
        held, self._held = self._held, []
        for value in held:
            self._ctx.redactor.forget(value)
