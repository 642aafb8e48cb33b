"""vault-access-operator: declarative, pluggable Vault/OpenBao login for Kubernetes.

The public API for plugin authors is what this module exports; everything else is
internal and may change between minor versions.
"""

from .durations import Duration
from .errors import (
    ConfigError,
    CredentialsError,
    CredentialSourceUnreachableError,
    LoginDeniedError,
    Reason,
    SecretNotFoundError,
    VaultAccessError,
)
from .hookspecs import ENTRY_POINT_GROUP, hookimpl
from .models import MountPath, SecretKeySelector, SpecModel
from .provider import AuthContext, AuthProvider, LoginRequest, ServiceAccountToken

__version__ = "0.1.0"

__all__ = [
    "ENTRY_POINT_GROUP",
    "AuthContext",
    "AuthProvider",
    "ConfigError",
    "CredentialSourceUnreachableError",
    "CredentialsError",
    "Duration",
    "LoginDeniedError",
    "LoginRequest",
    "MountPath",
    "Reason",
    "SecretKeySelector",
    "SecretNotFoundError",
    "ServiceAccountToken",
    "SpecModel",
    "VaultAccessError",
    "hookimpl",
]
