"""pydantic models of VaultKVSecret: the source of its CRD and API docs.

Field names, enums and defaults are the replaced operator's v1alpha1 API (``connectionRef``, ``path``, ``data``,
``deletionPolicy``), so its manifests apply unchanged. ``dataFrom`` is this operator's addition: values taken
from a Kubernetes Secret in the object's own namespace, in the shape of a container's ``env[].valueFrom``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from ..conditions import Condition, StatusModel
from ..models import ObjectName, SecretKey, SpecModel

DeletionPolicy = Literal["Delete", "Retain"]
KVPhase = Literal["Pending", "Active", "Error", "Deleting"]
#: ``<mount>/data/<path>``; the mount may have several segments (``kv/team/data/app``), unlike the replaced
#: operator's ``^[^/]+/data/.+``, which every manifest of it still matches.
KV_PATH_PATTERN = r"^[^/\s?#%]+(/[^/\s?#%]+)*/data/[^/\s?#%]+(/[^/\s?#%]+)*$"
MAX_KV_PATH = 512
MAX_KEYS = 64
MAX_KEY = 253
IMMUTABLE_PATH = "path is immutable: create a new VaultKVSecret for another path"


class SecretKeyRef(SpecModel):
    """A key of a Secret in the VaultKVSecret's own namespace (as ``env[].valueFrom.secretKeyRef``)."""

    name: ObjectName = Field(description="Name of the Secret, in the VaultKVSecret's namespace.")
    key: SecretKey = Field(description="Key inside the Secret's data.")


class KVValueSource(SpecModel):
    """Where one value of the seeded secret comes from."""

    secret_key_ref: SecretKeyRef = Field(description="A key of a Secret in the object's own namespace.")


class VaultKVSecretSpec(SpecModel):
    """A KV v2 secret seeded once ("create if absent") through a VaultConnection, never overwritten."""

    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [{
        "rule": "!has(self.data) || !has(self.dataFrom) || self.dataFrom.all(k, !(k in self.data))",
        "message": "a key may be in data or in dataFrom, not in both",
    }]})

    connection_ref: ObjectName = Field(description="Name of the VaultConnection whose token seeds the secret.")
    path: str = Field(
        min_length=1, max_length=MAX_KV_PATH, pattern=KV_PATH_PATTERN,
        description="Full KV v2 data path, <mount>/data/<path>, such as secret/data/team-a/app or, on a nested "
        "mount, kv/team/data/app (the operator asks Vault where the mount ends). Immutable.",
        json_schema_extra={"x-kubernetes-validations": [{"rule": "self == oldSelf", "message": IMMUTABLE_PATH}]},
    )
    data: dict[str, str] | None = Field(
        default=None, max_length=MAX_KEYS,
        description="Content written only when the path is absent (empty-string placeholders are typical). Never "
        "overwrites; later edits are not applied. Left out (and no dataFrom): an empty secret {}.",
    )
    data_from: dict[str, KVValueSource] | None = Field(
        default=None, max_length=MAX_KEYS,
        description="Values read from Secrets in the object's own namespace at seeding time, so no password sits "
        "in a manifest: key -> {secretKeyRef: {name, key}}. Read once, when the path is seeded; never shown.",
    )
    deletion_policy: DeletionPolicy = Field(
        default="Delete", description="On deletion: Delete removes the secret only if this object seeded it and "
        "nobody wrote to it since (delete-if-untouched); Retain never deletes it.")

    @field_validator("path")
    @classmethod
    def _no_dot_segments(cls, path: str) -> str:
        if any(segment in (".", "..") for segment in path.split("/")):
            raise ValueError("a . or .. segment is refused: write the path without it")
        return path

    @field_validator("data", "data_from")
    @classmethod
    def _keys_fit(cls, values: dict[str, Any] | None) -> dict[str, Any] | None:
        for key in values or {}:
            if not key or len(key) > MAX_KEY:
                raise ValueError(f"keys must be 1 to {MAX_KEY} characters long")
        return values

    @model_validator(mode="after")
    def _no_key_twice(self) -> VaultKVSecretSpec:
        both = sorted(set(self.data or {}) & set(self.data_from or {}))
        if both:
            raise ValueError(f"key(s) {', '.join(both)} are in both data and dataFrom: keep each in one")
        return self


class KVSecretStatus(StatusModel):
    """Observed state of a VaultKVSecret. It never holds the secret's values."""

    phase: KVPhase | None = None
    vault_path: str | None = Field(default=None, description="The data path (spec.path).")
    mount: str | None = Field(default=None, description="The KV v2 mount the path lies in, as Vault reports it.")
    seeded: bool | None = Field(
        default=None, description="This object created the secret (stays true on later passes).")
    seeded_version: int | None = Field(
        default=None, description="The secret's version when seeded: delete removes it only while it is current.")
    current_version: int | None = Field(
        default=None, description="The secret's current version in Vault, as last read (metadata only).")
    last_synced_at: str | None = Field(default=None, description="When the operator last wrote to Vault.")
    message: str | None = Field(default=None, description="What went wrong or what is awaited, if anything.")
    conditions: list[Condition] = Field(default_factory=list)


CONDITION_TYPES = (
    ("Ready", "the secret exists in Vault (seeded by this object, or already there)"),
    ("Synced", "the last pass succeeded"),
    ("ConnectionReady", "the VaultConnection is Active"),
    ("Untouched", "the secret is this object's and still at the seeded version: delete would remove it"),
    ("DryRun", "the dry-run annotation kept the operator from writing"),
)
