"""Drive a provider the way the core does, for a plugin's own tests: build its request, log in to a real Vault.

    grant = login_with(MyProvider, {"roleId": ...}, ctx, openbao_server.url)
    assert grant.accessor

A denied login raises LoginDeniedError carrying the provider's explain_login_error message, as
the user would read it on status. A provider that supplies an existing token (a SuppliedToken) is
looked up instead, as the core does; a token Vault rejects raises the core's CredentialsError.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pydantic

from ..errors import LoginDeniedError, TokenInvalidError
from ..provider import AuthContext, AuthProvider, LoginRequest, SuppliedToken
from ..supplied_token import grant_from_lookup, rejected
from ..tls import TLSVerify
from ..vault import TokenGrant, VaultClient, VaultHTTP
from .contract_model import validate_config
from .sync import run_sync

ProviderLike = AuthProvider[Any] | type[AuthProvider[Any]]


def _provider(provider: ProviderLike) -> AuthProvider[Any]:
    return provider() if isinstance(provider, type) else provider


def _config(provider: AuthProvider[Any], config: pydantic.BaseModel | dict[str, Any]) -> pydantic.BaseModel:
    # A dict is validated exactly as the core validates spec.auth.<key>.
    return validate_config(provider.config_model, provider.key, config) if isinstance(config, dict) else config


async def _answer(
    provider: ProviderLike, config: pydantic.BaseModel | dict[str, Any], ctx: AuthContext
) -> LoginRequest | SuppliedToken:
    instance = _provider(provider)
    coro = instance.login_request(_config(instance, config), ctx)
    return await asyncio.wait_for(coro, instance.login_request_timeout)


async def make_login_request_async(
    provider: ProviderLike, config: pydantic.BaseModel | dict[str, Any], ctx: AuthContext
) -> LoginRequest:
    """``provider.login_request(config, ctx)`` with the core's timeout (``login_request_timeout``)."""
    answer = await _answer(provider, config, ctx)
    if not isinstance(answer, LoginRequest):
        raise TypeError(f"login_request returned {type(answer).__name__}: use make_supplied_token for it")
    return answer


async def make_supplied_token_async(
    provider: ProviderLike, config: pydantic.BaseModel | dict[str, Any], ctx: AuthContext
) -> SuppliedToken:
    """:func:`make_login_request_async` for a provider that supplies an existing token."""
    answer = await _answer(provider, config, ctx)
    if not isinstance(answer, SuppliedToken):
        raise TypeError(f"login_request returned {type(answer).__name__}, not a SuppliedToken")
    return answer


def make_supplied_token(
    provider: ProviderLike, config: pydantic.BaseModel | dict[str, Any], ctx: AuthContext
) -> SuppliedToken:
    """Synchronous :func:`make_supplied_token_async`."""
    return run_sync(make_supplied_token_async(provider, config, ctx))


async def adopt_token_async(vault_url: str, supplied: SuppliedToken, *, verify: TLSVerify = True) -> TokenGrant:
    """Look a SuppliedToken up at ``vault_url`` as the core does instead of a login: its lease as a TokenGrant."""
    async with VaultHTTP() as http:
        try:
            data = await VaultClient(vault_url, verify, http).lookup_self(
                supplied.token, f"the token in {supplied.source}")
        except TokenInvalidError as error:
            raise rejected(error.message) from None
    return grant_from_lookup(supplied.token, data)


def adopt_token(vault_url: str, supplied: SuppliedToken, *, verify: TLSVerify = True) -> TokenGrant:
    """Synchronous :func:`adopt_token_async`."""
    return run_sync(adopt_token_async(vault_url, supplied, verify=verify))


def make_login_request(
    provider: ProviderLike, config: pydantic.BaseModel | dict[str, Any], ctx: AuthContext
) -> LoginRequest:
    """Synchronous :func:`make_login_request_async`."""
    return run_sync(make_login_request_async(provider, config, ctx))


async def send_login_async(vault_url: str, request: LoginRequest, *, verify: TLSVerify = True) -> TokenGrant:
    """Send a ready LoginRequest to ``vault_url`` with the core's own Vault transport."""
    async with VaultHTTP() as http:
        return await VaultClient(vault_url, verify, http).login(request)


def send_login(vault_url: str, request: LoginRequest, *, verify: TLSVerify = True) -> TokenGrant:
    """Synchronous :func:`send_login_async`."""
    return run_sync(send_login_async(vault_url, request, verify=verify))


async def login_with_async(
    provider: ProviderLike,
    config: pydantic.BaseModel | dict[str, Any],
    ctx: AuthContext,
    vault_url: str,
    *,
    verify: TLSVerify = True,
) -> TokenGrant:
    """Build the provider's request and send it to ``vault_url`` with the core's own Vault client."""
    instance = _provider(provider)
    model = _config(instance, config)
    request = await _answer(instance, model, ctx)
    if isinstance(request, SuppliedToken):
        return await adopt_token_async(vault_url, request, verify=verify)
    try:
        grant = await send_login_async(vault_url, request, verify=verify)
    except LoginDeniedError as error:
        hint = instance.explain_login_error(model, request, error.status, error.message)
        raise LoginDeniedError(hint or error.message, status=error.status) from None
    ctx.remember_secret(grant.token)  # as the core does: a Vault token is a secret too
    return grant


def login_with(
    provider: ProviderLike,
    config: pydantic.BaseModel | dict[str, Any],
    ctx: AuthContext,
    vault_url: str,
    *,
    verify: TLSVerify = True,
) -> TokenGrant:
    """Synchronous :func:`login_with_async`: returns the TokenGrant (token, accessor, ttl, renewable)."""
    return run_sync(login_with_async(provider, config, ctx, vault_url, verify=verify))
