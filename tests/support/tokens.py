"""Vault tokens made on a real OpenBao for the token plugin's tests (with the root token)."""

from __future__ import annotations

from typing import Any

from vault_access_operator.testing.openbao import OpenBaoServer


def new_token(server: OpenBaoServer, **settings: Any) -> tuple[str, str]:
    """A token with the default policy and ``settings`` (ttl, period, renewable, id...): (token, accessor)."""
    auth = server.client().auth.token.create(**{"policies": ["default"], **settings})["auth"]
    return auth["client_token"], auth["accessor"]


def is_valid(server: OpenBaoServer, accessor: str) -> bool:
    try:
        server.client().auth.token.lookup_accessor(accessor)
    except Exception:  # hvac's InvalidRequest: revoked or expired
        return False
    return True
