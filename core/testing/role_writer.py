"""The role writer check: run a RoleWriter class through what the core relies on, offline.

    from vault_access_operator.testing.role_writer import check_role_writer
    check_role_writer(MyWriter, [{"boundPrincipals": ["x"]}])      # AssertionError listing every violation

It runs the plugin loader's check (``validate_writer``: the class attributes), then checks that the
config model is strict (unknown fields and wrong types refused), that ``payload`` is whole (the same fields
for every binding and sample config, reset values when the spec leaves a field out, TTLs as the seconds
of the binding), that a payload has no differences with itself, that ``differences`` sees a changed TTL
or policy, and that ``ownership_of`` reads back the binding's ownership from the payload.
``role_round_trip`` (role_writer_vault.py) then proves the read-back of a real server.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pydantic

from ..errors import VaultAccessError
from ..hookspecs import ENTRY_POINT_GROUP
from ..models import SpecModel
from ..role_writer import BoundAccount, RoleBinding, RoleWriter, validate_writer

__all__ = ["check_role_writer", "sample_binding", "sample_bindings"]

RESET_VALUES: tuple[Any, ...] = (None, "", 0, [], {}, False)


def sample_binding(**changes: Any) -> RoleBinding:
    """A VaultRole binding of service account ``app`` in ``team-a`` to one policy; ``changes`` replace fields."""
    binding = RoleBinding(
        kind="VaultRole", namespace="team-a", name="app", vault_name="vao.test.team-a.app", mount="test",
        service_accounts=(BoundAccount("team-a", "app"),), policies=("vao.test.team-a.read",),
        token_ttl=None, token_max_ttl=None,
        ownership={"managed-by": "vault-access-operator", "k8s-resource": "team-a/app", "k8s-kind": "VaultRole"},
    )
    return dataclasses.replace(binding, **changes)


def sample_bindings(mount: str = "test") -> dict[str, RoleBinding]:
    """Bindings every writer must accept: bare, with TTLs and two policies, with no policy."""
    return {
        "bare": sample_binding(mount=mount),
        "timed": sample_binding(mount=mount, token_ttl=600, token_max_ttl=3600,
                                policies=("vao.test.team-a.read", "vao.test._.shared")),
        "no policy": sample_binding(mount=mount, policies=()),
    }


def _model_failures(model: type[SpecModel], samples: Sequence[Mapping[str, Any]]) -> list[str]:
    failures: list[str] = []
    try:
        model.model_validate({**(samples[0] if samples else {}), "surelyNotAField": 1})
        failures.append("config_model accepts unknown fields: a typo in the spec would pass silently")
    except pydantic.ValidationError:
        pass
    for sample in samples:
        try:
            model.model_validate(dict(sample))
        except pydantic.ValidationError as exc:
            failures.append(f"config_model refuses the sample config {dict(sample)!r}: {exc.errors()[0]['msg']}")
        for name, value in sample.items():  # strict: a wrong type is an error, never coerced
            wrong: Any = 12345 if isinstance(value, (str, list, dict)) else "not-a-value"
            try:
                model.model_validate({**sample, name: wrong})
                failures.append(f"config_model coerces {name}={wrong!r}: the model must be strict")
            except pydantic.ValidationError:
                pass
    return failures


def _payload_failures(writer: RoleWriter[Any], configs: Iterable[Any]) -> list[str]:
    failures: list[str] = []
    payloads: dict[str, dict[str, Any]] = {}
    for index, config in enumerate(configs):
        for name, binding in sample_bindings().items():
            label = f"binding {name!r}, config #{index}"
            try:
                body = writer.payload(binding, config)
            except VaultAccessError as exc:
                failures.append(f"payload refuses {label}: {exc.message}")
                continue
            if not isinstance(body, dict) or not all(isinstance(k, str) for k in body):
                failures.append(f"payload of {label} is not a dict of field names")
                continue
            payloads[label] = body
            if leftover := writer.differences(body, body):
                failures.append(f"differences(payload, payload) of {label} is {leftover}, not []")
            if writer.ownership_of(body) != dict(binding.ownership):
                failures.append(f"ownership_of(payload) of {label} is not the binding's ownership record")
    if not payloads:
        return failures
    shapes = {label: frozenset(body) for label, body in payloads.items()}
    first_label, first = next(iter(shapes.items()))
    for label, shape in shapes.items():
        if shape != first:
            failures.append(
                f"payloads differ in fields ({label}: {sorted(shape ^ first)} vs {first_label}): a field a spec "
                "leaves out must still be sent, with its reset value, or Vault keeps its old value"
            )
    failures += _ttl_failures(writer, payloads)
    return failures


def _ttl_failures(writer: RoleWriter[Any], payloads: Mapping[str, dict[str, Any]]) -> list[str]:
    failures: list[str] = []
    bare = next(v for k, v in payloads.items() if k.startswith("binding 'bare'"))
    timed = next(v for k, v in payloads.items() if k.startswith("binding 'timed'"))
    for seconds in (600, 3600):
        if seconds not in timed.values():
            failures.append(f"a TTL of {seconds}s is not in the payload as the integer {seconds} (seconds)")
    for field in sorted(k for k, v in timed.items() if v in (600, 3600) and not isinstance(v, bool)):
        if bare.get(field) not in RESET_VALUES:
            failures.append(f"{field} is {bare.get(field)!r} when the spec leaves it out: send its reset value")
    if not writer.differences(timed, bare):
        failures.append("differences() sees no change between a role with TTLs and policies and one without")
    return failures


def _validated(model: type[SpecModel], sample: Mapping[str, Any]) -> SpecModel | None:
    try:
        return model.model_validate(dict(sample))
    except pydantic.ValidationError:
        return None  # reported by _model_failures


def check_role_writer(
    writer_cls: type, sample_configs: Sequence[Mapping[str, Any]] = (), *, plugin: object = None
) -> None:
    """Check a writer class offline; raises AssertionError listing every violation.

    ``sample_configs`` are blocks under the role's ``spec_key`` (camelCase, as in YAML) that must validate
    and produce payloads; a writer without a config model is checked with ``None``. ``plugin``, when given,
    is the module whose ``vao_role_writers`` hook must return the class (the entry point module).
    """
    failures = validate_writer(writer_cls)  # the plugin loader's own check, in its words
    if not failures and isinstance(writer_cls, type) and issubclass(writer_cls, RoleWriter):
        writer: RoleWriter[Any] = writer_cls()
        model = writer_cls.config_model
        configs: list[Any] = [None]
        if model is not None:
            failures += _model_failures(model, sample_configs)
            configs = [c for c in (_validated(model, s) for s in (sample_configs or [{}])) if c is not None]
            if not configs:
                failures.append("no sample config validates: pass sample_configs that the config model accepts")
        failures += _payload_failures(writer, configs)
    if plugin is not None:
        hook = getattr(plugin, "vao_role_writers", None)
        offered = hook() if callable(hook) else None
        if not offered or writer_cls not in offered:
            failures.append(f"the plugin module's vao_role_writers hook does not return the class "
                            f"(the module registered under {ENTRY_POINT_GROUP})")
    if failures:
        items = "\n".join(f"  - {failure}" for failure in failures)
        raise AssertionError(f"{getattr(writer_cls, '__name__', writer_cls)} breaks the role writer contract:\n{items}")
