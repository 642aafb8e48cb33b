"""Checks of what a guide quotes against what the code defines; each problem names the doc, the line and the token.

The names a doc may quote come from tests/docs/known.py (collected from the code). Names that belong to other
tools (helm's flags, AWS API names, ...) are listed below, each with its owner, so that a made-up name in a new
guide fails unless someone adds it here on purpose.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
from collections.abc import Iterator
from typing import Any

from tests.docs import known, messages
from tests.docs.markdown import Doc, Span

# Flags of other commands that guides quote inline (the tool in the comment).
FOREIGN_FLAGS = {
    "--reuse-values", "--set", "-f", "--create-namespace", "--include-crds",  # helm
    "--from-literal", "--from-file", "--for", "--field-selector", "--force-conflicts", "--server-side",  # kubectl
    "--prefix", "--tail", "--previous", "--dry-run", "--type", "--serviceaccount", "--clusterrole",  # kubectl
    "--api-audiences",  # kube-apiserver
    "--http-put-response-hop-limit",  # aws ec2 modify-instance-metadata-options
    "--python-platform", "--upgrade-package", "--upgrade", "--generate-hashes", "--no-config",  # uv pip compile
    "--require-hashes", "--no-deps", "--no-build-isolation", "--user", "--no-cache-dir",  # pip
    "--managed-markers", "--enable-webhooks", "--watch-namespaces",  # the replaced operator's (migration.md)
}
# PascalCase names of other systems that guides quote: AWS APIs and errors, Kubernetes add-ons, Python, tools.
FOREIGN_NAMES = {
    "AssumeRoleWithWebIdentity", "GetCallerIdentity", "RoleSessionName", "ExternalId", "AccessDenied",
    "SignatureDoesNotMatch", "EndpointConnectionError",  # AWS STS and botocore
    "ServiceMonitor", "ClusterKopfPeering", "OpenBao", "DaemonSet",  # Prometheus Operator, kopf, OpenBao
    "DeprecationWarning", "KeyError", "ValueError",  # Python
    "ImagePullBackOff", "Terminating", "RollingUpdate", "Recreate",  # Kubernetes states and strategies
    "IfNotPresent", "ClusterIP", "RuntimeDefault",  # Kubernetes enum values
}
# Names of the replaced operator that only the migration guide quotes (its status fields).
REPLACED_OPERATOR_FIELDS = {"lastReconcileID", "lastHeartbeat", "retryCount"}
_FLAG = re.compile(r"^(?P<flag>-{1,2}[A-Za-z][\w-]*)(?:[= ].*)?$")
_METRIC = re.compile(r"^vault_access_operator_[a-z_]+$")
_ENV = re.compile(r"^(?P<name>(?:VAO|OPERATOR)_[A-Z_]+)(?:=.*)?$")
_DOTTED = re.compile(r"^[a-z][A-Za-z0-9]*(?:\[\d*\])?(?:\.[A-Za-z][A-Za-z0-9]*(?:\[\d*\])?)+(?:=\S*)?$")
_RELATIVE = re.compile(r"^\.[a-z][A-Za-z0-9]*$")


@dataclasses.dataclass(frozen=True)
class Problem:
    doc: str
    line: int
    token: str
    why: str

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}: `{self.token}`: {self.why}"


def check_doc(doc: Doc) -> list[Problem]:
    """Every check, on one guide."""
    problems = list(check_spans(doc))
    problems += check_field_tables(doc)
    problems += check_values_defaults(doc)
    from tests.docs.blocks import check_blocks  # blocks.py uses Problem

    problems += check_blocks(doc)
    return problems


def check_spans(doc: Doc) -> Iterator[Problem]:
    last_key = ""
    for span in doc.spans():
        text = span.text.strip()
        column = span.column.lower()
        if "message" in column:
            reason = next((cell.split("=", 1)[1].strip("` ") for cell in span.row if cell.startswith("Reason=")), "")
            why = messages.unknown_part(text, vault_answered=reason == "LoginDenied")
            if why:
                yield Problem(span.doc, span.line, text, why)
            continue
        if column == "reason" and text not in known.reasons():
            yield Problem(span.doc, span.line, text, "not a reason the code sets (core/errors.py Reason, or a "
                          "reason literal of a controller)")
            continue
        if column == "key" and any(c.startswith("Default=") for c in span.row):  # a chart values table;
            # `.port` continues the key before it
            key = last_key.rsplit(".", 1)[0] + text if _RELATIVE.match(text) and last_key else text
            if _DOTTED.match(key) or re.match(r"^[a-z][A-Za-z0-9]*$", key):
                last_key = key
                if value_at(key) is MISSING:
                    yield Problem(span.doc, span.line, text, "not a key of charts/vault-access-operator/values.yaml")
            continue
        yield from _check_name(span, text)


def _check_name(span: Span, text: str) -> Iterator[Problem]:
    flag = _FLAG.match(text)
    if flag:
        ours = set().union(*known.cli_flags().values())
        if flag["flag"] not in ours and flag["flag"] not in FOREIGN_FLAGS:
            yield Problem(span.doc, span.line, text, "not an option of any vault-access-operator command "
                          "(core/cli.py); another tool's flag goes into FOREIGN_FLAGS in tests/docs/checks.py")
    elif _METRIC.match(text) and importlib.util.find_spec(text) is None:  # not the devkit's package name
        if text not in known.metric_names():
            yield Problem(span.doc, span.line, text, "not a metric the operator exposes (core/metrics.py)")
    elif env := _ENV.match(text):
        if env["name"] not in known.string_literals():
            yield Problem(span.doc, span.line, text, "no environment variable of that name is read by the code")
    elif _DOTTED.match(text) and _is_field_path(text):
        if not path_exists(text):
            yield Problem(span.doc, span.line, text, "no such field in the CRDs (spec/status), the auth plugins' "
                          "config models or values.yaml")
    elif known.CAMEL.match(text):
        if text not in known.field_names() | known.python_names() | REPLACED_OPERATOR_FIELDS:
            yield Problem(span.doc, span.line, text, "not a field of any CRD or config model, a status detail, a "
                          "chart value or a Kubernetes field")
    elif known.PASCAL.match(text) and sum(c.isupper() for c in text) >= 2:
        if text not in _pascal_names():
            yield Problem(span.doc, span.line, text, "not a reason, kind, condition, class or other name the code "
                          "defines (another system's name goes into FOREIGN_NAMES in tests/docs/checks.py)")


def _pascal_names() -> set[str]:
    from vault_access_operator.kinds import KINDS

    return (set(known.reasons()) | set(known.python_names()) | set(known.kubernetes_names()[1])
            | {k.kind for k in KINDS} | FOREIGN_NAMES)


def _is_field_path(text: str) -> bool:
    """A dotted name that claims to be a field: spec./status., a chart value, or with a camelCase segment
    (file names, host names and Python attributes are none of these)."""
    parts = _segments(text)
    if parts[0] == "metadata":
        return False
    return parts[0] in ("spec", "status") or parts[0] in known.values() or any(known.CAMEL.match(p) for p in parts)


# --- paths -----------------------------------------------------------------------------------------------

MISSING = object()


def value_at(key: str) -> Any:
    node: Any = known.values()
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


def _segments(path: str) -> list[str]:
    return [re.sub(r"\[\d*\]$", "", part) for part in path.split("=", 1)[0].split(".")]


def _in_schema(schema: dict[str, Any], parts: list[str]) -> bool:
    node = schema
    for part in parts:
        node = node.get("items", node) if node.get("type") == "array" else node
        properties = node.get("properties") or {}
        if part in properties:
            node = properties[part]
            continue
        if node.get("x-kubernetes-preserve-unknown-fields") or isinstance(node.get("additionalProperties"), dict):
            return True  # a free-form map (status details, defaults): any key
        return False
    return True


def _in_auth(parts: list[str]) -> bool:
    """``auth.<key>[.<field>[...]]`` against the installed plugins' config models."""
    if len(parts) < 2 or parts[1] not in known.auth_models():
        return False
    model = known.auth_models()[parts[1]]
    for part in parts[2:]:
        fields = known.model_fields(model)
        if part not in fields:
            return False
        nested = [m for m in known._nested_models(model) if m is not model and part in _annotation_names(fields[part])]
        model = nested[0] if nested else model
    return True


def _annotation_names(info: Any) -> str:
    return repr(info.annotation)


def _value_paths(node: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield f"{prefix}{key}"
            yield from _value_paths(value, f"{prefix}{key}.")


def path_exists(path: str) -> bool:
    parts = _segments(path)
    joined = ".".join(parts)
    if any(p == joined or p.endswith("." + joined) for p in _value_paths(known.values())):
        return True  # a chart value, or its tail (`apiServer.cidrs` under networkPolicy)
    heads = [parts] if parts[0] in ("spec", "status") else [["spec", *parts], ["status", *parts]]
    for candidate in heads:
        if candidate[:2] == ["spec", "auth"] and len(candidate) > 2:
            if _in_auth(candidate[1:]):
                return True
            continue
        if any(_in_schema(schema, candidate) for schema in known.crd_schemas().values()):
            return True
    return False


# --- field tables ----------------------------------------------------------------------------------------


def check_field_tables(doc: Doc) -> Iterator[Problem]:
    """Rows of a "Field | Default" table: the field exists where the doc is about, and the default is the model's."""
    from tests.docs.blocks import doc_scope

    scope = doc_scope(doc)
    for span in doc.spans():
        if span.column.lower() != "field" or not any(c.startswith("Default=") for c in span.row):
            continue
        row = dict(cell.split("=", 1) for cell in span.row)
        blocks = _blocks_of_row(row, scope.auth_keys)
        name = _segments(span.text.strip())[-1]
        found = [(f, d) for f, d in scope.fields(blocks) if f == name]
        if not found:
            where = ", ".join(sorted(blocks)) or ", ".join(sorted(scope.kinds)) or "nothing the doc's YAML names"
            yield Problem(span.doc, span.line, span.text, f"not a field of {where}")
            continue
        why = _default_mismatch(row.get("Default", ""), [d for _, d in found])
        if why:
            yield Problem(span.doc, span.line, span.text, why)


def _blocks_of_row(row: dict[str, str], auth_keys: set[str]) -> set[str]:
    cell = row.get("Block", "").strip("` ")
    if not cell or cell == "both":
        return auth_keys
    return {part.strip(" `") for part in cell.split(",")}


def _default_mismatch(cell: str, defaults: list[tuple[bool, Any]]) -> str | None:
    """``defaults``: (required, the model's default or None) of each model that has the field."""
    text = cell.strip()
    if "required" in text.lower():
        return None if any(required for required, _ in defaults) else f"the doc says required; default {cell!r}"
    quoted = re.findall(r"`([^`]+)`", text)
    if not quoted or re.sub(r"`[^`]+`|[\s,/]|or", "", text):
        return None  # prose, or nothing quoted: not checkable
    declared = [default for required, default in defaults if not required and default is not None]
    if not declared:
        return None  # the default is decided in code, not declared on the model
    if any(_same(q, d) for q in quoted for d in declared):
        return None
    return f"the doc's default {', '.join(quoted)} is not the model's ({', '.join(map(_shown, declared))})"


def _shown(value: Any) -> str:
    from vault_access_operator.durations import format_duration

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | int):
        return format_duration(float(value)) if value >= 60 else str(value)
    return str(value)


def _same(quoted: str, default: Any) -> bool:
    return quoted.strip().strip('"') in {_shown(default), str(default)}


# --- chart values tables -----------------------------------------------------------------------------------


def check_values_defaults(doc: Doc) -> Iterator[Problem]:
    """A "Key | Default" row whose default cell only quotes values: each is values.yaml's default of its key."""
    rows: dict[int, list[Span]] = {}
    for span in doc.spans():
        if span.column.lower() == "key" and any(c.startswith("Default=") for c in span.row):
            rows.setdefault(span.line, []).append(span)
    last = ""
    for spans in rows.values():
        keys = []
        for span in spans:
            text = span.text.strip()
            key = last.rsplit(".", 1)[0] + text if _RELATIVE.match(text) and last else text
            keys.append(key)
            last = key
        cell = dict(c.split("=", 1) for c in spans[0].row).get("Default", "")
        quoted = re.findall(r"`([^`]+)`", cell)
        if not quoted or re.sub(r"`[^`]+`|[\s,/]", "", cell) or len(quoted) != len(keys):
            continue  # prose, or not one value per key: not checkable
        for span, key, shown in zip(spans, keys, quoted, strict=True):
            value = value_at(key)
            if value is not MISSING and shown not in _value_forms(value):
                yield Problem(span.doc, span.line, span.text, f"the doc's default {shown} is not values.yaml's "
                              f"({json.dumps(value)})")


def _value_forms(value: Any) -> set[str]:
    forms = {json.dumps(value), json.dumps(value, separators=(",", ":"))}
    if isinstance(value, bool):
        forms.add("true" if value else "false")
    elif isinstance(value, str | int | float):
        forms.add(str(value))
    return forms
