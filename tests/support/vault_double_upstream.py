"""What the Vault login doubles (aws, gcp) share: the tokens a login grants are minted in a real OpenBao, and
every other request is passed through to it, so lookups, renewals and revocations are real OpenBao behaviour."""

from __future__ import annotations

from typing import Any

import requests
from werkzeug.wrappers import Request, Response

from vault_access_operator.testing.openbao import OpenBaoServer

_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}


def mint_token(upstream: OpenBaoServer, policies: list[str], ttl: int, max_ttl: int | None, display_name: str,
               meta: dict[str, str]) -> dict[str, Any]:
    """An orphan token in ``upstream`` as the auth backend would grant it: its ``auth`` block."""
    request: dict[str, Any] = {"policies": policies, "ttl": f"{ttl}s", "renewable": True, "no_parent": True,
                               "display_name": display_name, "meta": meta}
    if max_ttl:
        request["explicit_max_ttl"] = f"{max_ttl}s"
    answer = requests.post(f"{upstream.url}/v1/auth/token/create", json=request, timeout=10,
                           headers={"X-Vault-Token": upstream.root_token or ""})
    answer.raise_for_status()
    auth: dict[str, Any] = answer.json()["auth"]
    return auth


def pass_through(upstream: OpenBaoServer, request: Request) -> Response:
    """``request`` answered by ``upstream`` (hop-by-hop headers dropped both ways)."""
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
    answer = requests.request(request.method, f"{upstream.url}{request.full_path.rstrip('?')}",
                              headers=headers, data=request.get_data(), timeout=30, allow_redirects=False)
    kept = [(k, v) for k, v in answer.headers.items() if k.lower() not in _HOP]
    return Response(answer.content, status=answer.status_code, headers=kept)
