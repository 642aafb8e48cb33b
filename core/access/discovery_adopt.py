"""autoCreateCRs: a VaultPolicy per unmanaged Vault policy (and a VaultRole per unmanaged role: discovery_roles.py),
for a human to review, that takes it over once allowed.

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
from ..kinds import VAULT_POLICY, VAULT_ROLE
from ..kube import KubeClient
from .discovery_hold import DISCOVERED_AT, DISCOVERED_FROM, DISCOVERY_PENDING, VAULT_NAME
from .discovery_models import DiscoveredResource, ResourceType
from .discovery_roles import role_adoption_object
from .hcl_parse import PolicyParseError, parse_policy
from .outcome import ADOPT
from .policy_models import RULE_PATH_PATTERN

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
                      namespace: str, existing: dict[tuple[ResourceType, str], dict[str, str]], now: str,
                      role_mount: str | None = None, own_role: str | None = None) -> list[DiscoveredResource]:
    """Make the objects still missing; ``found`` with each entry's adoptionStatus set. ``existing``: the
    VaultPolicy ("policy") and VaultRole ("role") objects of ``namespace`` by name, with their annotations.
    ``own_role``: the role the operator logs in with on ``role_mount``, never offered for adoption (approved
    with the wrong accounts, it would lock the operator out)."""
    out, created = [], 0
    for entry in found:
        if entry.type == "role" and (not role_mount or entry.name == own_role):
            out.append(entry)  # no role mount to read it from, or the operator's own login role
            continue
        if (entry.type, entry.suggested_cr_name) in existing:
            pending = existing[(entry.type, entry.suggested_cr_name)].get(DISCOVERY_PENDING) == "true"
            out.append(entry.model_copy(update={"adoption_status": "pending" if pending else "discovered"}))
            continue
        if created >= MAX_CREATED_PER_SCAN:
            out.append(entry)
            continue
        status = "failed"
        try:
            body = await _adoption_body(client, entry, connection, namespace, now, role_mount)
            if body is not None:
                kind = VAULT_POLICY if entry.type == "policy" else VAULT_ROLE
                code, _ = await kube.request("POST", kind.path("", namespace).rstrip("/"), json=body,
                                             what=f"creating {kind.kind} {namespace}/{entry.suggested_cr_name}",
                                             decode=False)  # only the status code counts
                status = "pending" if code < 300 or code == 409 else "failed"
                created += 1
        except VaultAccessError:
            status = "failed"
        out.append(entry.model_copy(update={"adoption_status": status}))
    return out


async def _adoption_body(client: BorrowedClient, entry: DiscoveredResource, connection: str, namespace: str,
                         now: str, role_mount: str | None) -> dict[str, Any] | None:
    """The object to create for ``entry`` (one Vault read), None when it cannot be made faithfully."""
    if entry.type == "role":
        role = await client.read(f"auth/{role_mount}/role/{entry.name}")
        return None if role is None else role_adoption_object(entry, role, connection, namespace, now)
    live = await client.read(f"sys/policies/acl/{entry.name}")
    rules = rules_of(str((live or {}).get("policy") or (live or {}).get("rules") or ""))
    return None if rules is None else adoption_object(entry, rules, connection, namespace, now)
