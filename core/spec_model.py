"""The building blocks of every spec model: strict pydantic models with the replaced operator's camelCase names.

Plugins build their config models on :class:`SpecModel` (re-exported by ``vault_access_operator.plugin``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from .fields import MAX_AUDIENCES, Audience, Namespace, ObjectName, SecretKey

__all__ = ["Audiences", "SecretKeySelector", "SpecModel", "TLSConfig"]


class SpecModel(BaseModel):
    """Base for spec models: strict, camelCase aliases, unknown fields rejected."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
    )


def _check_audiences(audiences: list[str] | None) -> list[str] | None:
    if audiences is not None and (not audiences or any(not a for a in audiences)):
        raise ValueError("must list at least one non-empty audience, or be left out")
    return audiences


#: Token audiences a plugin requests: left out (the plugin's default) or a non-empty list.
Audiences = Annotated[
    list[Audience] | None, Field(max_length=MAX_AUDIENCES), AfterValidator(_check_audiences)
]


class SecretKeySelector(SpecModel):
    """A key in a Kubernetes Secret."""

    name: ObjectName = Field(description="Name of the Secret (a DNS-1123 subdomain).")
    namespace: Namespace | None = Field(
        default=None,
        description="Namespace of the Secret (a DNS-1123 label). Defaults to the operator's namespace.",
    )
    key: SecretKey = Field(description="Key inside the Secret's data (letters, digits, -, _ and .).")


class TLSConfig(SpecModel):
    """How the operator trusts Vault's TLS certificate."""

    ca_secret_ref: SecretKeySelector | None = Field(
        default=None,
        description="A Secret key holding the PEM CA bundle that signed Vault's certificate.",
    )
    skip_verify: bool = Field(
        default=False,
        description="Do not verify Vault's certificate. For testing only.",
    )
