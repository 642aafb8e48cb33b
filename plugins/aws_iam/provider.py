"""The ``aws`` auth provider: turns spec.auth.aws into a Vault auth/aws login request."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING

from vault_access_operator.plugin import (
    AuthContext,
    AuthProvider,
    CredentialSourceUnreachableError,
    LoginRequest,
)

from .config import AwsAuthConfig
from .explain import explain
from .imds import Imds, ImdsError

if TYPE_CHECKING:
    from .credentials import SourceCache


class AwsAuthProvider(AuthProvider[AwsAuthConfig]):
    key = "aws"
    config_model = AwsAuthConfig

    def mount(self, config: AwsAuthConfig) -> str:
        return config.auth_path.strip("/")

    def __init__(self) -> None:
        # One instance serves every connection (the registry makes one per key): state is keyed.
        # The environment is read live, as botocore reads it (EKS injects IRSA/Pod Identity there).
        self._env: Mapping[str, str] = os.environ
        self._source_cache: SourceCache | None = None  # made, and botocore imported, at the first iam login
        self._imds_region: str | None = None  # an instance never moves: ask IMDS once
        self._nonces: dict[str, str] = {}  # connection -> ec2 nonce, when no nonceSecretRef

    @property
    def _sources(self) -> SourceCache:
        if self._source_cache is None:
            from . import credentials

            self._source_cache = credentials.SourceCache()
        return self._source_cache

    async def login_request(self, config: AwsAuthConfig, ctx: AuthContext) -> LoginRequest:
        if config.auth_type == "ec2":
            return await self._ec2_login(config, ctx)
        # botocore (about 0.1 s of every start when imported with the plugin) only once an iam login needs it.
        from .credentials import SourceKey
        from .messages import credential_error
        from .signing import regional_sts_endpoint, sign_get_caller_identity

        region, region_source = await self.region(config, ctx)
        endpoint = config.sts_endpoint or regional_sts_endpoint(region)
        key = SourceKey(region, config.sts_endpoint, config.role_arn, config.external_id, config.session_name)
        source = self._sources.get(key)
        try:
            # Blocking: token file reads, STS/IMDS/container calls when botocore refreshes.
            resolved = await asyncio.to_thread(source.resolve)
        except Exception as error:
            account = f"{ctx.operator_namespace}/{ctx.operator_service_account}"
            raise credential_error(error, key, account, self._env) from None
        for secret in (resolved.frozen.secret_key, resolved.frozen.token):
            if secret:
                ctx.remember_secret(secret)
        signed = sign_get_caller_identity(
            resolved.frozen, region, endpoint, config.iam_server_id_header_value, ctx.now()
        )
        fields = signed.login_fields()
        ctx.remember_secret(fields["iam_request_headers"])  # base64 of the signature and session token
        details = {
            "authType": "iam",
            "region": region,
            "regionSource": region_source,
            "stsEndpoint": endpoint,
            "credentialSource": resolved.method,
        }
        if resolved.role_arn:
            details["iamRoleArn"] = resolved.role_arn
        if resolved.caller_arn:
            details["callerArn"] = resolved.caller_arn
        if config.iam_server_id_header_value:
            details["iamServerIdHeaderValue"] = config.iam_server_id_header_value
        body = {"role": config.role, **fields}
        # The explainer quotes what was presented (region, ARNs): its own copy, whatever status shows.
        return LoginRequest(self.mount(config), body, details=details, role=config.role, private=dict(details))

    async def region(self, config: AwsAuthConfig, ctx: AuthContext) -> tuple[str, str]:
        """The signing region and where it came from: spec, AWS_REGION, AWS_DEFAULT_REGION, then IMDS."""
        if config.region:
            return config.region, "spec"
        for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
            if self._env.get(name):
                return self._env[name], name
        if self._imds_region is None:
            try:
                self._imds_region = await Imds.from_env(ctx.http_session(), ctx.remember_secret, self._env).region()
            except ImdsError as error:
                raise CredentialSourceUnreachableError(
                    f"cannot detect the AWS region: spec.auth.aws.region, AWS_REGION and AWS_DEFAULT_REGION are "
                    f"not set, and {error}: set spec.auth.aws.region"
                ) from None
        return self._imds_region, "instance metadata"

    async def _ec2_login(self, config: AwsAuthConfig, ctx: AuthContext) -> LoginRequest:
        try:
            imds = Imds.from_env(ctx.http_session(), ctx.remember_secret, self._env)
            pkcs7 = await imds.pkcs7()
            document = await imds.identity_document()
        except (ImdsError, ValueError) as error:
            raise CredentialSourceUnreachableError(
                f"cannot get the EC2 instance identity document for authType ec2: {error}: the operator must run "
                "on an EC2 instance (or node) whose metadata service it can reach"
            ) from None
        nonce = await self._nonce(config, ctx)
        details = {
            "authType": "ec2",
            "region": config.region or str(document.get("region", "")),
            "instanceId": str(document.get("instanceId", "")),
            "accountId": str(document.get("accountId", "")),
            "nonceSource": "Secret" if config.nonce_secret_ref else "memory",
        }
        body = {"role": config.role, "pkcs7": pkcs7, "nonce": nonce}
        return LoginRequest(self.mount(config), body, details=details, role=config.role, private=dict(details))

    async def _nonce(self, config: AwsAuthConfig, ctx: AuthContext) -> str:
        """Vault ties the first login's nonce to the instance; later logins must repeat it."""
        ref = config.nonce_secret_ref
        if ref is not None:
            nonce = (await ctx.read_secret(ref.namespace or ctx.operator_namespace, ref.name, ref.key)).strip()
        else:
            nonce = self._nonces.setdefault(ctx.connection_name, secrets.token_urlsafe(32))
        ctx.remember_secret(nonce)
        return nonce

    def connection_removed(self, connection_name: str) -> None:
        self._nonces.pop(connection_name, None)  # a re-created connection starts with a fresh nonce

    def explain_login_error(self, config: AwsAuthConfig, request: LoginRequest, status: int, errors: str) -> str:
        return explain(
            config.role, config.auth_type, request.mount, request.private, config.iam_server_id_header_value, errors
        )
