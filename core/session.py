"""A connection's Vault session: TLS trust, the current token, and the provider call.

The token lives here, in memory only. Vault calls go through the operator's shared
:class:`~vault.VaultHTTP` pool. Controllers borrow it for a call (:meth:`VaultSession.borrow`, through
:mod:`connections`), never to keep.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from .clip import clip
from .context import CoreAuthContext
from .errors import ConnectionNotReadyError, Reason, TokenInvalidError, VaultAccessError, VaultResponseError
from .health import HealthCache
from .models import VaultConnectionSpec
from .provider import LoginRequest, SuppliedToken
from .supplied_token import grant_from_lookup, lookup_facts, rejected
from .tls import TLSVerify, check_ca_pem
from .trust import check_address
from .validation import ValidatedConnection
from .vault import Health, TokenGrant, VaultClient, VaultHTTP
from .vault_api import VaultAPI

log = logging.getLogger(__name__)
T = TypeVar("T")


class VaultSession:
    def __init__(self, spec: VaultConnectionSpec, ctx: CoreAuthContext, http: VaultHTTP, health: HealthCache) -> None:
        self.spec = spec
        self.ctx = ctx
        self._http = http
        self._health = health
        self._client: VaultClient | None = None
        self._verify: TLSVerify | None = None
        self._grant: TokenGrant | None = None
        self._owned = False  # the operator created the token it holds (a login), so it may revoke it
        self._whose = "the operator's token"  # how messages name the token held
        self._stale = True  # re-read the CA Secret before the next call
        self._revoking: asyncio.Future[None] | None = None
        # Told when the token changes (a login, a revocation), not on renewal: set by core/connections.py.
        self.on_token: Callable[[], None] = lambda: None

    @property
    def has_token(self) -> bool:
        return self._grant is not None

    async def _vault(self, refresh: bool = False) -> VaultClient:
        """The client; the CA Secret is re-read at login and after any failure, not on every check."""
        if not (refresh or self._stale) and self._client is not None:
            return self._client
        check_address(self.ctx.trust, self.spec.address)  # before the first request to it, and after a failure
        verify = await self._tls_verify()
        self._stale = False
        if self._client is None or verify is not self._verify:
            self._client, self._verify = VaultClient(self.spec.address, verify, self._http), verify
        return self._client

    async def _tls_verify(self) -> TLSVerify:
        tls = self.spec.tls
        if tls is None or not self.spec.address.startswith("https://"):
            return True
        if tls.skip_verify:
            return False
        if tls.ca_secret_ref is None:
            return True
        ref = tls.ca_secret_ref
        namespace = ref.namespace or self.ctx.operator_namespace
        self.ctx.check_secret(namespace, ref.name, "spec.tls.caSecretRef")  # not a secret: no masking needed
        pem = await self.ctx.kube.read_secret(namespace, ref.name, ref.key)
        return check_ca_pem(pem, f"key {ref.key!r} of Secret {namespace}/{ref.name} (spec.tls.caSecretRef)")

    async def _call(self, call: Callable[[VaultClient], Awaitable[T]], refresh: bool = False) -> T:
        try:
            return await call(await self._vault(refresh))
        except VaultAccessError:
            self._stale = True
            raise

    async def api(self) -> VaultAPI:
        """The connection's Vault client (address, TLS trust) without a token: for a set-up block's calls."""
        return await self._vault()

    async def health(self) -> Health:
        health = await self._call(self._health.get, refresh=True)
        address = self.spec.address
        if not health.initialized:
            raise VaultAccessError(
                f"Vault at {address} is not initialized: run 'vault operator init'",
                reason=Reason.VAULT_NOT_INITIALIZED,
            )
        if health.sealed:
            raise VaultAccessError(f"Vault at {address} is sealed: unseal it", reason=Reason.VAULT_SEALED)
        return health

    async def login_request(self, validated: ValidatedConnection) -> LoginRequest | SuppliedToken:
        self.ctx.release_secrets()  # the previous attempt's; its failure, if any, is reported by now
        provider = validated.provider
        timeout = provider.login_request_timeout
        try:
            async with asyncio.timeout(timeout):  # in this task: wait_for would start another one per login
                request = await provider.login_request(validated.config, self.ctx)
        except TimeoutError:
            raise VaultAccessError(
                f"the {validated.method!r} auth plugin did not produce a login request within {timeout:g}s",
                reason=Reason.PLUGIN_TIMEOUT,
            ) from None
        except VaultAccessError:
            raise
        except Exception as error:  # a plugin bug must not take the operator down
            log.exception("auth plugin %r failed", validated.method)
            raise VaultAccessError(
                f"the {validated.method!r} auth plugin failed: {type(error).__name__}: {clip(str(error))}",
                reason=Reason.PLUGIN_FAILED,
            ) from None
        if not isinstance(request, LoginRequest | SuppliedToken):
            raise VaultAccessError(
                f"the {validated.method!r} auth plugin returned {type(request).__name__}, not a LoginRequest "
                "or SuppliedToken",
                reason=Reason.PLUGIN_FAILED,
                retryable=False,
            )
        return request

    async def login(self, request: LoginRequest) -> TokenGrant:
        grant = await self._call(lambda vault: vault.login(request))
        self.ctx.redactor.remember(grant.token)  # until revoked, not just for this attempt
        self._grant, self._owned, self._whose = grant, True, "the operator's token"
        self.on_token()
        return grant

    async def adopt(self, supplied: SuppliedToken) -> tuple[TokenGrant, dict[str, str]]:
        """Hold a token a plugin supplied: looked up instead of a login, never revoked by the operator.

        Returns its lease and the facts status shows (policies, type, renewable, period).
        """
        token, whose = supplied.token, f"the token in {supplied.source}"
        try:
            data = await self._call(lambda vault: vault.lookup_self(token, whose))
        except TokenInvalidError as error:
            raise rejected(error.message) from None
        grant = grant_from_lookup(token, data)
        self.ctx.redactor.remember(token)  # until dropped, as a token from a login
        self._grant, self._owned, self._whose = grant, False, whose
        self.on_token()
        return grant, lookup_facts(data)

    async def lookup_self(self) -> None:
        assert self._grant is not None
        token, whose = self._grant.token, self._whose
        await self._call(lambda vault: vault.lookup_self(token, whose))

    async def renew(self) -> TokenGrant:
        assert self._grant is not None
        token = self._grant.token
        self._grant = await self._call(lambda vault: vault.renew_self(token))
        return self._grant

    async def revoke_quietly(self) -> None:
        """Revoke the current token if any; a failure is logged, never raised (it expires anyway).

        A token a plugin supplied (:meth:`adopt`) is only dropped: the operator did not create it.

        Concurrent callers (a paused daemon and the operator's cleanup) share one revocation,
        and it runs to the end even if a caller is cancelled.
        """
        if self._revoking is None:
            self._revoking = asyncio.ensure_future(self._revoke())
        await asyncio.shield(self._revoking)

    async def _revoke(self) -> None:
        grant, owned, self._grant = self._grant, self._owned, None
        if grant is not None:
            self.on_token()  # borrowers stop using it now, not once Vault has answered
        try:
            if grant is not None and self._client is not None and owned:
                await self._client.revoke_self(grant.token)
        except VaultAccessError as error:
            log.info("could not revoke the old token (it will expire by itself): %s", error.message)
        finally:
            self._revoking = None
            if grant is not None:
                self.ctx.redactor.forget(grant.token)

    async def borrow(self, call: Callable[[VaultAPI, str], Awaitable[T]], namespace: str | None = None) -> T:
        """Run a controller's ``call(vault, token)`` with the token held right now; it must not keep the token."""
        grant = self._grant
        if grant is None:
            name = self.ctx.connection_name
            raise ConnectionNotReadyError(f"VaultConnection {name} holds no token yet", connection=name, phase=None)
        vault: VaultAPI = await self._vault()
        try:
            return await call(vault.in_namespace(namespace) if namespace else vault, grant.token)
        except VaultResponseError:
            raise  # Vault answered: the way to it is fine
        except VaultAccessError:
            self._stale = True  # re-read the CA Secret before the next call, as after a failed check
            raise

    def close(self) -> None:
        """The connection is gone: forget the secrets of its last login attempt."""
        self.ctx.release_secrets()
