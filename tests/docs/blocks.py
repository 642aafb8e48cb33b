"""Fenced blocks of a guide: manifests of our kinds against the CRDs (schema and CEL) and the models, chart
values against values.schema.json, and the flags of ``vault-access-operator`` and ``helm --set`` command lines."""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterator
from typing import Any

import celpy
import jsonschema
import pydantic
import yaml
from celpy.adapter import json_to_cel

from tests.docs import known
from tests.docs.commands import SHELLS, check_commands
from tests.docs.markdown import ROOT, Block, Doc, Problem


@dataclasses.dataclass(frozen=True)
class Scope:
    """What a guide is about, from its YAML: the auth blocks and kinds it shows."""

    auth_keys: set[str]
    kinds: set[str]

    def fields(self, auth_keys: set[str]) -> Iterator[tuple[str, tuple[bool, Any]]]:
        """(name, (required, declared default)) of every field of the scope's models and CRD specs."""
        for key in auth_keys:
            model = known.auth_models().get(key)
            for nested in known.nested_models(model) if model else ():
                for name, info in known.model_fields(nested).items():
                    yield name, (info.is_required(), None if info.is_required() else info.default)
        for kind in self.kinds:
            yield from _schema_fields(known.crd_schemas()[kind]["properties"]["spec"])


def _schema_fields(schema: dict[str, Any]) -> Iterator[tuple[str, tuple[bool, Any]]]:
    node = schema.get("items", schema) if schema.get("type") == "array" else schema
    required = set(node.get("required") or [])
    for name, sub in (node.get("properties") or {}).items():
        yield name, (name in required, sub.get("default"))
        yield from _schema_fields(sub)


def yaml_documents(block: Block) -> Iterator[Any]:
    try:
        yield from yaml.safe_load_all(block.text)
    except yaml.YAMLError:
        return


def doc_scope(doc: Doc) -> Scope:
    auth_keys: set[str] = set()
    kinds: set[str] = set()
    ours = set(known.crd_schemas())
    for block in doc.blocks():
        if block.lang not in ("yaml", "yml"):
            continue
        for item in yaml_documents(block):
            for auth in _auth_blocks(item):
                auth_keys.update(k for k in auth if k in known.auth_models())
            if isinstance(item, dict) and item.get("kind") in ours:
                kinds.add(item["kind"])
    return Scope(auth_keys, kinds)


def _auth_blocks(item: Any) -> Iterator[dict[str, Any]]:
    if isinstance(item, dict):
        for key, value in item.items():
            if key == "auth" and isinstance(value, dict):
                yield value
            else:
                yield from _auth_blocks(value)


def check_blocks(doc: Doc) -> list[Problem]:
    problems: list[Problem] = []
    for block in doc.blocks():
        if block.lang in ("yaml", "yml"):
            problems += _check_yaml(block)
        elif block.lang in SHELLS:
            problems += check_commands(block)
    return problems


# --- YAML ------------------------------------------------------------------------------------------------


def _check_yaml(block: Block) -> list[Problem]:
    try:
        items = [item for item in yaml.safe_load_all(block.text) if item is not None]
    except yaml.YAMLError as error:
        return [Problem(block.doc, block.line, "yaml", f"does not parse: {error}")]
    problems = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if item.get("kind") in known.crd_schemas() and str(item.get("apiVersion", "")).startswith("vault.platform.io/"):
            where = f"{item['kind']} {(item.get('metadata') or {}).get('name', '')}".strip()
            problems += [Problem(block.doc, block.line, where, why) for why in manifest_problems(item)]
        elif "kind" not in item:
            problems += [Problem(block.doc, block.line, next(iter(item)), why) for why in fragment_problems(item)]
    return problems


def manifest_problems(obj: dict[str, Any]) -> list[str]:
    """Why the API server or the operator would refuse ``obj`` (a manifest of one of our kinds)."""
    from vault_access_operator.kinds import KINDS

    kind = next(k for k in KINDS if k.kind == obj["kind"])
    schema = known.crd_schemas()[kind.kind]
    problems = [f"CRD schema: {e.message} at {'.'.join(map(str, e.absolute_path))}"
                for e in jsonschema.Draft7Validator(_closed(schema)).iter_errors(obj)]
    problems += [f"CRD rule: {message}" for message in cel_failures(schema, obj)]
    if problems:
        return problems
    return model_problems(kind.kind, obj.get("spec") or {})


def model_problems(kind: str, spec: dict[str, Any]) -> list[str]:
    from vault_access_operator.errors import VaultAccessError
    from vault_access_operator.kinds import KINDS
    from vault_access_operator.registry import load_providers
    from vault_access_operator.validation import validate_spec

    try:
        if kind == "VaultConnection":
            validate_spec(spec, load_providers())
        else:
            next(k for k in KINDS if k.kind == kind).spec_model.model_validate(spec)
    except VaultAccessError as error:
        return [f"{error.reason}: {error.message}"]
    except pydantic.ValidationError as error:
        return [f"the spec model refuses it: {error}"]
    return []


def fragment_problems(item: dict[str, Any]) -> list[str]:
    """A piece of a manifest (``auth:``, ``status:``) or of chart values, checked as what it is part of."""
    keys = set(item)
    if keys == {"auth"}:
        return model_problems("VaultConnection", {"address": "https://vault.example.com:8200", "auth": item["auth"]})
    if keys == {"status"}:
        errors = {kind: list(jsonschema.Draft7Validator(_closed(schema["properties"]["status"])).iter_errors(
            item["status"])) for kind, schema in known.crd_schemas().items()}
        if all(errors.values()):
            first = errors["VaultConnection"][0]
            return [f"not a status of any kind: {first.message} at {'.'.join(map(str, first.absolute_path))}"]
        return []
    if keys <= set(known.values()):
        return [f"chart values: {e.message} at {'.'.join(map(str, e.absolute_path))}"
                for e in jsonschema.Draft7Validator(_values_schema()).iter_errors(item)]
    return []


@functools.cache
def _values_schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ROOT / "charts/vault-access-operator/values.schema.json").read_text())
    return loaded


def _closed(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with unknown fields refused where the API server would prune them (a typo would vanish)."""
    if not isinstance(schema, dict):
        return schema
    out = {k: (_closed(v) if isinstance(v, dict) else [_closed(i) for i in v] if isinstance(v, list) else v)
           for k, v in schema.items()}
    if "properties" in schema:
        out["properties"] = {k: _closed(v) for k, v in schema["properties"].items()}
        if not schema.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in schema:
            out["additionalProperties"] = False
    return out


def cel_failures(schema: dict[str, Any], obj: dict[str, Any]) -> list[str]:
    """The messages of the CRD's CEL rules that ``obj`` breaks (as tests/unit/test_generated_files.py does)."""
    failures = []
    environment = celpy.Environment()
    for path, rule, message in _cel_rules(schema):
        value: Any = obj
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            continue  # the API server runs a rule only where its field is set
        if not environment.program(environment.compile(rule)).evaluate({"self": json_to_cel(value)}):
            failures.append(message)
    return failures


def _cel_rules(schema: dict[str, Any], path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str, str]]:
    # A transition rule (oldSelf) has nothing to compare on create: the API server skips it there too.
    rules = [(path, r["rule"], r.get("message", r["rule"])) for r in schema.get("x-kubernetes-validations", [])
             if "oldSelf" not in r["rule"]]
    for name, sub in (schema.get("properties") or {}).items():
        rules += _cel_rules(sub, (*path, name))
    return rules
