"""pluggy hook specifications: the public extension points of the operator.

A plugin is a module (or object) registered under the ``vault_access_operator.auth`` entry
point group. It implements hooks with the :data:`hookimpl` marker. pluggy is used for
discovery and notification only: the core dispatches logins itself, by the key a user
wrote under ``spec.auth``.

Every hook below is documented here, where it is declared; a test fails otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .provider import AuthProvider

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
def vao_login_succeeded(connection: str, method: str, mount: str, accessor: str, ttl_seconds: int) -> None:
    """Called after a successful Vault login for ``connection``.

    ``accessor`` is the token accessor (not the token); ``ttl_seconds`` its lease duration.
    Observers must not block: this runs on the event loop.
    """


@hookspec
def vao_login_failed(connection: str, method: str, reason: str, message: str) -> None:
    """Called after a failed login attempt, with the condition reason and user message."""


@hookspec
def vao_token_renewed(connection: str, method: str, accessor: str, ttl_seconds: int) -> None:
    """Called after the connection's token was renewed; ``ttl_seconds`` is the new TTL."""


@hookspec
def vao_connection_phase_changed(connection: str, old_phase: str | None, new_phase: str, reason: str) -> None:
    """Called when a connection's ``status.phase`` changes (for example Active to Error)."""
