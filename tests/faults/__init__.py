"""Fault injection against the running operator: Vault killed, restarted, sealed; Kubernetes API errors."""
