"""The Vault calls of a VaultKVSecret: where its mount ends, its metadata, a create-only seed, the ownership stamp.

Values go to Vault in one request body and nowhere else: no call here logs, returns or raises them (Vault's
error texts never echo a request body, and the operator's errors carry only Vault's text).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..borrowed import BorrowedClient
from ..errors import VaultPermissionDeniedError, VaultRequestError
from .hcl import MANAGED_BY

KIND = "VaultKVSecret"
SEEDED_VERSION = "seeded-version"


class NotKV2Error(ValueError):
    """spec.path does not lie in a KV v2 mount (the message says what Vault reports there)."""


@dataclasses.dataclass(frozen=True)
class KVLocation:
    mount: str  # without the trailing slash: kv/team
    rel: str  # the secret's path inside the mount: app/config

    @property
    def data_path(self) -> str:
        return f"{self.mount}/data/{self.rel}"

    @property
    def metadata_path(self) -> str:
        return f"{self.mount}/metadata/{self.rel}"


@dataclasses.dataclass(frozen=True)
class KVMetadata:
    current_version: int
    custom: dict[str, str]

    def owned_by(self, identity: str, resource: str) -> bool:
        """Stamped by this operator identity for this object (the replaced operator's vocabulary)."""
        custom = self.custom
        return (custom.get("managed-by") == MANAGED_BY and custom.get("k8s-resource") == resource
                and (custom.get("cluster") or custom.get("auth-mount")) == identity)

    @property
    def seeded_version(self) -> int | None:
        text = self.custom.get(SEEDED_VERSION, "")
        return int(text) if text.isdigit() else None


def locate(path: str, mount: str) -> KVLocation:
    """``path`` split at the mount Vault reported; NotKV2Error unless it continues with ``data/<something>``."""
    mount = mount.strip("/")
    rest = path[len(mount) + 1 :] if path.startswith(mount + "/") else ""
    if not rest.startswith("data/") or len(rest) == len("data/"):
        raise NotKV2Error(f"spec.path {path!r} must be {mount}/data/<path>: Vault's mount there is {mount}/")
    return KVLocation(mount, rest[len("data/") :])


async def find_mount(client: BorrowedClient, path: str) -> KVLocation:
    """Ask Vault which mount ``path`` lies in (a nested mount such as kv/team works); NotKV2Error if not KV v2."""
    try:
        answer = await client.request("GET", f"sys/internal/ui/mounts/{path}") or {}
    except VaultPermissionDeniedError as error:  # Vault's preflight: no capability at all on that path
        raise VaultPermissionDeniedError(
            f"Vault refused to say which mount {path} lies in (HTTP {error.status}): the operator's token has no "
            f"capability on {path}; grant it create on the data path and read, update, delete on the metadata path "
            "(docs/access/kv-and-discovery.md)", status=error.status, path=error.path, vault_text=error.vault_text,
        ) from None
    data = answer.get("data") or {}
    mount, kind = str(data.get("path") or ""), str(data.get("type") or "")
    version = str((data.get("options") or {}).get("version") or "1")
    if not mount:
        raise NotKV2Error(f"spec.path {path!r}: Vault reports no secrets engine mounted there")
    if kind not in ("kv", "generic") or version != "2":
        raise NotKV2Error(f"spec.path {path!r} lies in mount {mount} of type {kind or '?'} (version {version}): "
                          "a VaultKVSecret needs a KV version 2 mount")
    return locate(path, mount)


async def read_metadata(client: BorrowedClient, where: KVLocation) -> KVMetadata | None:
    """The secret's metadata (never its data); None when the path does not exist."""
    data = await client.read(where.metadata_path)
    if data is None:
        return None
    custom = data.get("custom_metadata") or {}
    version = data.get("current_version")
    return KVMetadata(int(version) if isinstance(version, int) else 0,
                      {str(k): str(v) for k, v in custom.items()} if isinstance(custom, dict) else {})


async def create_only(client: BorrowedClient, where: KVLocation, values: dict[str, str]) -> int | None:
    """Write ``values`` with check-and-set 0 (only if absent): the new version, or None when it exists already.

    A lost race shows as a check-and-set 400, or as a 403 when the operator may only create (not update)
    there, as least privilege recommends; the 403 counts as "exists" only when the metadata says so.
    """
    try:
        answer: dict[str, Any] = await client.write(where.data_path, {"data": values, "options": {"cas": 0}}) or {}
    except VaultRequestError as error:
        if "check-and-set" in error.vault_text:
            return None
        raise
    except VaultPermissionDeniedError:
        if await read_metadata(client, where) is not None:
            return None
        raise
    version = answer.get("version")
    return version if isinstance(version, int) else 1


async def stamp(client: BorrowedClient, where: KVLocation, record: dict[str, str], kept: dict[str, str]) -> None:
    """Write the ownership record into the secret's custom_metadata, keeping the keys in ``kept`` (what it held).

    A POST of the metadata (``update``) rather than a PATCH: the operator's Vault client sends JSON only, and
    Vault wants a merge-patch content type for PATCH. Fields left out of the POST keep their values.
    """
    await client.write(where.metadata_path, {"custom_metadata": {**kept, **record}})


def owner_stamp(identity: str, resource: str, seeded_version: int, now: str) -> dict[str, str]:
    """The record the replaced operator writes (managed-by, k8s-resource, managed-at, last-updated), with this
    operator's identity as ``cluster`` and the seeded version, so delete-if-untouched survives a lost status."""
    return {"managed-by": MANAGED_BY, "cluster": identity, "k8s-resource": resource, "k8s-kind": KIND,
            "managed-at": now, "last-updated": now, SEEDED_VERSION: str(seeded_version)}
