"""vault-access-operator: declarative, pluggable Vault/OpenBao login for Kubernetes.

Public API: :mod:`vault_access_operator.plugin` (for auth plugins) and the plugin test kit
:mod:`vault_access_operator.testing`. Every other module is private to the operator and may change
in any release; docs/architecture.md says how they fit together.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
