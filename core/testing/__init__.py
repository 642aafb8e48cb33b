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
from .role_writer import check_role_writer, sample_binding, sample_bindings
from .role_writer_vault import RoundTrip, changed_field_is_seen, role_round_trip

__all__ = [
    "ContractReport",
    "ProviderContract",
    "RecordingAuthContext",
    "RoundTrip",
    "changed_field_is_seen",
    "check_entry_point",
    "check_provider",
    "check_provider_async",
    "check_role_writer",
    "login_with",
    "login_with_async",
    "make_login_request",
    "make_login_request_async",
    "role_round_trip",
    "sample_binding",
    "sample_bindings",
    "send_login",
    "send_login_async",
]
