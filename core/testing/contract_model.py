"""The config-model half of the provider contract: what makes ``spec.auth.<key>`` behave like the core's own.

Each check returns a list of failure texts (empty: fine) so that one run reports every problem.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any

import pydantic

from ..validation import describe_validation_error

UNKNOWN_FIELD = "vaoContractUnknownField"


def _nested_models(annotation: Any) -> Iterator[type[pydantic.BaseModel]]:
    """Models used inside a field's type (``X``, ``X | None``, ``list[X]``...), one level deep."""
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        if arg is not type(None) and not isinstance(arg, str | int | float | bool | types.NoneType):
            yield from _nested_models(arg)


def _model_settings(model: type[pydantic.BaseModel], where: str) -> list[str]:
    config = model.model_config
    failures = []
    if config.get("strict") is not True:
        failures.append(
            f"{where} is not strict: set model_config strict=True (or subclass vault_access_operator.plugin.SpecModel) "
            "so that a wrong type in YAML is an error, never silently coerced"
        )
    if config.get("extra") != "forbid":
        failures.append(f"{where} does not forbid unknown fields: set extra='forbid' so that typos are reported")
    if not (config.get("populate_by_name") or config.get("validate_by_name")):
        failures.append(f"{where} does not set populate_by_name=True (tests and code build it by field name)")
    for name, field in model.model_fields.items():
        alias = field.alias or name
        if "_" in alias or not alias[:1].islower():
            failures.append(
                f"{where} field {name!r} appears in YAML as {alias!r}: use a camelCase alias "
                "(alias_generator=pydantic.alias_generators.to_camel), as Kubernetes fields are"
            )
    return failures


def check_config_model(model: object, key: str, sample_config: dict[str, Any]) -> list[str]:
    """Strict, no unknown fields, camelCase aliases, clear 'is required' messages, a usable schema."""
    if not (isinstance(model, type) and issubclass(model, pydantic.BaseModel)):
        return [f"config_model must be a pydantic BaseModel subclass, got {model!r}"]
    where = f"config_model {model.__name__} (spec.auth.{key})"
    failures = _model_settings(model, where)
    for field in model.model_fields.values():
        for nested in _nested_models(field.annotation):
            failures += _model_settings(nested, f"nested model {nested.__name__} of {where}")
    try:
        model.model_json_schema(by_alias=True)
    except Exception as error:  # the API docs and a CRD-schema view need it
        failures.append(f"{where} has no JSON schema: {type(error).__name__}: {error}")
    failures += _check_empty(model, key, where)
    try:
        model.model_validate({**sample_config, UNKNOWN_FIELD: "x"})
        failures.append(f"{where} accepted an unknown field {UNKNOWN_FIELD!r}: set extra='forbid'")
    except pydantic.ValidationError as error:
        if not any(e["type"] == "extra_forbidden" for e in error.errors()):
            failures.append(f"{where} rejected an unknown field, but not as extra_forbidden: {error}")
    return failures


def _check_empty(model: type[pydantic.BaseModel], key: str, where: str) -> list[str]:
    # What a user who wrote `spec.auth.<key>: {}` reads on status must name each missing field.
    required = [field.alias or name for name, field in model.model_fields.items() if field.is_required()]
    try:
        model.model_validate({})
    except pydantic.ValidationError as error:
        message = describe_validation_error(error, f"spec.auth.{key}")
        return [
            f"{where}: an empty block must say that {alias!r} is required; the message was: {message}"
            for alias in required
            if f"spec.auth.{key}.{alias} is required" not in message
        ]
    except Exception as error:
        return [f"{where}: validating an empty block raised {type(error).__name__} instead of a ValidationError"]
    if required:
        return [f"{where} accepted an empty block although {', '.join(required)} are required"]
    return []


def validate_config(model: type[pydantic.BaseModel], key: str, sample_config: dict[str, Any]) -> Any:
    """The sample config validated the way the core does it; AssertionError with the user's message."""
    try:
        return model.model_validate(sample_config)
    except pydantic.ValidationError as error:
        raise AssertionError(
            f"the config does not validate: {describe_validation_error(error, f'spec.auth.{key}')}"
        ) from None
