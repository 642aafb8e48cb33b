"""Names of the Vault objects the operator writes: the replaced operator's ``vao.<identity>.<namespace or _>.<name>``.

Keeping its scheme lets this operator take over what an install of the replaced one wrote. Unlike it, the
identity is always lower-cased: Vault lower-cases ACL policy names, so an upper-case identity would record
a name Vault does not store.
"""

from __future__ import annotations

import os
import re

DEFAULT_CLUSTER_NAME = "default"
CLUSTER_NAME_ENV = "VAO_CLUSTER_NAME"
_OUTSIDE_IDENTITY = re.compile(r"[^a-z0-9_-]")


def identity(cluster_name: str | None) -> str:
    """The operator identity in names and ownership records: lower case, ``[a-z0-9_-]`` only."""
    text = (cluster_name or "").strip().lower()
    if not text:
        return "_"
    cleaned = _OUTSIDE_IDENTITY.sub("-", text)
    return "-" if cleaned == "_" else cleaned  # as the replaced operator: a lone `_` means "no identity"


def cluster_name_from_env(environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    return environ.get(CLUSTER_NAME_ENV, "").strip() or DEFAULT_CLUSTER_NAME


def vault_object_name(operator_identity: str, namespace: str | None, name: str) -> str:
    """``vao.<identity>.<namespace>.<name>``; cluster-scoped objects use ``_`` for the namespace."""
    return f"vao.{operator_identity}.{namespace or '_'}.{name}"
