"""Renders a policy's rules as an ACL policy document, with the ownership record the replaced operator writes.

Pure and deterministic: the same rules give the same text, so the document's hash says whether Vault needs a
write. The layout follows the replaced operator's (its ``pkg/vault/hcl.go``), so both read each other's records.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import unicodedata
from collections.abc import Iterable, Sequence

from .policy_models import PolicyRule

MANAGED_BY = "vault-access-operator"


@dataclasses.dataclass(frozen=True)
class Ownership:
    """Who wrote a Vault object: the comment header of an ACL policy."""

    managed_by: str | None = None
    auth_mount: str | None = None
    cluster: str | None = None
    k8s_resource: str | None = None
    k8s_kind: str | None = None

    @property
    def managed(self) -> bool:
        return self.managed_by == MANAGED_BY

    @property
    def identity(self) -> str | None:
        """The writer's operator identity: its cluster name, else (the replaced operator's default) its login mount."""
        return self.cluster or self.auth_mount

    def header(self) -> list[str]:
        fields = (("managed-by", self.managed_by), ("auth-mount", self.auth_mount), ("cluster", self.cluster),
                  ("k8s-resource", self.k8s_resource), ("k8s-kind", self.k8s_kind))
        return [f"# {key}: {value}" for key, value in fields if value]


def owner_record(operator_identity: str, namespace: str | None, name: str, kind: str) -> Ownership:
    resource = f"{namespace}/{name}" if namespace else name
    return Ownership(MANAGED_BY, None, operator_identity, resource, kind)


def read_ownership(document: str) -> Ownership:
    """The record in the leading comment block (each line split at the first ``:``); empty if none."""
    found: dict[str, str] = {}
    for line in document.splitlines():
        text = line.strip()
        if not text.startswith("#"):
            break
        key, sep, value = text[1:].partition(":")
        if sep:
            found[key.strip()] = value.strip()
    return Ownership(found.get("managed-by"), found.get("auth-mount") or None, found.get("cluster") or None,
                     found.get("k8s-resource"), found.get("k8s-kind"))


def substitute(path: str, namespace: str | None, name: str) -> str:
    """``{{namespace}}`` and ``{{name}}`` replaced; other ``{{...}}`` (Vault ACL templating) kept."""
    return path.replace("{{namespace}}", namespace or "").replace("{{name}}", name)


def _quote(text: str) -> str:
    return json.dumps(text)  # HCL string escapes match JSON's for everything a rule path or value can hold


def _strings(values: Iterable[str]) -> str:
    return "[" + ", ".join(_quote(v) for v in values) + "]"


def description_comment(text: str) -> str:
    """A rule's description as one comment line. The ``description:`` label keeps it from reading as an ownership
    key: the replaced operator's record parser skips blank lines, so the first rule's comment is in its header."""
    one_line = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)
    return f"# description: {one_line.strip()}"


def _rule_lines(rule: PolicyRule, namespace: str | None, name: str) -> list[str]:
    path = substitute(rule.path, namespace, name)
    lines = [description_comment(rule.description)] if rule.description and rule.description.strip() else []
    lines += [f"path {_quote(path)} {{", f"  capabilities = {_strings(rule.capabilities)}"]
    params = rule.parameters
    if params is not None and (params.allowed or params.denied or params.required):
        lines.append("")
        if params.allowed:
            lines.append(f'  allowed_parameters = {{ "*" = {_strings(params.allowed)} }}')
        if params.denied:
            lines.append(f'  denied_parameters = {{ "*" = {_strings(params.denied)} }}')
        if params.required:
            lines.append(f"  required_parameters = {_strings(params.required)}")
    return [*lines, "}"]


def render_policy(rules: Sequence[PolicyRule], namespace: str | None, name: str, owner: Ownership) -> str:
    """The ACL policy document: the ownership header, a blank line, then the rules separated by blank lines, each
    with its description (if any) as a comment line above it. Comments are not compared for drift (hcl_parse)."""
    blocks = ["\n".join(_rule_lines(rule, namespace, name)) for rule in rules]
    return "\n".join(owner.header()) + "\n\n" + "\n\n".join(blocks) + "\n"


def document_hash(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()
