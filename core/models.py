"""pydantic models of the VaultConnection spec: the source of the CRD and the API docs.

Field names keep the replaced operator's v1alpha1 API (camelCase aliases), so existing
YAML validates unchanged. Models are strict: a wrong type is an error, never coerced.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import ConfigDict, Field, field_validator, model_validator

from .access_spec import ConnectionDefaults, DiscoverySpec
from .durations import Duration, at_least
from .fields import (
    Address,
    Audience,
    MountPath,
    Namespace,
    ObjectName,
    RoleName,
    SecretKey,
    ServiceAccountRef,
    Text,
    URLText,
)
from .spec_model import Audiences, SecretKeySelector, SpecModel, TLSConfig
from .tenancy_spec import Confinement, TenancySpec

# The spec's sections live in spec_model.py (building blocks), tenancy_spec.py and access_spec.py; this module
# keeps the whole VaultConnection spec, and every name plugins and the access kinds import from here.
__all__ = [
    "Address",
    "Audience",
    "Audiences",
    "Confinement",
    "ConnectionDefaults",
    "DiscoverySpec",
    "MountPath",
    "Namespace",
    "ObjectName",
    "RoleName",
    "SecretKey",
    "SecretKeySelector",
    "ServiceAccountRef",
    "SpecModel",
    "TLSConfig",
    "TenancySpec",
    "Text",
    "URLText",
    "VaultConnectionSpec",
]

MIN_HEALTH_CHECK_SECONDS = 1.0
METHOD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,62}")  # a spec.auth key: it is echoed in messages and status
TLS_WITH_HTTP = "spec.tls is set but spec.address is http://: use https:// or remove spec.tls"
#: The one pair of blocks spec.auth may hold: a one-time set-up of Vault's kubernetes auth, then kubernetes logins.
SETUP_BLOCK = "bootstrap"
SETUP_PAIR = (SETUP_BLOCK, "kubernetes")
AUTH_BLOCKS_RULE = (
    "(self.size() == 1 && !has(self.bootstrap)) || (self.size() == 2 && has(self.bootstrap) && has(self.kubernetes))"
)


def _auth_schema(schema: dict[str, Any]) -> None:
    # The auth block is a map so that third-party plugins add keys without a CRD change;
    # "exactly one method" is a CEL rule the API server checks.
    schema.clear()
    schema.update(
        {
            "type": "object",
            "description": (
                "How the operator logs in: exactly one block, named after the auth method "
                "(aws, kubernetes, oidc, jwt, or one a plugin adds); or bootstrap together with kubernetes "
                "(a one-time set-up of Vault's kubernetes auth, then kubernetes logins)."
            ),
            "additionalProperties": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "x-kubernetes-validations": [
                {
                    "rule": AUTH_BLOCKS_RULE,
                    "message": "spec.auth must contain exactly one auth method block, or the pair bootstrap and "
                    "kubernetes",
                }
            ],
        }
    )


class VaultConnectionSpec(SpecModel):
    """Where Vault is, how to trust it, and how the operator logs in."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {"rule": "!has(self.tls) || self.address.startsWith('https://')", "message": TLS_WITH_HTTP}
            ]
        }
    )

    address: Address = Field(
        description="Vault's URL, such as https://vault.example.com:8200: http(s), a host, an optional port and "
        "path prefix; no user name, password, query or fragment.",
    )
    tls: TLSConfig | None = Field(default=None, description="TLS trust settings.")
    auth: dict[str, dict[str, Any]] = Field(
        description="How the operator logs in: exactly one block named after the method (see spec.auth.* below).",
        json_schema_extra=_auth_schema,
    )
    health_check_interval: Annotated[
        Duration, at_least(MIN_HEALTH_CHECK_SECONDS, "each check is a request to Vault")
    ] = Field(
        default=30.0,
        description="How often the operator checks Vault and its token (one request each time; at least 1s).",
        json_schema_extra={"default": "30s"},
    )
    defaults: ConnectionDefaults | None = Field(
        default=None,
        description="What the access objects (VaultPolicy, VaultRole...) that use this connection inherit.",
    )
    tenancy: TenancySpec | None = Field(
        default=None,
        description="Which namespaces may use this connection and how confined their objects' Vault paths are "
        "(docs/access/policies.md). Left out: every namespace, no confinement, as the replaced operator.",
    )
    discovery: DiscoverySpec | None = Field(
        default=None,
        description="Report Vault policies and roles that no object manages, and orphans (docs/access/"
        "kv-and-discovery.md). Left out: no scans.",
    )

    @field_validator("auth")
    @classmethod
    def _exactly_one_method(cls, auth: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        if set(auth) == set(SETUP_PAIR):
            return auth
        if SETUP_BLOCK in auth:
            others = ", ".join(sorted(k for k in auth if k != SETUP_BLOCK)[:8]) or "no other block"
            raise ValueError(
                f"{SETUP_BLOCK} sets up kubernetes auth and must be paired with exactly one kubernetes block "
                f"(found {others}): add spec.auth.kubernetes (the login it sets up) and remove any other method"
            )
        if len(auth) != 1:
            found = ", ".join(sorted(auth)) or "none"
            raise ValueError(f"exactly one auth method block is required under spec.auth (found: {found})")
        if not METHOD_NAME.fullmatch(next(iter(auth))):
            raise ValueError("must be keyed by an auth method name: letters, digits, _ and - (at most 63 characters)")
        return auth

    @model_validator(mode="after")
    def _tls_needs_https(self) -> VaultConnectionSpec:
        if self.tls is not None and self.address.startswith("http://"):
            raise ValueError(TLS_WITH_HTTP)
        return self

    @property
    def auth_method(self) -> str:
        """The method the operator logs in with (kubernetes for the bootstrap pair)."""
        if self.setup_method is not None:
            return SETUP_PAIR[1]
        return next(iter(self.auth))

    @property
    def setup_method(self) -> str | None:
        """The set-up block beside the login method (``bootstrap``), or None."""
        return SETUP_BLOCK if SETUP_BLOCK in self.auth and len(self.auth) == len(SETUP_PAIR) else None

    @property
    def auth_config(self) -> dict[str, Any]:
        return self.auth[self.auth_method]
