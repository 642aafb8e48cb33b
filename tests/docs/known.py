"""What the code defines, collected from the code itself: the names a guide may quote.

Flags from the CLI's click parameters, reasons from ``Reason`` and from the string literals of the code
(the controllers name their reasons as literals: an AST walk finds every one, and the Reason enum must be
among them, so the collection cannot come back empty), metric names from a live Prometheus registry, fields
from the generated CRDs and the plugins' config models, chart values from values.yaml, message templates
from every string and f-string of the shipped code.
"""

from __future__ import annotations

import ast
import builtins
import functools
import json
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import yaml

from tests.docs.markdown import ROOT

CODE_DIRS = [ROOT / "core", ROOT / "plugins", *sorted((ROOT / "examples").glob("*/src"))]
HOLE = "\x00"  # where a message template has a placeholder ({...}, %s)
PASCAL = re.compile(r"^[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*$")
CAMEL = re.compile(r"^[a-z][a-z0-9]*[A-Z][A-Za-z0-9]*$")
_FORMAT_HOLE = re.compile(r"%[-#0 +]*\d*(?:\.\d+)?[sdrfi]|\{[A-Za-z_][\w.\[\]'!:]*\}")


def _python_files(dirs: list[Path]) -> Iterator[Path]:
    for folder in dirs:
        yield from (p for p in sorted(folder.rglob("*.py")) if "testing" not in p.relative_to(folder).parts[:1])


@functools.cache
def _trees() -> list[ast.Module]:
    return [ast.parse(path.read_text(), str(path)) for path in _python_files(CODE_DIRS)]


@functools.cache
def string_literals() -> frozenset[str]:
    """Every plain string constant of the shipped code (docstrings included; they are whole sentences)."""
    return frozenset(node.value for tree in _trees() for node in ast.walk(tree)
                     if isinstance(node, ast.Constant) and isinstance(node.value, str))


@functools.cache
def reasons() -> frozenset[str]:
    """Condition and event reasons: the Reason enum's values and every CamelCase literal of the code."""
    from vault_access_operator.errors import Reason

    found = {text for text in string_literals() if PASCAL.match(text)} | {str(r) for r in Reason}
    assert {str(r) for r in Reason} <= found and len(found) > len(Reason), "the reason collection found nothing"
    return frozenset(found)


@functools.cache
def python_names() -> frozenset[str]:
    """Classes, functions and modules of the repository's Python (docs name them in plugin guides)."""
    dirs = [*CODE_DIRS, ROOT / "devkit", ROOT / "core/testing"]
    names = {path.stem for path in _python_files(dirs)}
    for path in _python_files(dirs):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(node.name)
    return frozenset(names | set(dir(builtins)))


@functools.cache
def message_templates() -> tuple[str, ...]:
    """Every string the code can print, with HOLE where a value goes: f-strings, %-formats, .format()."""
    found: list[str] = []
    for tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                parts = [v.value if isinstance(v, ast.Constant) else HOLE for v in node.values]
                found.append("".join(str(p) for p in parts))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) > 2:
                found.append(_FORMAT_HOLE.sub(HOLE, node.value))
    return tuple(found)


@functools.cache
def template_blob() -> str:
    """The templates' literal pieces, each between HOLEs: a piece of text never runs across a placeholder."""
    return HOLE + HOLE.join(message_templates()) + HOLE


def cli_flags() -> dict[str, frozenset[str]]:
    """Options of every ``vault-access-operator`` subcommand (plus "" for the group's own)."""
    from vault_access_operator.cli import main

    context = click.Context(main)
    found = {"": frozenset(o for p in main.params for o in (*p.opts, *p.secondary_opts)) | {"--help"}}
    for name in main.list_commands(context):
        command = main.get_command(context, name)
        if command is not None:
            found[name] = frozenset(o for p in command.params for o in (*p.opts, *p.secondary_opts)) | {"--help"}
    assert "--cluster-name" in found["run"], "the CLI's flags were not found"
    return found


@functools.cache
def metric_names() -> frozenset[str]:
    """Every series name the operator's registry exposes (counters with _total, histograms' parts)."""
    from vault_access_operator.kinds import KINDS
    from vault_access_operator.metrics import Metrics
    from vault_access_operator.registry import load_providers

    metrics = Metrics()
    metrics.watch(lambda: [], load_providers())
    for kind in KINDS:  # the per-family reconcile counters appear with a kind's first pass
        if kind.kind != "VaultConnection":
            metrics.access.reconciles(kind.kind)
    names: set[str] = set()
    for family in metrics.registry.collect():
        if family.type == "counter":  # exposed as NAME_total only
            names.add(family.name + "_total")
            continue
        names.add(family.name)
        if family.type == "histogram":
            names.update(family.name + suffix for suffix in ("_bucket", "_sum", "_count"))
    assert any(name.endswith("_logins_total") for name in names), "no metric was found"
    return frozenset(names)


@functools.cache
def crd_schemas() -> dict[str, dict[str, Any]]:
    """Kind -> openAPIV3Schema of the generated CRD in the chart."""
    from vault_access_operator.kinds import KINDS

    found = {}
    for kind in KINDS:
        crd = yaml.safe_load((ROOT / f"charts/vault-access-operator/crds/{kind.plural}.yaml").read_text())
        found[kind.kind] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return found


@functools.cache
def auth_models() -> dict[str, type[Any]]:
    """spec.auth key -> the config model of the installed plugin that serves it."""
    from vault_access_operator.registry import load_providers

    return {key: provider.config_model for key, provider in load_providers().providers.items()}


def model_fields(model: type[Any]) -> dict[str, Any]:
    """YAML name -> pydantic FieldInfo of a config model."""
    return {(info.alias or name): info for name, info in model.model_fields.items()}


def _schema_properties(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                yield from value
            yield from _schema_properties(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _schema_properties(item)


def nested_models(model: type[Any]) -> list[type[Any]]:
    """``model`` and every pydantic model its fields hold, however deep (lists, optionals, Annotated)."""
    found: list[type[Any]] = []

    def walk(annotation: Any) -> None:
        if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
            if annotation not in found:
                found.append(annotation)
                for info in annotation.model_fields.values():
                    walk(info.annotation)
        else:
            for argument in typing.get_args(annotation):
                walk(argument)

    walk(model)
    return found


@functools.cache
def kubernetes_names() -> tuple[frozenset[str], frozenset[str]]:
    """(property names, kinds) of every Kubernetes API object, from kubernetes-validate's offline schemas."""
    import kubernetes_validate

    folder = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    latest = sorted(folder.glob("v*-local-strict"), key=lambda p: [int(x) for x in p.name[1:].split("-")[0].split(".")])
    document = json.loads((latest[-1] / "_definitions.json").read_text())
    definitions = document.get("$defs") or document["definitions"]
    kinds = {name.rsplit(".", 1)[-1] for name in definitions}
    return frozenset(_schema_properties(definitions)), frozenset(kinds)


@functools.cache
def values() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "charts/vault-access-operator/values.yaml").read_text())
    return loaded


def _keys(mapping: Any) -> Iterator[str]:
    if isinstance(mapping, dict):
        for key, value in mapping.items():
            yield str(key)
            yield from _keys(value)


@functools.cache
def field_names() -> frozenset[str]:
    """camelCase names a doc may quote bare: CRD and model fields, status details keys, values keys, Kubernetes'."""
    names = set(_schema_properties(crd_schemas()))
    for model in auth_models().values():
        for nested in nested_models(model):
            names.update(model_fields(nested))
    names.update(text for text in string_literals() if CAMEL.match(text))  # status details keys, say
    names.update(_keys(values()))
    names.update(_keys(yaml.safe_load((ROOT / "charts/vault-access-operator/Chart.yaml").read_text())))
    names.update(kubernetes_names()[0])
    return frozenset(names)
