"""Turns a VaultConnection spec into validated parts, or into one clear error."""

from __future__ import annotations

import dataclasses
from typing import Any

import pydantic

from .clip import SPEC_VALUE_LIMIT, clip
from .errors import ConfigError
from .models import VaultConnectionSpec
from .provider import AuthProvider
from .registry import ProviderRegistry

_FRIENDLY = {
    "string_pattern_mismatch": "must match {pattern}",
    "missing": "is required",
    "extra_forbidden": "is not a known field",
}
_MAX_PROBLEMS = 8  # enough to act on; a spec with thousands of bad fields must not make a huge message


def describe_validation_error(error: pydantic.ValidationError, prefix: str) -> str:
    """One line per problem: ``spec.auth.kubernetes.role is required``.

    Field names and texts come from the spec, so each is clipped: an unknown field name of 120,000
    characters is shown by its head, and only the first few problems are listed.
    """
    problems = []
    items = error.errors(include_url=False)
    for item in items[:_MAX_PROBLEMS]:
        # Spec-authored names: not secret, so the head is shown even when cut mid-word.
        where = ".".join([prefix, *(clip(str(part), SPEC_VALUE_LIMIT, whole_words=False) for part in item["loc"])])
        template = _FRIENDLY.get(item["type"])
        text = template.format(**(item.get("ctx") or {})) if template else item["msg"]
        text = clip(text, 2 * SPEC_VALUE_LIMIT)
        if where.endswith(".address") and item["type"] == "string_pattern_mismatch":
            text = "must be an http:// or https:// URL, such as https://vault.example.com:8200"
        separator = ":" if not item["loc"] else ""  # model-level checks have no field of their own
        problems.append(f"{where}{separator} {text}".replace("Value error, ", ""))
    if len(items) > _MAX_PROBLEMS:
        problems.append(f"and {len(items) - _MAX_PROBLEMS} more problems")
    return "; ".join(problems)


@dataclasses.dataclass(frozen=True)
class ValidatedConnection:
    spec: VaultConnectionSpec
    provider: AuthProvider[Any]
    config: pydantic.BaseModel

    @property
    def method(self) -> str:
        return self.spec.auth_method

    @property
    def mount(self) -> str:
        return self.provider.mount(self.config)


def validate_spec(raw: dict[str, Any], registry: ProviderRegistry) -> ValidatedConnection:
    """Validate the whole spec including the auth block; raises ConfigError or PluginUnavailableError."""
    try:
        spec = VaultConnectionSpec.model_validate(raw or {})
    except pydantic.ValidationError as error:
        raise ConfigError(describe_validation_error(error, "spec")) from None
    provider = registry.get(spec.auth_method)
    try:
        config = provider.config_model.model_validate(spec.auth_config)
    except pydantic.ValidationError as error:
        raise ConfigError(describe_validation_error(error, f"spec.auth.{spec.auth_method}")) from None
    return ValidatedConnection(spec, provider, config)
