"""Turns a VaultConnection spec into validated parts, or into one clear error."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pydantic

from .clip import SPEC_VALUE_LIMIT, clip, clip_value
from .errors import ConfigError
from .fields import MOUNT_PATH_PATTERN, PATTERN_HELP
from .models import VaultConnectionSpec
from .provider import AuthProvider
from .registry import ProviderRegistry
from .shape import shape_problem

_FRIENDLY = {
    "string_pattern_mismatch": "must match {pattern}",
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "string_too_long": "must be at most {max_length} characters",
    "string_too_short": "must not be empty",
    "too_long": "must have at most {max_length} items",
}


MAX_PROBLEMS = 10  # a spec with hundreds of mistakes gets the first few: enough to start fixing
_SHOWN_NAME = 64  # characters of a field name shown; an unknown name may be huge


def _field_name(part: str | int) -> str:
    text = str(part)
    return text if len(text) <= _SHOWN_NAME else f"{text[:_SHOWN_NAME]}...({len(text)} characters)"


def describe_validation_error(error: pydantic.ValidationError, prefix: str) -> str:
    """One line per problem: ``spec.auth.kubernetes.role is required``.

    Field names and texts come from the spec, so each is clipped: an unknown field name of 120,000
    characters is shown by its head, and only the first few problems are listed.
    """
    problems = []
    items = error.errors(include_url=False, include_input=False)
    for item in items[:MAX_PROBLEMS]:
        where = ".".join([prefix, *(_field_name(part) for part in item["loc"])])
        template = _FRIENDLY.get(item["type"])
        context = item.get("ctx") or {}
        text = template.format(**context) if template else item["msg"]
        if item["type"] == "string_pattern_mismatch" and context.get("pattern") in PATTERN_HELP:
            text = PATTERN_HELP[context["pattern"]]
        text = clip(text, 2 * SPEC_VALUE_LIMIT).replace("Value error, ", "")
        if not item["loc"] and text.startswith(prefix + "."):
            problems.append(text)  # a model-level check that names its fields itself
            continue
        separator = ":" if not item["loc"] else ""  # model-level checks have no field of their own
        problems.append(f"{where}{separator} {text}")
    if len(items) > MAX_PROBLEMS:
        problems.append(f"and {len(items) - MAX_PROBLEMS} more problems")
    return "; ".join(problems)


@dataclasses.dataclass(frozen=True)
class SetupBlock:
    """A set-up block beside the login method (``spec.auth.bootstrap``): its provider and validated config."""

    method: str
    provider: AuthProvider[Any]
    config: pydantic.BaseModel


@dataclasses.dataclass(frozen=True)
class ValidatedConnection:
    spec: VaultConnectionSpec
    provider: AuthProvider[Any]
    config: pydantic.BaseModel
    setup: SetupBlock | None = None

    @property
    def method(self) -> str:
        return self.spec.auth_method

    @property
    def mount(self) -> str:
        return self.provider.mount(self.config)


def validate_spec(raw: dict[str, Any], registry: ProviderRegistry) -> ValidatedConnection:
    """Validate the whole spec including the auth block; raises ConfigError or PluginUnavailableError."""
    problem = shape_problem(raw)  # first: pydantic would recurse into a deeply nested value
    if problem:
        raise ConfigError(problem)
    try:
        spec = VaultConnectionSpec.model_validate(raw or {})
    except pydantic.ValidationError as error:
        raise ConfigError(describe_validation_error(error, "spec")) from None
    provider = registry.get(spec.auth_method)
    try:
        config = provider.config_model.model_validate(spec.auth_config)
    except pydantic.ValidationError as error:
        raise ConfigError(describe_validation_error(error, f"spec.auth.{spec.auth_method}")) from None
    validated = ValidatedConnection(spec, provider, config, _setup_block(spec, registry))
    # Every plugin's mount goes into URLs (auth/<mount>/login): checked here too, for plugins whose
    # config models do not use MountPath.
    if not re.fullmatch(MOUNT_PATH_PATTERN, validated.mount):
        raise ConfigError(
            f"spec.auth.{spec.auth_method}: the auth mount {clip_value(validated.mount)} "
            f"{PATTERN_HELP[MOUNT_PATH_PATTERN]}"
        )
    return validated


def _setup_block(spec: VaultConnectionSpec, registry: ProviderRegistry) -> SetupBlock | None:
    method = spec.setup_method
    if method is None:
        return None
    provider = registry.get(method)
    if spec.auth_method not in provider.sets_up:
        raise ConfigError(f"spec.auth.{method} cannot set up spec.auth.{spec.auth_method}: remove one of them")
    try:
        config = provider.config_model.model_validate(spec.auth[method])
    except pydantic.ValidationError as error:
        raise ConfigError(describe_validation_error(error, f"spec.auth.{method}")) from None
    return SetupBlock(method, provider, config)
