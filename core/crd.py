"""Generates the CRDs of every kind in core/kinds.py from its pydantic models (``vault-access-operator crds``).

The committed chart copy must equal this output; a test fails when they drift.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from .crd_roles import role_spec_schema
from .kinds import KINDS, VAULT_CLUSTER_ROLE, VAULT_CONNECTION, VAULT_ROLE, KindDefinition
from .registry import load_providers

_DROP = {"title", "additionalProperties", "$defs"}


def structural(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Kubernetes structural schema from a pydantic JSON schema: refs inlined, nulls folded."""
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        target = defs[schema["$ref"].rsplit("/", 1)[-1]]
        merged = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return structural(merged, defs)
    if "anyOf" in schema:
        options = [o for o in schema["anyOf"] if o.get("type") != "null"]
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        if len(options) == 1:
            return structural({**options[0], **rest}, defs)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROP and not (key == "additionalProperties" and isinstance(value, dict)):
            continue
        if key == "default" and value is None:
            continue
        if key == "properties":
            out[key] = {name: structural(sub, defs) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = structural(value, defs)
        else:
            out[key] = value
    if "const" in out:
        out["enum"] = [out.pop("const")]
    return out


def _without_defaults(schema: dict[str, Any]) -> dict[str, Any]:
    # The API server would write defaults into stored objects; a plugin tells set fields from defaulted ones
    # (jwt reports a tokenDuration it ignores), so the plugin blocks carry none. Our own schema: no deep nesting.
    schema.pop("default", None)
    for sub in schema.get("properties", {}).values():
        _without_defaults(sub)
    return schema


def auth_schema(auth: dict[str, Any]) -> dict[str, Any]:
    """spec.auth with the built-in methods' blocks checked by the API server.

    Each block keeps unknown fields (the operator names them in its status rather than the API server
    pruning them silently), and methods that plugins add pass unchecked, as before.
    """
    registry = load_providers()
    blocks = {}
    for key in sorted(registry.providers):
        provider = registry.providers[key]
        if type(provider).__module__.startswith("vault_access_operator.plugins."):
            block = structural(provider.config_model.model_json_schema(by_alias=True))
            block["description"] = block.get("description", "").replace("``", "")
            block["x-kubernetes-preserve-unknown-fields"] = True
            blocks[key] = _without_defaults(block)
    schema = {k: v for k, v in auth.items() if k != "additionalProperties"}
    return {**schema, "properties": blocks, "x-kubernetes-preserve-unknown-fields": True}


def status_schema(kind: KindDefinition) -> dict[str, Any]:
    """The status as the operator writes it (serialization mode: what ``status_body`` dumps)."""
    status = structural(kind.status_model.model_json_schema(by_alias=True, mode="serialization"))
    status.pop("required", None)
    return status


def spec_schema(kind: KindDefinition) -> dict[str, Any]:
    spec = structural(kind.spec_model.model_json_schema(by_alias=True))
    if kind is VAULT_CONNECTION:  # its auth map holds the plugins' blocks
        spec["properties"]["auth"] = auth_schema(spec["properties"]["auth"])
    if kind in (VAULT_ROLE, VAULT_CLUSTER_ROLE):  # plus the installed role writers' blocks
        spec = role_spec_schema(spec, structural)
    return spec


def openapi_schema(kind: KindDefinition = VAULT_CONNECTION) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec_schema(kind),
            "status": status_schema(kind),
        },
    }


def crd(kind: KindDefinition) -> dict[str, Any]:
    names: dict[str, Any] = {
        "kind": kind.kind, "listKind": kind.list_kind, "plural": kind.plural, "singular": kind.singular
    }
    if kind.short_names:
        names["shortNames"] = list(kind.short_names)
    columns = [{"name": c.name, "type": c.type, "jsonPath": c.json_path} for c in kind.printer_columns]
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": kind.crd_name},
        "spec": {
            "group": kind.group,
            "scope": kind.scope,
            "names": names,
            "versions": [
                {
                    "name": kind.version,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": columns,
                    "schema": {"openAPIV3Schema": openapi_schema(kind)},
                }
            ],
        },
    }


def vaultconnection_crd() -> dict[str, Any]:
    return crd(VAULT_CONNECTION)


def render_crds(kinds: Sequence[KindDefinition] = KINDS) -> str:
    """Every kind's CRD, as one multi-document YAML stream."""
    header = "# Generated by `vault-access-operator crds` from the pydantic models. Do not edit.\n"
    return header + "---\n".join(yaml.safe_dump(crd(kind), sort_keys=False, width=100) for kind in kinds)
