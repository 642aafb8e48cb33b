"""Where a role goes and who writes it: the auth mount, its backend family, the writer, and the writer's block.

The mount is the connection's ``spec.defaults.authPath`` (family: ``authType``, else what the mount's name
implies), else the mount the connection logs in at (family: the writer that serves that login method), as the
replaced operator resolves it, but with any installed writer's family.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pydantic

from ..errors import ConfigError
from ..models import SpecModel
from ..registry import ProviderRegistry
from ..role_writer import RoleWriter
from .role_object import RoleObject


@dataclasses.dataclass(frozen=True)
class RoleTarget:
    mount: str
    family: str
    writer: RoleWriter[Any]
    login_audiences: tuple[str, ...] = ()


def resolve_target(connection: str, spec: Any, login: tuple[str, str, Any] | None,
                   registry: ProviderRegistry) -> RoleTarget:
    """The target of roles written through ``connection``; ConfigError / PluginUnavailableError say what to set.

    ``login`` is the connection's (method, mount, parsed config), None when it has none.
    """
    defaults = getattr(spec, "defaults", None)
    installed = ", ".join(sorted(registry.writers)) or "none"
    if defaults is not None and defaults.auth_path:
        mount = defaults.auth_path
        family = defaults.auth_type or registry.family_of_mount(mount)
        if family is None:
            raise ConfigError(f"VaultConnection {connection}: spec.defaults.authPath {mount!r} does not say which "
                              f"backend family it is: set spec.defaults.authType (installed role writers: {installed})")
    else:
        if login is None:
            raise ConfigError(f"VaultConnection {connection} has no login mount to write roles to: set "
                              "spec.defaults.authPath (and authType) on it")
        method, mount, _ = login
        found = registry.family_of_login(method)
        if found is None:
            raise ConfigError(f"VaultConnection {connection} logs in with {method}, and no installed role writer "
                              f"serves that method's mount: set spec.defaults.authPath and spec.defaults.authType on "
                              f"it to the auth mount roles go to (installed role writers: {installed})")
        family = found
    # The login's audiences are a default only for roles on the very mount the operator logs in at.
    audiences = tuple(getattr(login[2], "audiences", None) or ()) if login and login[1] == mount else ()
    return RoleTarget(mount, family, registry.writer(family), audiences)


def writer_config(obj: RoleObject, target: RoleTarget, registry: ProviderRegistry) -> SpecModel | None:
    """The writer's own block of the spec, parsed by its model; ConfigError for a block nobody or another
    family reads, or one that does not parse."""
    blocks = obj.spec.writer_blocks
    keys = {w.spec_key: w.family for w in registry.writers.values() if w.spec_key}
    for key in blocks:
        if key not in keys:
            known = ", ".join(sorted(str(k) for k in keys)) or "none"
            raise ConfigError(f"spec.{key} is not a field of {obj.kind} (installed role writers add: {known})")
        if keys[key] != target.family:
            raise ConfigError(f"spec.{key} is for {keys[key]}-family mounts, but this role goes to auth mount "
                              f"{target.mount!r} of the {target.family} family: remove spec.{key}")
    writer = target.writer
    if writer.spec_key is None or writer.spec_key not in blocks:
        return None
    assert writer.config_model is not None  # validate_writer: they go together
    try:
        return writer.config_model.model_validate(blocks[writer.spec_key])
    except pydantic.ValidationError as error:
        problems = "; ".join(f"spec.{writer.spec_key}.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                             for e in error.errors()[:5])
        raise ConfigError(problems) from None
