"""Generates the VaultConnection CRD from the pydantic models (``vault-access-operator crds``).

The committed chart copy must equal this output; a test fails when they drift.
"""

from __future__ import annotations

from typing import Any

import yaml

from .kube import GROUP, PLURAL, VERSION
from .models import VaultConnectionSpec
from .registry import load_providers
from .status import VaultConnectionStatus

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


def openapi_schema() -> dict[str, Any]:
    spec = structural(VaultConnectionSpec.model_json_schema(by_alias=True))
    spec["properties"]["auth"] = auth_schema(spec["properties"]["auth"])
    status = structural(VaultConnectionStatus.model_json_schema(by_alias=True, mode="serialization"))
    status.pop("required", None)
    return {
        "type": "object",
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec,
            "status": status,
        },
    }


def vaultconnection_crd() -> dict[str, Any]:
    columns = [
        ("Address", "string", ".spec.address"),
        ("Phase", "string", ".status.phase"),
        ("Healthy", "boolean", ".status.healthy"),
        ("Version", "string", ".status.vaultVersion"),
        ("Age", "date", ".metadata.creationTimestamp"),
    ]
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{PLURAL}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Cluster",
            "names": {
                "kind": "VaultConnection",
                "listKind": "VaultConnectionList",
                "plural": PLURAL,
                "singular": "vaultconnection",
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [{"name": n, "type": t, "jsonPath": p} for n, t, p in columns],
                    "schema": {"openAPIV3Schema": openapi_schema()},
                }
            ],
        },
    }


def render_crds() -> str:
    header = "# Generated by `vault-access-operator crds` from the pydantic models. Do not edit.\n"
    return header + yaml.safe_dump(vaultconnection_crd(), sort_keys=False, width=100)
