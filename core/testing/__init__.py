"""Test helpers for the operator and for plugin authors (public API, see docs/plugins.md).

Importable without extras: the contract check, a recording login context and login helpers. The
real OpenBao server (``.openbao``, ``.pytest_plugin``) needs ``vault-access-operator[testing]``. The
Kubernetes API emulator and the operator runner are not here: they are the development kit (devkit/).
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
