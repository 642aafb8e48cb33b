"""The role kinds' spec schema: the common fields plus one block per installed role writer.

A writer's block (``jwt``, ``aws``, or a third-party plugin's) comes from its ``config_model``, so installing a
plugin and regenerating the CRDs (``vault-access-operator crds``) is all a new backend family needs.
"""

from __future__ import annotations

from typing import Any

from .registry import load_providers
from .role_writer import RoleWriter

BIND_MESSAGE = "a role must bind something: set serviceAccounts"


def _block(writer: RoleWriter[Any], structural: Any) -> dict[str, Any]:
    assert writer.config_model is not None  # validate_writer: spec_key and config_model go together
    block: dict[str, Any] = structural(writer.config_model.model_json_schema(by_alias=True))
    block["description"] = (block.get("description", "") + f" Used when the target mount is of the {writer.family} "
                            "family.").strip().replace("``", "")
    return block


def role_spec_schema(spec: dict[str, Any], structural: Any) -> dict[str, Any]:
    """``spec`` (the common fields' schema) with the installed writers' blocks and the bind-something rule."""
    writers = sorted((w for w in load_providers().writers.values() if w.spec_key), key=lambda w: str(w.spec_key))
    properties = dict(spec.get("properties", {}))
    rules = ["(has(self.serviceAccounts) && size(self.serviceAccounts) > 0)"]
    blocks = []
    for writer in writers:
        key = str(writer.spec_key)
        properties[key] = _block(writer, structural)
        if writer.binds_rule:
            rules.append(f"(has(self.{key}) && ({writer.binds_rule}))")
            blocks.append(key)
    message = BIND_MESSAGE + (f", or a binding in {' or '.join(blocks)}" if blocks else "")
    # has() alone passes an empty list or string (the replaced operator's gap): every rule checks sizes.
    return {**spec, "properties": properties,
            "x-kubernetes-validations": [{"rule": " || ".join(rules), "message": message}]}
