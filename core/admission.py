"""Checks a validated VaultConnection against the trust policy before its runtime does any I/O.

A refused spec gets its ForbiddenByPolicy error before the operator reads a Secret, mints a token
or sends a single request to the spec's address. The context checks every read and TokenRequest
again when it happens (a plugin may not declare all of them).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pydantic

from .context import CoreAuthContext
from .errors import PluginError
from .models import SecretKeySelector
from .trust import check_address, check_token_request
from .validation import ValidatedConnection

log = logging.getLogger(__name__)


def secret_refs(value: Any, where: str) -> Iterator[tuple[str, SecretKeySelector]]:
    """Every Secret reference in a spec model, with its spec path (``spec.auth.jwt.jwtSecretRef``)."""
    if isinstance(value, SecretKeySelector):
        yield where, value
    elif isinstance(value, pydantic.BaseModel):
        for name, info in type(value).model_fields.items():
            yield from secret_refs(getattr(value, name), f"{where}.{info.alias or name}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from secret_refs(item, f"{where}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from secret_refs(item, f"{where}.{key}")


def admit(validated: ValidatedConnection, ctx: CoreAuthContext) -> None:
    """Raise TrustPolicyError when the spec asks for what the operator's trust policy refuses."""
    spec, method = validated.spec, validated.method
    check_address(ctx.trust, spec.address)
    refs = [*secret_refs(spec.tls, "spec.tls"), *secret_refs(validated.config, f"spec.auth.{method}")]
    if validated.setup is not None:  # the bootstrap token's Secret: the same rules as every other
        refs += secret_refs(validated.setup.config, f"spec.auth.{validated.setup.method}")
    for field, ref in refs:
        ctx.check_secret(ref.namespace or ctx.operator_namespace, ref.name, field)
    try:
        planned = list(validated.provider.planned_tokens(validated.config, ctx))
    except Exception as error:  # a plugin bug must not take the operator down
        log.exception("auth plugin %r failed to declare its tokens", method)
        raise PluginError(f"the {method!r} auth plugin failed: {type(error).__name__}: {error}") from None
    own = (ctx.operator_namespace, ctx.operator_service_account)
    for token in planned:
        check_token_request(ctx.trust, own, token.namespace, token.name, token.audiences, token.seconds,
                            field=f"spec.auth.{method}")
