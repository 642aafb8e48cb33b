"""The trust policy's inputs: the ``run`` flags, the VAO_* environment, and the API server's own audiences."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections.abc import Iterable, Mapping

from .durations import parse_duration
from .kube import KubeClient
from .trust import (
    API_AUDIENCES,
    DEFAULT_MAX_TOKEN_SECONDS,
    MAX_TOKEN_LIFETIME,
    SECRET_NAMESPACES,
    TOKEN_SERVICE_ACCOUNTS,
    VAULT_ADDRESSES,
    TrustPolicy,
)

log = logging.getLogger(__name__)
DISCOVERY_TIMEOUT_SECONDS = 10.0


def split_list(text: str) -> tuple[str, ...]:
    """``a, b,,c`` -> ("a", "b", "c"): the env vars' comma-separated form."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


def parse_lifetime(text: str, setting: str = MAX_TOKEN_LIFETIME.flag) -> int:
    """Whole seconds of a Go duration such as ``1h``; raises ValueError naming ``setting``."""
    try:
        seconds = parse_duration(text)
    except ValueError as error:
        raise ValueError(f"{setting}: {error}") from None
    if seconds < 1:
        raise ValueError(f"{setting}: {text!r} must be at least 1s")
    return int(seconds)


def parse_bool(text: str, setting: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("", "0", "false", "no", "off"):
        return False
    raise ValueError(f"{setting}: {text!r} is not true or false")


def check_accounts(accounts: Iterable[str], setting: str) -> tuple[str, ...]:
    """NAMESPACE/NAME entries (NAME may be ``*``); raises ValueError naming ``setting``."""
    found = tuple(accounts)
    for entry in found:
        namespace, _, name = entry.partition("/")
        if not namespace or not name or "/" in name:
            raise ValueError(f"{setting}: {entry!r} is not NAMESPACE/NAME (such as apps/vault-login)")
    return found


def policy_from_env(environ: Mapping[str, str]) -> TrustPolicy:
    """The trust policy from the VAO_* environment variables; the safe default where one is unset."""
    lifetime = environ.get(MAX_TOKEN_LIFETIME.env)
    return TrustPolicy(
        secret_namespaces=split_list(environ.get(SECRET_NAMESPACES.env, "")),
        token_service_accounts=check_accounts(
            split_list(environ.get(TOKEN_SERVICE_ACCOUNTS.env, "")), TOKEN_SERVICE_ACCOUNTS.env
        ),
        api_audiences=split_list(environ.get(API_AUDIENCES.env, "")),
        max_token_seconds=parse_lifetime(lifetime, MAX_TOKEN_LIFETIME.env) if lifetime else DEFAULT_MAX_TOKEN_SECONDS,
        allow_mounted_token=parse_bool(environ.get("VAO_ALLOW_MOUNTED_TOKEN", ""), "VAO_ALLOW_MOUNTED_TOKEN"),
        vault_addresses=split_list(environ.get(VAULT_ADDRESSES.env, "")),
    )


async def discover_api_audiences(kube: KubeClient, api_server: str | None) -> list[str]:
    """The API server's own audiences: its service-account issuer (a real API server's default audience)
    and the URLs it is reached at. A failed discovery is logged; the configured and built-in ones remain."""
    found = [api_server] if api_server else []
    host, port = os.environ.get("KUBERNETES_SERVICE_HOST"), os.environ.get("KUBERNETES_SERVICE_PORT")
    if host and port:
        found.append(f"https://{host}:{port}")
    try:
        status, body = await asyncio.wait_for(
            kube.request("GET", "/.well-known/openid-configuration"), DISCOVERY_TIMEOUT_SECONDS
        )
        issuer = body.get("issuer") if status == 200 and isinstance(body, dict) else None
        problem = "" if isinstance(issuer, str) and issuer else f"HTTP {status}, no issuer"
    except Exception as error:  # any failure: the built-in and configured audiences still apply
        issuer, problem = None, type(error).__name__
    if issuer:
        found.append(issuer)
        log.info("tokens for the API server's audiences are refused: %s", ", ".join(found))
    else:
        log.warning(
            "could not read the cluster's service-account issuer from /.well-known/openid-configuration (%s): "
            "only the configured (%s) and built-in API-server audiences are refused", problem, API_AUDIENCES.flag,
        )
    return found


def trust_from_flags(
    policy: TrustPolicy,
    *,
    secret_namespaces: Iterable[str] = (),
    token_service_accounts: Iterable[str] = (),
    api_audiences: Iterable[str] = (),
    max_token_lifetime: str | None = None,
    allow_mounted_token: bool | None = None,
    vault_addresses: Iterable[str] = (),
) -> TrustPolicy:
    """``policy`` (from the environment) with the ``run`` flags given; a flag replaces its env var."""
    changes: dict[str, object] = {}
    for field, values in (("secret_namespaces", secret_namespaces), ("api_audiences", api_audiences),
                          ("vault_addresses", vault_addresses)):
        if values := tuple(v for value in values for v in split_list(value)):
            changes[field] = values
    if accounts := tuple(a for value in token_service_accounts for a in split_list(value)):
        changes["token_service_accounts"] = check_accounts(accounts, TOKEN_SERVICE_ACCOUNTS.flag)
    if max_token_lifetime is not None:
        changes["max_token_seconds"] = parse_lifetime(max_token_lifetime)
    if allow_mounted_token is not None:
        changes["allow_mounted_token"] = allow_mounted_token
    return dataclasses.replace(policy, **changes)  # type: ignore[arg-type]
