"""Finds auth plugins through entry points, each in isolation.

pluggy's own ``load_setuptools_entrypoints`` stops at the first plugin that fails; here one
broken plugin is recorded (for the log, ``vault-access-operator plugins`` and the status of
the connections that need it) and every other plugin still loads.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import logging
from collections.abc import Iterable
from typing import Any

import pluggy

from . import hookspecs
from .clip import SPEC_VALUE_LIMIT, clip
from .contract import validate_provider
from .errors import PluginUnavailableError
from .provider import AuthProvider

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class PluginInfo:
    """One entry point: where it came from and what it gave (or why it failed)."""

    name: str
    value: str
    package: str
    version: str
    keys: tuple[str, ...] = ()
    error: str | None = None


@dataclasses.dataclass
class ProviderRegistry:
    """Auth providers by ``spec.auth`` key, plus what went wrong while finding them."""

    hooks: pluggy.PluginManager
    providers: dict[str, AuthProvider[Any]] = dataclasses.field(default_factory=dict)
    plugins: list[PluginInfo] = dataclasses.field(default_factory=list)
    conflicts: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    def get(self, key: str) -> AuthProvider[Any]:
        """The provider for ``key``; PluginUnavailableError says why there is none."""
        if key in self.conflicts:
            names = " and ".join(self.conflicts[key])
            raise PluginUnavailableError(
                f"auth method {key!r} is provided by more than one plugin ({names}): uninstall all but one"
            )
        if key in self.providers:
            return self.providers[key]
        for plugin in self.plugins:
            if plugin.error and plugin.name == key:
                raise PluginUnavailableError(
                    f"the plugin for auth method {key!r} ({plugin.package} {plugin.version}) failed to load: "
                    f"{plugin.error}"
                )
        known = ", ".join(sorted(self.providers)) or "none"
        shown = clip(key, SPEC_VALUE_LIMIT, whole_words=False)  # a spec's block name, of any length
        raise PluginUnavailableError(f"unknown auth method {shown!r} under spec.auth: installed methods are {known}")


def new_plugin_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    return manager


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {clip(str(error))}"


def _check_provider(candidate: object) -> type[AuthProvider[Any]]:
    problems = validate_provider(candidate)
    if problems:
        raise TypeError("; ".join(problems))
    assert isinstance(candidate, type) and issubclass(candidate, AuthProvider)  # validate_provider checked it
    return candidate


def load_providers(entry_points: Iterable[importlib.metadata.EntryPoint] | None = None) -> ProviderRegistry:
    """Load every plugin of the entry point group; never raises for a broken plugin."""
    if entry_points is None:
        entry_points = importlib.metadata.entry_points(group=hookspecs.ENTRY_POINT_GROUP)
    registry = ProviderRegistry(hooks=new_plugin_manager())
    owners: dict[str, str] = {}
    for entry_point in sorted(entry_points, key=lambda ep: ep.name):
        dist = getattr(entry_point, "dist", None)
        package = dist.metadata["Name"] if dist is not None else "unknown"
        version = dist.version if dist is not None else "unknown"
        base = PluginInfo(entry_point.name, entry_point.value, package, version)
        try:
            plugin = entry_point.load()
            registry.hooks.register(plugin, name=f"{entry_point.name}:{entry_point.value}")
            # Only this plugin's implementation: the others' classes are theirs to report.
            impls = [i for i in registry.hooks.hook.vao_auth_providers.get_hookimpls() if i.plugin is plugin]
            offered: list[object] = []
            for impl in impls:
                result: Any = impl.function()  # the hookspec says a list; the next line checks each item
                offered += result or []
            classes = [_check_provider(c) for c in offered]
            if not classes:
                raise TypeError(
                    "it offers no auth providers (no vao_auth_providers function marked @hookimpl, or it returned none)"
                )
            instances = [cls() for cls in classes]
        except Exception as error:  # a broken plugin must not stop the others
            log.error("auth plugin %r (%s %s) failed to load: %s", entry_point.name, package, version, _describe(error))
            if registry.hooks.has_plugin(f"{entry_point.name}:{entry_point.value}"):
                registry.hooks.unregister(name=f"{entry_point.name}:{entry_point.value}")
            registry.plugins.append(dataclasses.replace(base, error=_describe(error)))
            continue
        for cls, instance in zip(classes, instances, strict=True):
            origin = f"{entry_point.name} ({package})"
            if cls.key in owners:
                registry.conflicts.setdefault(cls.key, [owners[cls.key]]).append(origin)
                log.error("auth method %r is provided twice: %s", cls.key, " and ".join(registry.conflicts[cls.key]))
                registry.providers.pop(cls.key, None)
                continue
            owners[cls.key] = origin
            registry.providers[cls.key] = instance
        registry.plugins.append(dataclasses.replace(base, keys=tuple(c.key for c in classes)))
    return registry
