"""What an object made by discovery (autoCreateCRs) may do: wait for review, then adopt its Vault object by name.

Shared by the policy and the role kinds. ``vault.platform.io/discovery-pending: "true"``: nothing is written
until a human removes it (the object shows why). ``vault.platform.io/vault-name: <name>``: manage the Vault
policy or role ``<name>`` instead of the ``vao.<identity>.<namespace>.<name>`` one; honoured only in the
connection's spec.discovery.targetNamespace, which the platform team chooses: elsewhere a tenant could take
over any policy or role nobody manages.
"""

from __future__ import annotations

from typing import Any

from .outcome import ANNOTATION_PREFIX, Outcome, flag

#: Set on the objects discovery creates (and by the replaced operator's discovery on its placeholders):
#: writing them would replace the real Vault object with what the object holds before its review.
DISCOVERY_PENDING = ANNOTATION_PREFIX + "discovery-pending"
VAULT_NAME = ANNOTATION_PREFIX + "vault-name"
DISCOVERED_AT = ANNOTATION_PREFIX + "discovered-at"
DISCOVERED_FROM = ANNOTATION_PREFIX + "discovered-from"


def adoption_hold(namespace: str | None, annotations: dict[str, str], spec: Any) -> Outcome | str | None:
    """An Outcome when the pass must stop here; else the Vault name to manage (None: the usual one).

    The discovery-pending annotation itself is the sync pass's to honour (see :func:`discovery_pending`)."""
    name = annotations.get(VAULT_NAME)
    if not name:
        return None
    discovery = getattr(spec, "discovery", None)
    target = getattr(discovery, "target_namespace", None)
    if namespace is None or namespace != target:
        text = (f"the annotation {VAULT_NAME} is honoured only in the VaultConnection's spec.discovery.targetNamespace "
                f"({target or 'not set'}): remove it, or move the object there")
        return Outcome("Error", (False, "ValidationFailed", text), "wait", conditions={"Synced": (False,
                       "ValidationFailed", text)}, event=("Warning", "ValidationFailed", text))
    return name


def discovery_pending(annotations: dict[str, str], fields: dict[str, Any], placeholder: str,
                      fix: str) -> Outcome | None:
    """Pending (DiscoveryPending), nothing written, while the annotation is "true"; else None.

    ``placeholder`` says what of the spec is discovery's (``the rules``), ``fix`` what the human does first."""
    if not flag(annotations, DISCOVERY_PENDING):
        return None
    text = (f"not written: the {DISCOVERY_PENDING} annotation says {placeholder} discovery's placeholder; "
            f"{fix}, then remove the annotation")
    return Outcome("Pending", (False, "DiscoveryPending", text), "wait", fields=fields,
                   conditions={"Synced": (False, "DiscoveryPending", text)}, event=("Normal", "DiscoveryPending", text))
