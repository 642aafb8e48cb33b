"""Test helpers for the operator and for plugin authors (public API, see docs/plugins.md).

Importable without the demo extra: the contract check, a recording login context and login
helpers. The real servers (``.openbao``, ``.kube``) and ``.operator`` need ``vault-access-operator[demo]``.
"""

from .contract import ContractReport, ProviderContract, check_entry_point, check_provider, check_provider_async
from .plugin_login import (
    login_with,
    login_with_async,
    make_login_request,
    make_login_request_async,
    send_login,
    send_login_async,
)
from .recording import RecordingAuthContext

__all__ = [
    "ContractReport",
    "ProviderContract",
    "RecordingAuthContext",
    "check_entry_point",
    "check_provider",
    "check_provider_async",
    "login_with",
    "login_with_async",
    "make_login_request",
    "make_login_request_async",
    "send_login",
    "send_login_async",
]
