"""Which KV paths a namespace may seed with a VaultKVSecret: decided by the VaultConnection, never the tenant.

Pure: no I/O. Run once the mount is known (Vault says where it ends), before anything is written. The
settings, in the order they are checked (each refusal names its setting):

- ``spec.tenancy.allowedNamespaces``: may this namespace use the connection at all;
- ``spec.tenancy.deniedPathPrefixes``: the data or metadata path starts with a refused prefix;
- ``spec.tenancy.allowedKVPaths``: globs over the full data path, ``{{namespace}}`` filled in; under
  confinement only the globs that pin ``{{namespace}}`` (a whole segment, no glob before it) count;
- confinement ``namespace`` (the connection's, or ``--tenancy-confinement``) without allowedKVPaths: the
  path must be ``<mount>/data/<namespace>/...``.
"""

from __future__ import annotations

import fnmatch

from ..errors import TenancyError
from ..models import Confinement
from .tenancy import NAMESPACE_VAR, TenancySettings, check_namespace_allowed

ALLOWED_KV_PATHS = "spec.tenancy.allowedKVPaths"


def check_kv_path(path: str, mount: str, namespace: str, tenancy: TenancySettings) -> None:
    """Raise TenancyError unless ``namespace`` may seed the KV v2 data path ``path`` in ``mount``."""
    check_namespace_allowed(tenancy, namespace)
    mount = mount.strip("/")
    rel = path[len(mount) + 1 :].removeprefix("data/")
    metadata_path = f"{mount}/metadata/{rel}"
    for prefix in tenancy.denied_path_prefixes:
        if path.startswith(prefix) or metadata_path.startswith(prefix):
            raise TenancyError(f"spec.path {path!r} lies under {prefix!r}, which the VaultConnection's "
                               "spec.tenancy.deniedPathPrefixes refuses", setting="spec.tenancy.deniedPathPrefixes")
    confined = tenancy.confinement is Confinement.NAMESPACE
    if tenancy.allowed_kv_paths is not None:
        globs = [g for g in tenancy.allowed_kv_paths if not confined or _pins_namespace(g)]
        if any(fnmatch.fnmatchcase(path, g.replace(NAMESPACE_VAR, namespace)) for g in globs):
            return
        listed = ", ".join(globs) or "none"
        extra = (f" (under {_setting(tenancy)}=namespace only the globs with {NAMESPACE_VAR} "
                 "as a whole segment and no glob before it count)") if confined else ""
        raise TenancyError(f"spec.path {path!r} is not among the paths namespace {namespace!r} may seed: the "
                           f"VaultConnection's {ALLOWED_KV_PATHS} lists {listed}{extra}", setting=ALLOWED_KV_PATHS)
    if confined:
        own = f"{mount}/data/{namespace}/"
        if not path.startswith(own) or len(path) == len(own):
            raise TenancyError(
                f"spec.path {path!r} is outside namespace {namespace!r}'s area: it must be {own}<name> "
                f"(refused by {_setting(tenancy)}=namespace; the platform team may list other "
                f"paths in the VaultConnection's {ALLOWED_KV_PATHS})", setting=tenancy.confinement_setting)


def _pins_namespace(glob: str) -> bool:
    segments = glob.split("/")
    if NAMESPACE_VAR not in segments:
        return False
    before = segments[: segments.index(NAMESPACE_VAR)]
    return bool(before) and not any(c in s for s in before for c in "*?[{")


def _setting(tenancy: TenancySettings) -> str:
    setting = tenancy.confinement_setting
    return f"the VaultConnection's {setting}" if setting.startswith("spec.") else setting
