"""The hook half of the provider contract: the plugin module offers the class, and the operator's loader takes it."""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
from typing import Any

from ..hookspecs import ENTRY_POINT_GROUP
from ..provider import AuthProvider
from ..registry import load_providers, new_plugin_manager


def _plugin_module(provider_cls: type, plugin: object) -> Any:
    if plugin is not None:
        return importlib.import_module(plugin) if isinstance(plugin, str) else plugin
    parts = provider_cls.__module__.split(".")
    for end in range(len(parts), 0, -1):  # the class's module, then each package above it
        module = sys.modules.get(".".join(parts[:end]))
        if module is not None and hasattr(module, "vao_auth_providers"):
            return module
    return None


def check_hook(provider_cls: type, key: str, plugin: object) -> list[str]:
    """The plugin module's ``vao_auth_providers`` hook offers ``provider_cls`` and the operator loads it."""
    try:
        module = _plugin_module(provider_cls, plugin)
    except ImportError as error:
        return [f"cannot import the plugin module {plugin!r}: {type(error).__name__}: {error}"]
    if module is None:
        return [f"no vao_auth_providers hook in {provider_cls.__module__} or a package above it (or pass plugin=)"]
    hook = getattr(module, "vao_auth_providers", None)
    if hook is None or not _is_hookimpl(module):
        return [f"{getattr(module, '__name__', module)}.vao_auth_providers must be decorated with @hookimpl"]
    try:
        offered = list(hook())
    except Exception as error:
        return [f"vao_auth_providers() raised {type(error).__name__}: {error}"]
    if provider_cls not in offered:
        return [f"vao_auth_providers() returns {offered!r}, which does not include {provider_cls.__name__}"]
    return _check_loads(module, key, provider_cls)


def _is_hookimpl(module: object) -> bool:
    """pluggy takes the module's ``vao_auth_providers`` as an implementation (it is marked with @hookimpl)."""
    manager = new_plugin_manager()
    try:
        manager.register(module)
    except Exception:  # pluggy refuses the module: a hook with the wrong signature, say
        return False
    return any(impl.plugin is module for impl in manager.hook.vao_auth_providers.get_hookimpls())


def _check_loads(module: Any, key: str, provider_cls: type) -> list[str]:
    # The operator's own loader, fed the module as if an entry point named it.
    name = getattr(module, "__name__", None)
    if not isinstance(name, str) or sys.modules.get(name) is not module:
        return []  # an object, not an importable module: the hook check above is all we can do
    entry = importlib.metadata.EntryPoint(name=key, value=name, group=ENTRY_POINT_GROUP)
    try:
        registry = load_providers([entry])
    except Exception as error:  # the loader must survive any plugin; report it if it does not
        return [f"the operator's plugin loader crashed on {name}: {type(error).__name__}: {error}"]
    errors = [p.error for p in registry.plugins if p.error]
    if errors:
        return [f"the operator's plugin loader rejects {name}: {errors[0]}"]
    if not isinstance(registry.providers.get(key), provider_cls):
        return [f"the operator's plugin loader found no provider for {key!r} in {name}"]
    return []


def check_entry_point(name: str) -> type[AuthProvider[Any]]:
    """The provider class an installed entry point of the group offers under key ``name``."""
    found = [ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    assert found, f"no entry point {name!r} in group {ENTRY_POINT_GROUP!r}: is the package installed (pip install -e .)"
    registry = load_providers(found)
    errors = [f"{p.name}: {p.error}" for p in registry.plugins if p.error]
    assert not errors, f"the entry point failed to load: {errors[0]}"
    assert name in registry.providers, f"entry point {name!r} loads, but offers keys {sorted(registry.providers)}"
    return type(registry.providers[name])
