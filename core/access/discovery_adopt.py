"""autoCreateCRs: a VaultPolicy per unmanaged Vault policy, for a human to review, that takes it over once allowed.

The object carries the policy's own rules (read once, when the object is made), its Vault name (the
``vault.platform.io/vault-name`` annotation, honoured only in the connection's targetNamespace), the adopt
annotation, and ``discovery-pending: "true"``: until a human removes that, the operator writes nothing. Then it
adopts the policy under its own name: same rules, plus the ownership record. ``deletionPolicy: Retain``:
deleting the object never deletes the hand-made policy. A policy whose rules a VaultPolicy cannot express
exactly is not mirrored (adoptionStatus failed), so a takeover never changes what the policy grants.
"""

from __future__ import annotations

import re
from typing import Any

from ..borrowed import BorrowedClient
from ..errors import VaultAccessError
from ..kinds import VAULT_POLICY
from ..kube import KubeClient
from .discovery_models import DiscoveredResource
from .hcl_parse import PolicyParseError, parse_policy
from .outcome import ADOPT, ANNOTATION_PREFIX
from .policy_models import RULE_PATH_PATTERN

DISCOVERY_PENDING = ANNOTATION_PREFIX + "discovery-pending"
DISCOVERED_AT = ANNOTATION_PREFIX + "discovered-at"
DISCOVERED_FROM = ANNOTATION_PREFIX + "discovered-from"
VAULT_NAME = ANNOTATION_PREFIX + "vault-name"
CAPABILITIES = frozenset({"create", "read", "update", "delete", "list", "sudo", "deny"})
MAX_CREATED_PER_SCAN = 20  # bounds one scan's Vault reads and API writes; the rest follow at the next scans


def rules_of(document: str) -> list[dict[str, Any]] | None:
    """The document as VaultPolicy rules, or None when a rule uses what a VaultPolicy cannot express."""
    try:
        parsed = parse_policy(document)
    except PolicyParseError:
        return None
    rules: list[dict[str, Any]] = []
    for path, fields in parsed:
        values = dict(fields)
        capabilities = list(values.pop("capabilities", ()))
        if not re.fullmatch(RULE_PATH_PATTERN, path) or not capabilities or set(capabilities) - CAPABILITIES:
            return None
        rule: dict[str, Any] = {"path": path, "capabilities": capabilities}
        parameters: dict[str, list[str]] = {}
        for key, field in (("allowed_parameters", "allowed"), ("denied_parameters", "denied")):
            if key in values:
                given = dict(values.pop(key))
                if set(given) != {"*"}:
                    return None  # per-parameter lists: a VaultPolicy renders one list for every parameter
                parameters[field] = [str(v) for v in given["*"]]
        if "required_parameters" in values:
            parameters["required"] = [str(v) for v in values.pop("required_parameters")]
        if values or "{{" in path:
            return None  # other settings (wrapping TTLs...), or templating a VaultPolicy would fill in itself
        if parameters:
            rule["parameters"] = parameters
        rules.append(rule)
    return rules or None


def adoption_object(found: DiscoveredResource, rules: list[dict[str, Any]], connection: str, namespace: str,
                    now: str) -> dict[str, Any]:
    annotations = {ADOPT: "true", DISCOVERY_PENDING: "true", DISCOVERED_AT: now, DISCOVERED_FROM: connection,
                   VAULT_NAME: found.name}
    return {"apiVersion": VAULT_POLICY.api_version, "kind": VAULT_POLICY.kind,
            "metadata": {"name": found.suggested_cr_name, "namespace": namespace, "annotations": annotations},
            "spec": {"connectionRef": connection, "rules": rules, "conflictPolicy": "Adopt", "driftMode": "detect",
                     "deletionPolicy": "Retain"}}


async def auto_create(kube: KubeClient, client: BorrowedClient, found: list[DiscoveredResource], connection: str,
                      namespace: str, existing: dict[str, dict[str, str]], now: str) -> list[DiscoveredResource]:
    """Make the objects still missing; ``found`` with each entry's adoptionStatus set. ``existing``: the
    VaultPolicy objects of ``namespace`` by name, with their annotations."""
    out, created = [], 0
    for entry in found:
        if entry.type != "policy":
            out.append(entry)  # no VaultRole kind here yet: roles are reported only
            continue
        if entry.suggested_cr_name in existing:
            pending = existing[entry.suggested_cr_name].get(DISCOVERY_PENDING) == "true"
            out.append(entry.model_copy(update={"adoption_status": "pending" if pending else "discovered"}))
            continue
        if created >= MAX_CREATED_PER_SCAN:
            out.append(entry)
            continue
        status = "failed"
        try:
            live = await client.read(f"sys/policies/acl/{entry.name}")
            rules = rules_of(str((live or {}).get("policy") or (live or {}).get("rules") or ""))
            if rules is not None:
                body = adoption_object(entry, rules, connection, namespace, now)
                code, _ = await kube.request("POST", VAULT_POLICY.path("", namespace).rstrip("/"), json=body,
                                             what=f"creating VaultPolicy {namespace}/{entry.suggested_cr_name}")
                status = "pending" if code < 300 or code == 409 else "failed"
                created += 1
        except VaultAccessError:
            status = "failed"
        out.append(entry.model_copy(update={"adoption_status": status}))
    return out
