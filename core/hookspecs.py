"""pluggy hook specifications: the public extension points of the operator.

A plugin is a module (or object) registered under the ``vault_access_operator.auth`` entry
point group. It implements hooks with the :data:`hookimpl` marker. pluggy is used for
discovery only: the core dispatches logins itself, by the key a user wrote under ``spec.auth``,
and tells a provider what it must know through the AuthProvider methods (``connection_removed``).

Every hook below is documented here, where it is declared; a test fails otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .provider import AuthProvider
    from .role_writer import RoleWriter

PROJECT_NAME = "vault_access_operator"
ENTRY_POINT_GROUP = "vault_access_operator.auth"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def vao_auth_providers() -> list[type[AuthProvider[Any]]]:
    """Return the auth provider classes this plugin offers.

    Called once per plugin at startup. Each class names its ``spec.auth`` key; two classes
    for one key make that key unusable, and the connections that ask for it say which
    plugins clash.
    """
    raise NotImplementedError  # a specification: pluggy calls the plugins' implementations, never this


@hookspec
def vao_role_writers() -> list[type[RoleWriter[Any]]]:
    """Return the role writer classes this plugin offers: role management for an auth backend family.

    Optional: a plugin may offer auth providers, role writers, or both. Called once per plugin at startup.
    A VaultRole or VaultClusterRole whose target mount is of a family (``RoleWriter.family``) is written
    by that family's writer; two writers for one family make it unusable, and the roles that need it say
    which plugins clash. A writer with a ``spec_key`` reads its own block under the role's spec.
    """
    raise NotImplementedError  # a specification: pluggy calls the plugins' implementations, never this
