"""tokenTTL / tokenMaxTTL use Vault's own duration grammar: what the operator accepts, OpenBao stores as the same
seconds (so the read-back never differs), and what OpenBao refuses, the operator refuses first."""

from __future__ import annotations

import hvac
import pytest

from vault_access_operator.durations import vault_ttl_seconds
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit import vault_setup

ACCEPTED = ["0", "3600", "90s", "30m", "1h30m", "1.5h", "2d", "1500ms", "01h", "8784h"]
REFUSED_BY_BOTH = ["1d12h", "1.5d", "1w", "-1", "1 h", " 1h", "1e3", "0x10", "1h1d"]
REFUSED_HERE_ONLY = ["500ms"]  # OpenBao stores 0: the mount's default, not what was meant


def _stored(client: hvac.Client, ttl: str) -> int | None:
    try:
        client.adapter.post("/v1/auth/kubernetes/role/ttl", json={
            "bound_service_account_names": ["a"], "bound_service_account_namespaces": ["n"], "token_ttl": ttl})
    except hvac.exceptions.InvalidRequest:
        return None
    return int(client.adapter.get("/v1/auth/kubernetes/role/ttl")["data"]["token_ttl"])


def test_the_grammar_matches_openbao(openbao: OpenBaoServer) -> None:
    client = openbao.client()
    vault_setup.enable_kubernetes_auth(client, "http://127.0.0.1:1")
    for ttl in ACCEPTED:
        assert vault_ttl_seconds(ttl) == _stored(client, ttl), ttl
    for ttl in REFUSED_BY_BOTH:
        assert _stored(client, ttl) is None, ttl
        with pytest.raises(ValueError, match="is not a Vault TTL"):
            vault_ttl_seconds(ttl)
    for ttl in REFUSED_HERE_ONLY:
        assert _stored(client, ttl) == 0
        with pytest.raises(ValueError, match="under one second"):
            vault_ttl_seconds(ttl)
