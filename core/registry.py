"""Finds auth plugins through entry points, each in isolation: their auth providers and role writers.

pluggy's own ``load_setuptools_entrypoints`` stops at the first plugin that fails; here one
broken plugin is recorded (for the log, ``vault-access-operator plugins`` and the status of
the connections or roles that need it) and every other plugin still loads. A plugin may offer
providers, role writers, or both; broken writers do not cost the plugin its providers.
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
from .role_writer import RoleWriter, validate_writer

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
    families: tuple[str, ...] = ()  # role writer families
    writer_error: str | None = None  # its role writers failed to load (its providers may still work)


@dataclasses.dataclass
class ProviderRegistry:
    """Auth providers by ``spec.auth`` key, plus what went wrong while finding them."""

    hooks: pluggy.PluginManager
    providers: dict[str, AuthProvider[Any]] = dataclasses.field(default_factory=dict)
    plugins: list[PluginInfo] = dataclasses.field(default_factory=list)
    conflicts: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    writers: dict[str, RoleWriter[Any]] = dataclasses.field(default_factory=dict)  # by family
    writer_conflicts: dict[str, list[str]] = dataclasses.field(default_factory=dict)

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


    def writer(self, family: str) -> RoleWriter[Any]:
        """The role writer of ``family``; PluginUnavailableError says why there is none."""
        if family in self.writer_conflicts:
            raise PluginUnavailableError(
                f"roles of the {family!r} family are written by more than one plugin "
                f"({' and '.join(self.writer_conflicts[family])}): uninstall all but one"
            )
        if family in self.writers:
            return self.writers[family]
        broken = [f"{p.name} ({p.package} {p.version}): {p.writer_error or p.error}" for p in self.plugins
                  if p.writer_error or p.error]
        known = ", ".join(sorted(self.writers)) or "none"
        shown = clip(family, SPEC_VALUE_LIMIT, whole_words=False)
        hint = f"; plugins that failed to load: {'; '.join(broken)}" if broken else ""
        raise PluginUnavailableError(f"no role writer for the {shown!r} family is installed "
                                     f"(installed families: {known}){hint}")

    def family_of_login(self, method: str) -> str | None:
        """The family of a login method's mount (the writer whose ``login_methods`` lists it), or None."""
        return next((f for f, w in sorted(self.writers.items()) if method in w.login_methods), None)

    def family_of_mount(self, mount: str) -> str | None:
        """The family a mount's name implies (a writer's ``mount_prefixes``), or None."""
        head = mount.split("/", 1)[0]
        for family, writer in sorted(self.writers.items()):
            for prefix in writer.mount_prefixes:
                if head == prefix or (head.startswith(prefix) and head[len(prefix):len(prefix) + 1] in ("-", "_")):
                    return family
        return None


def new_plugin_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    return manager


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {clip(str(error))}"


def _offered(hook: Any, plugin: object) -> list[object]:
    # Only this plugin's implementation: the others' classes are theirs to report.
    offered: list[object] = []
    for impl in hook.get_hookimpls():
        if impl.plugin is plugin:
            result: Any = impl.function()  # the hookspec says a list; the caller checks each item
            offered += result or []
    return offered


def _check_writer(candidate: object) -> type[RoleWriter[Any]]:
    problems = validate_writer(candidate)
    if problems:
        raise TypeError("; ".join(problems))
    assert isinstance(candidate, type) and issubclass(candidate, RoleWriter)  # validate_writer checked it
    return candidate


def _load_writers(hooks: pluggy.PluginManager, plugin: object) -> list[RoleWriter[Any]]:
    return [cls() for cls in (_check_writer(c) for c in _offered(hooks.hook.vao_role_writers, plugin))]


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
    writer_owners: dict[str, str] = {}
    for entry_point in sorted(entry_points, key=lambda ep: ep.name):
        dist = getattr(entry_point, "dist", None)
        package = dist.metadata["Name"] if dist is not None else "unknown"
        version = dist.version if dist is not None else "unknown"
        base = PluginInfo(entry_point.name, entry_point.value, package, version)
        try:
            plugin = entry_point.load()
            registry.hooks.register(plugin, name=f"{entry_point.name}:{entry_point.value}")
            classes = [_check_provider(c) for c in _offered(registry.hooks.hook.vao_auth_providers, plugin)]
            instances = [cls() for cls in classes]
            writers, writer_error = [], None
            try:
                writers = _load_writers(registry.hooks, plugin)
            except Exception as error:  # its providers still work
                writer_error = _describe(error)
                log.error("role writers of plugin %r (%s %s) failed to load: %s", entry_point.name, package,
                          version, writer_error)
            if not classes and not writers and writer_error is None:
                raise TypeError("it offers no auth providers and no role writers (no vao_auth_providers function "
                                "marked @hookimpl, nor vao_role_writers, or they returned none)")
        except Exception as error:  # a broken plugin must not stop the others
            log.error("auth plugin %r (%s %s) failed to load: %s", entry_point.name, package, version, _describe(error))
            if registry.hooks.has_plugin(f"{entry_point.name}:{entry_point.value}"):
                registry.hooks.unregister(name=f"{entry_point.name}:{entry_point.value}")
            registry.plugins.append(dataclasses.replace(base, error=_describe(error)))
            continue
        origin = f"{entry_point.name} ({package})"
        for cls, instance in zip(classes, instances, strict=True):
            if cls.key in owners:
                registry.conflicts.setdefault(cls.key, [owners[cls.key]]).append(origin)
                log.error("auth method %r is provided twice: %s", cls.key, " and ".join(registry.conflicts[cls.key]))
                registry.providers.pop(cls.key, None)
                continue
            owners[cls.key] = origin
            registry.providers[cls.key] = instance
        for writer in writers:
            _add_writer(registry, writer, origin, writer_owners)
        registry.plugins.append(dataclasses.replace(base, keys=tuple(c.key for c in classes),
                                                    families=tuple(w.family for w in writers),
                                                    writer_error=writer_error))
    return registry


def _add_writer(registry: ProviderRegistry, writer: RoleWriter[Any], origin: str, owners: dict[str, str]) -> None:
    family = writer.family
    if family in owners:
        registry.writer_conflicts.setdefault(family, [owners[family]]).append(origin)
        log.error("roles of family %r are written by two plugins: %s", family,
                  " and ".join(registry.writer_conflicts[family]))
        registry.writers.pop(family, None)
        return
    owners[family] = origin
    registry.writers[family] = writer
