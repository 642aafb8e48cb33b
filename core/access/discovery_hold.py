"""What a VaultPolicy made by discovery (autoCreateCRs) may do: wait for review, then adopt the policy by its name.

``vault.platform.io/discovery-pending: "true"``: nothing is written until a human removes it (the object shows
why). ``vault.platform.io/vault-name: <name>``: manage the Vault policy ``<name>`` instead of the
``vao.<identity>.<namespace>.<name>`` one; honoured only in the connection's spec.discovery.targetNamespace,
which the platform team chooses: elsewhere a tenant could take over any policy nobody manages.
"""

from __future__ import annotations

from typing import Any

from .discovery_adopt import VAULT_NAME
from .outcome import Outcome


def adoption_hold(namespace: str | None, annotations: dict[str, str], spec: Any) -> Outcome | str | None:
    """An Outcome when the pass must stop here; else the Vault name to manage (None: the usual one).

    The discovery-pending annotation itself is sync_policy's to honour (nothing written while it is set)."""
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
