"""The authentication.k8s.io endpoints of the fake API: TokenRequest and TokenReview.

Also the service-account issuer discovery (/.well-known/openid-configuration, /openid/v1/jwks)
that a real API server serves, so OpenBao `jwt` auth can validate the same JWTs.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp.web
import kmock

from . import kube_objects as ko
from .kube_resources import DEFAULT_RESOURCES
from .kube_tokens import TokenAuthority, expiration_timestamp

_SA = next(s for s in DEFAULT_RESOURCES if s.plural == "serviceaccounts")


def json_response(payload: Any, status: int = 200) -> aiohttp.web.Response:
    return aiohttp.web.json_response(payload, status=status)


def encoded_response(body: bytes, status: int = 200) -> aiohttp.web.Response:
    """A response with JSON encoded already (a written object: its watch event's ``Published.body``)."""
    return aiohttp.web.Response(body=body, status=status, content_type="application/json")


class AuthAPIMixin:
    __slots__ = ()
    # Provided by KubeEmulator:
    tokens: TokenAuthority
    _lock: asyncio.Lock

    def sa_uid(self, namespace: str, name: str) -> str | None:
        raise NotImplementedError

    def _issuer_discovery(self, request: kmock.Request) -> aiohttp.web.Response | None:
        if request.method != "GET":
            return None
        if request.url.path == "/.well-known/openid-configuration":
            return json_response({
                "issuer": self.tokens.issuer, "jwks_uri": f"{self.tokens.issuer}/openid/v1/jwks",
                "response_types_supported": ["id_token"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"]})
        if request.url.path == "/openid/v1/jwks":
            return json_response(self.tokens.jwks())
        return None

    async def _token_request(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        namespace, name = request.namespace or "default", request.name or ""
        if self.tokens.forbid_requests:
            # The wording of kube-apiserver's RBAC denial (the caller is not tracked here).
            raise ko.error(403, "Forbidden", f'serviceaccounts "{name}" is forbidden: User "system:serviceaccount:'
                           f'{namespace}:caller" cannot create resource "serviceaccounts/token" in API group "" '
                           f'in the namespace "{namespace}"', name=name, kind="serviceaccounts")
        spec = (request.data or {}).get("spec") or {}
        seconds = int(spec.get("expirationSeconds") or 3600)
        async with self._lock:
            uid = self.sa_uid(namespace, name)
        if uid is None:
            raise ko.not_found(_SA, name)
        if seconds < self.tokens.min_expiration_seconds:
            raise ko.error(422, "Invalid", f'TokenRequest.authentication.k8s.io "{name}" is invalid: '
                           f"spec.expirationSeconds: Invalid value: {seconds}: "
                           "may not specify a duration less than 10 minutes")
        minted = self.tokens.mint(namespace, name, uid, spec.get("audiences"), seconds)
        return json_response({
            "kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"name": name, "namespace": namespace, "creationTimestamp": ko.now_ts()},
            "spec": {"audiences": list(minted.audiences), "expirationSeconds": seconds, "boundObjectRef": None},
            "status": {"token": minted.token, "expirationTimestamp": expiration_timestamp(minted)},
        }, 201)

    async def _token_review(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        spec = (request.data or {}).get("spec") or {}
        if not spec.get("token"):
            raise ko.error(422, "Invalid", "TokenReview is invalid: spec.token: Required value")
        async with self._lock:
            status = self.tokens.review(spec["token"], spec.get("audiences"), self.sa_uid)
        return json_response({"kind": "TokenReview", "apiVersion": "authentication.k8s.io/v1",
                              "metadata": {"creationTimestamp": None}, "spec": spec, "status": status}, 201)
