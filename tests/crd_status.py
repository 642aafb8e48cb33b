"""The committed CRD's status schema, made as strict as the API server is: what it would prune fails here.

kube-apiserver keeps only the fields a structural schema declares (the rest is pruned without a word) and
drops nulls; jsonschema with ``additionalProperties: false`` wherever the CRD prunes turns both into failures.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import yaml

CRD_FILE = Path(__file__).resolve().parents[1] / "charts/vault-access-operator/crds/vaultconnections.yaml"


def prunes_as_api_server(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with ``additionalProperties: false`` on every object whose unknown fields the API server prunes."""
    schema = copy.deepcopy(schema)
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return schema
    if "properties" in schema:
        schema["properties"] = {k: prunes_as_api_server(v) for k, v in schema["properties"].items()}
        schema.setdefault("additionalProperties", False)
    elif isinstance(schema.get("additionalProperties"), dict):
        schema["additionalProperties"] = prunes_as_api_server(schema["additionalProperties"])
    if isinstance(schema.get("items"), dict):
        schema["items"] = prunes_as_api_server(schema["items"])
    return schema


def crd_status_schema() -> dict[str, Any]:
    crd = yaml.safe_load(CRD_FILE.read_text())
    return prunes_as_api_server(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"])


def assert_fits_crd(status: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError unless the API server would keep ``status`` exactly as written."""
    jsonschema.validate(status, crd_status_schema())


def key_paths(value: Any, path: str = "") -> set[str]:
    """Every key path in ``value`` (a list's items as ``path[]``)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            found |= {where} | key_paths(item, where)
    elif isinstance(value, list):
        for item in value:
            found |= key_paths(item, f"{path}[]")
    return found


def schema_paths(schema: dict[str, Any], path: str = "") -> set[str]:
    """Every property path the schema declares, named as :func:`key_paths` names them."""
    found: set[str] = set()
    for key, sub in (schema.get("properties") or {}).items():
        where = f"{path}.{key}" if path else key
        found |= {where} | schema_paths(sub, where)
    if isinstance(schema.get("items"), dict):
        found |= schema_paths(schema["items"], f"{path}[]")
    return found
