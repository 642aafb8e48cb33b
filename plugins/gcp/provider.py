"""The ``gcp`` auth provider: turns spec.auth.gcp into a Vault auth/gcp login request ``{role, jwt}``."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from vault_access_operator.plugin import AuthContext, AuthProvider, LoginRequest

from .claims import audience, iam_claims
from .config import GcpAuthConfig
from .endpoints import Endpoints
from .explain import explain
from .keyfile import ServiceAccountKey, parse_key

if TYPE_CHECKING:
    from .signer import DefaultCredentials


class GcpAuthProvider(AuthProvider[GcpAuthConfig]):
    key = "gcp"
    config_model = GcpAuthConfig

    def __init__(self) -> None:
        # One instance serves every connection: the only state is the operator's own default credentials.
        self._env: Mapping[str, str] = os.environ
        self._default_credentials: DefaultCredentials | None = None  # made at the first login that needs them

    @property
    def _adc(self) -> DefaultCredentials:
        if self._default_credentials is None:
            from . import signer

            self._default_credentials = signer.DefaultCredentials()
        return self._default_credentials

    def mount(self, config: GcpAuthConfig) -> str:
        return config.auth_path.strip("/")

    async def login_request(self, config: GcpAuthConfig, ctx: AuthContext) -> LoginRequest:
        # google-auth, requests and PyJWT (about 0.07 s of every start when imported with the plugin) only once a
        # gcp login needs them.
        from .metadata import fetch_identity_token
        from .signer import sign_jwt

        endpoints = Endpoints.from_env(self._env)
        if config.auth_type == "gce":
            account = config.service_account_email or "default"
            # Blocking (google-auth's requests transport): in a worker thread, off the event loop.
            identity = await asyncio.to_thread(fetch_identity_token, endpoints, account, audience(config.role))
            ctx.remember_secret(identity.token)
            details = {"authType": "gce", **identity.details()}
            return self._request(config, identity.token, details)
        key, origin, shown = await self._key(config, ctx, endpoints)
        now = ctx.now()  # the JWT's iat/exp come from the context's clock
        signed = await asyncio.to_thread(
            sign_jwt, key, origin, config.service_account_email,
            lambda email: iam_claims(config.role, email, now), endpoints, self._adc,
        )
        for secret in (signed.jwt, signed.access_token):
            if secret:
                ctx.remember_secret(secret)
        details = {"authType": "iam", "serviceAccount": signed.email, "credentialSource": shown or origin}
        if signed.signer and signed.signer != signed.email:
            details["signer"] = signed.signer
        if signed.key_id:
            details["keyId"] = signed.key_id
        return self._request(config, signed.jwt, details)

    async def _key(
        self, config: GcpAuthConfig, ctx: AuthContext, endpoints: Endpoints
    ) -> tuple[ServiceAccountKey | None, str, str]:
        """The key from credentialsSecretRef (read through the context: the trust policy applies), if any."""
        ref = config.credentials_secret_ref
        if ref is None:
            return None, "application default credentials", ""
        namespace = ref.namespace or ctx.operator_namespace
        text = (await ctx.read_secret(namespace, ref.name, ref.key)).strip()
        if text:
            ctx.remember_secret(text)
        origin = f"key {ref.key!r} of Secret {namespace}/{ref.name}"
        key = parse_key(text, origin, endpoints.token)
        ctx.remember_secret(str(key.info["private_key"]))
        return key, origin, f"Secret {namespace}/{ref.name}[{ref.key}]"

    def _request(self, config: GcpAuthConfig, jwt: str, details: dict[str, str]) -> LoginRequest:
        body = {"role": config.role, "jwt": jwt}
        # The explainer quotes what was presented (the account): its own copy, whatever status shows.
        return LoginRequest(self.mount(config), body, details=details, role=config.role, private=dict(details))

    def explain_login_error(self, config: GcpAuthConfig, request: LoginRequest, status: int, errors: str) -> str:
        return explain(config.role, config.auth_type, request.mount, request.private, errors)
