"""Error types that auth plugins and the core raise.

Each error carries a condition ``reason`` (CamelCase, shown on the VaultConnection's
conditions) and a ``message`` that tells the user what to fix. Messages must never contain
secret material: a plugin builds them from names, paths and URLs only.
"""

from __future__ import annotations

import enum
from typing import Any


class Reason(enum.StrEnum):
    """Condition reasons used on VaultConnection status (values are API: status, docs, metrics labels).

    A plugin may use a reason string of its own: errors take any ``str``.
    """

    CONNECTED = "Connected"
    LOGGED_IN = "LoggedIn"
    PENDING = "Pending"
    INVALID_SPEC = "InvalidSpec"
    PLUGIN_UNAVAILABLE = "PluginUnavailable"
    SECRET_NOT_FOUND = "SecretNotFound"
    TLS_CONFIG_INVALID = "TLSConfigInvalid"
    TLS_VERIFY_FAILED = "TLSVerifyFailed"
    VAULT_UNREACHABLE = "VaultUnreachable"
    VAULT_SEALED = "VaultSealed"
    VAULT_NOT_INITIALIZED = "VaultNotInitialized"
    VAULT_ERROR = "VaultError"
    LOGIN_DENIED = "LoginDenied"
    TOKEN_TTL_TOO_SHORT = "TokenTTLTooShort"
    CREDENTIALS_NOT_FOUND = "CredentialsNotFound"
    CREDENTIALS_REJECTED = "CredentialsRejected"
    TOKEN_REQUEST_FORBIDDEN = "TokenRequestForbidden"
    CREDENTIAL_SOURCE_UNREACHABLE = "CredentialSourceUnreachable"
    PLUGIN_FAILED = "PluginFailed"
    PLUGIN_TIMEOUT = "PluginTimeout"
    # The Kubernetes API server's own trouble: never a failed Vault login.
    KUBE_UNREACHABLE = "KubernetesAPIUnreachable"
    KUBE_THROTTLED = "KubernetesAPIThrottled"
    KUBE_FORBIDDEN = "KubernetesAPIForbidden"
    KUBE_ERROR = "KubernetesAPIError"
    #: The operator's trust policy refuses what the spec asks for (core/trust.py).
    FORBIDDEN_BY_POLICY = "ForbiddenByPolicy"
    #: Vault rejected the operator's own token at a health check (an event; the runtime logs in again).
    TOKEN_REJECTED = "TokenRejected"
    #: A bug (the operator's, a library's, or an error raised without a reason of its own).
    INTERNAL_ERROR = "InternalError"
    # Vault answered a controller's request (core/vault_api.py) with a refusal; Vault itself is fine.
    VAULT_PERMISSION_DENIED = "VaultPermissionDenied"
    VAULT_NOT_FOUND = "VaultNotFound"
    VAULT_REQUEST_REJECTED = "VaultRequestRejected"
    #: A controller borrowed a VaultConnection that is not Active (core/connections.py).
    CONNECTION_NOT_READY = "ConnectionNotReady"
    #: A namespaced object asks for more than its VaultConnection's tenancy settings allow (core/access/tenancy.py).
    TENANCY_VIOLATION = "TenancyViolation"


class VaultAccessError(Exception):
    """Base of every error the operator turns into status.

    ``retryable`` says whether trying again later, with backoff, can succeed without the
    user changing anything (Vault down: yes; a spec that fails validation: no).
    ``retry_after`` (seconds), when set, is the least wait the server asked for before the next try
    (a Kubernetes API server's ``Retry-After``).

    Each subclass states its own ``reason``; the base's is ``InternalError``, not a failure of anyone in
    particular, so an error raised without a class or reason of its own is not mistaken for a plugin's
    (or a failed login). Plugins raise the subclasses (or pass ``reason=``, any string).
    """

    reason: str = Reason.INTERNAL_ERROR
    retryable: bool = True
    retry_after: float | None = None

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        if reason is not None:
            self.reason = reason
        if retryable is not None:
            self.retryable = retryable


class ConfigError(VaultAccessError):
    """The VaultConnection spec is wrong; only an edit fixes it."""

    reason = Reason.INVALID_SPEC
    retryable = False


class PluginUnavailableError(VaultAccessError):
    """No usable plugin provides the requested auth method."""

    reason = Reason.PLUGIN_UNAVAILABLE
    retryable = False


class SecretNotFoundError(VaultAccessError):
    """A referenced Kubernetes Secret or key does not exist (it may be created later)."""

    reason = Reason.SECRET_NOT_FOUND


class CredentialsError(VaultAccessError):
    """The plugin could not obtain the credentials it logs in with."""

    reason = Reason.CREDENTIALS_NOT_FOUND


class CredentialSourceUnreachableError(VaultAccessError):
    """A credential source (STS, IMDS, an identity provider) could not be reached."""

    reason = Reason.CREDENTIAL_SOURCE_UNREACHABLE


class TLSConfigError(VaultAccessError):
    """The TLS settings cannot be used (for example the CA is not PEM).

    Retried with backoff: the CA Secret is read again at each attempt, so fixing it heals the connection.
    """

    reason = Reason.TLS_CONFIG_INVALID


class VaultUnavailableError(VaultAccessError):
    """Vault could not be reached, is sealed, not initialised, or answered 5xx."""

    reason = Reason.VAULT_UNREACHABLE


class LoginDeniedError(VaultAccessError):
    """Vault answered the login with 400/403: the credentials or role do not match."""

    reason = Reason.LOGIN_DENIED

    def __init__(self, message: str, *, status: int = 403, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.status = status  # Vault's HTTP status, for plugins' explain_login_error


class PluginError(VaultAccessError):
    """An auth plugin failed (raised something other than a VaultAccessError, or returned no LoginRequest)."""

    reason = Reason.PLUGIN_FAILED


class TokenTTLTooShortError(VaultAccessError):
    """Vault granted a token too short-lived to use; the role's token_ttl must be raised."""

    reason = Reason.TOKEN_TTL_TOO_SHORT


class InternalError(VaultAccessError):
    """A bug, caught so that one connection's task does not die of it: reported and retried."""

    reason = Reason.INTERNAL_ERROR


class TokenInvalidError(VaultAccessError):
    """The operator's own token was rejected (revoked, expired): log in again."""

    reason = Reason.LOGIN_DENIED


class VaultResponseError(VaultAccessError):
    """Vault answered a read, write, list or delete with a refusal (4xx): Vault works, the request does not.

    ``status`` is Vault's HTTP status, ``path`` the Vault path asked for, ``vault_text`` Vault's own
    error text (clipped and masked); the message holds all three, never a token or request body.
    """

    reason = Reason.VAULT_REQUEST_REJECTED
    retryable = False

    def __init__(self, message: str, *, status: int, path: str, vault_text: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.status, self.path, self.vault_text = status, path, vault_text


class VaultRequestError(VaultResponseError):
    """HTTP 400: Vault refused what was sent (a malformed policy, a wrong role field)."""


class VaultPermissionDeniedError(VaultResponseError):
    """HTTP 403 (or 401): the token's policies do not allow this, or the token is no longer valid."""

    reason = Reason.VAULT_PERMISSION_DENIED
    retryable = True  # a re-login, or a policy granted by Vault's administrator, fixes it


class VaultNotFoundError(VaultResponseError):
    """HTTP 404: nothing at that path (for a write: no secrets engine or auth method mounted there)."""

    reason = Reason.VAULT_NOT_FOUND


class ConnectionNotReadyError(VaultAccessError):
    """A controller asked for a VaultConnection that is not Active (missing, Pending, Error, logging in again).

    Retryable: the connection's own runtime works on it; wait for it (``ConnectionRegistry.wait_active``).
    """

    reason = Reason.CONNECTION_NOT_READY

    def __init__(self, message: str, *, connection: str, phase: str | None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.connection, self.phase = connection, phase


class TenancyError(VaultAccessError):
    """A policy (or a namespace) is refused by the VaultConnection's tenancy settings; only an edit fixes it.

    ``setting`` names what refused it (``spec.tenancy.confinement``, ``--tenancy-confinement``...);
    ``rule_index`` is the refused rule's index in ``spec.rules``, None when the whole object is refused.
    """

    reason = Reason.TENANCY_VIOLATION
    retryable = False

    def __init__(self, message: str, *, setting: str, rule_index: int | None = None) -> None:
        super().__init__(message)
        self.setting = setting
        self.rule_index = rule_index
