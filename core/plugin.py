"""The public API for auth plugins: everything a plugin may import from vault-access-operator.

A plugin is a Python package that teaches the operator one more way to log in to Vault, as a
new block under ``spec.auth``. It registers a module under the :data:`ENTRY_POINT_GROUP` entry point
group; that module implements the ``vao_auth_providers`` hook (marked with :data:`hookimpl`) and
returns :class:`AuthProvider` subclasses.

The contract, in short (docs/plugins.md has the long form):

- ``key`` names the block under ``spec.auth``; ``config_model`` is a strict :class:`SpecModel`
  subclass describing it (the field types below give the same limits and messages as the built-in
  methods); ``mount(config)`` says which Vault auth mount a config logs in at.
- ``login_request(config, ctx)`` builds a :class:`LoginRequest` from fresh credentials. It does no
  Vault I/O: the core sends the request and owns TLS, retries, renewal, status, events and metrics.
  Everything it needs from the cluster comes from the :class:`AuthContext`.
- A method that needs no login (an existing Vault token) returns a :class:`SuppliedToken` instead: the core
  looks it up, renews and checks it like any other, and never revokes it.
- ``details`` of the request are shown on status; ``private`` is the plugin's own and is handed back
  only to ``explain_login_error``. Secrets go in neither; ``ctx.remember_secret`` masks them.
- Failures are raised as the error classes below, each carrying its status :class:`Reason`.
- :func:`validate_provider` is the check the operator's loader runs on every provider class; the
  test kit (``vault_access_operator.testing``) runs it too, then calls the login.

Stability: the names in ``__all__`` keep their meaning within a major version; new optional
arguments and attributes may appear in a minor one. Every other module of the package is private
and may change in any release: a plugin that imports one is not supported.
"""

from __future__ import annotations

from .bodies import read_capped
from .clip import clip
from .contract import KEY_PATTERN, validate_provider
from .durations import Duration, at_least, format_duration, parse_duration
from .errors import (
    ConfigError,
    CredentialsError,
    CredentialSourceUnreachableError,
    LoginDeniedError,
    Reason,
    SecretNotFoundError,
    TenancyError,
    VaultAccessError,
)
from .fields import (
    ADDRESS_PATTERN,
    MAX_AUDIENCES,
    MAX_URL,
    Audience,
    MountPath,
    Namespace,
    ObjectName,
    RoleName,
    SecretKey,
    ServiceAccountRef,
    Text,
    URLText,
    check_http_url,
)
from .hookspecs import ENTRY_POINT_GROUP, hookimpl
from .models import Audiences, SecretKeySelector, SpecModel
from .provider import (
    AuthContext,
    AuthProvider,
    LoginRequest,
    PlannedToken,
    ServiceAccountToken,
    SetupRun,
    SetupTarget,
    SetupVault,
    SuppliedToken,
)
from .role_writer import BoundAccount, RoleBinding, RoleWriter, validate_writer
from .trust import TrustPolicyError

__all__ = [
    "ADDRESS_PATTERN",
    "ENTRY_POINT_GROUP",
    "KEY_PATTERN",
    "MAX_AUDIENCES",
    "MAX_URL",
    "Audience",
    "Audiences",
    "AuthContext",
    "AuthProvider",
    "BoundAccount",
    "ConfigError",
    "CredentialSourceUnreachableError",
    "CredentialsError",
    "Duration",
    "LoginDeniedError",
    "LoginRequest",
    "MountPath",
    "Namespace",
    "ObjectName",
    "PlannedToken",
    "Reason",
    "RoleBinding",
    "RoleName",
    "RoleWriter",
    "SecretKey",
    "SecretKeySelector",
    "SecretNotFoundError",
    "ServiceAccountRef",
    "ServiceAccountToken",
    "SetupRun",
    "SetupTarget",
    "SetupVault",
    "SpecModel",
    "SuppliedToken",
    "TenancyError",
    "Text",
    "TrustPolicyError",
    "URLText",
    "VaultAccessError",
    "at_least",
    "check_http_url",
    "clip",
    "format_duration",
    "hookimpl",
    "parse_duration",
    "read_capped",
    "validate_provider",
    "validate_writer",
]
