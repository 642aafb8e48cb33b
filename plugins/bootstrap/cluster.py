"""Where Vault reaches this cluster's API server: the operator's settings, with in-cluster defaults.

- host: ``spec.auth.kubernetes.kubernetesHost`` (the replaced operator's override), else the operator's env
  ``VAO_BOOTSTRAP_KUBERNETES_HOST``, else ``https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT``;
- CA: the PEM file at env ``VAO_BOOTSTRAP_KUBERNETES_CA_FILE``, else the pod's mounted service-account CA.
  None when there is no such file: Vault then uses its own (only when it runs in the cluster).

No reviewer JWT is ever written: it would be a token with the API server's audience, which the operator's
trust policy never requests (docs/security.md). Vault reviews with its own service account when it runs
in the cluster, else with the login's own JWT.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from vault_access_operator.plugin import ConfigError

HOST_ENV = "VAO_BOOTSTRAP_KUBERNETES_HOST"
CA_FILE_ENV = "VAO_BOOTSTRAP_KUBERNETES_CA_FILE"
MOUNTED_CA = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
MAX_CA_BYTES = 256 * 1024


@dataclasses.dataclass(frozen=True)
class ClusterAddress:
    host: str
    ca_pem: str | None
    ca_source: str  # where the CA was looked for: shown in messages


def _in_cluster_host() -> str | None:
    host, port = os.environ.get("KUBERNETES_SERVICE_HOST"), os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    if not host:
        return None
    return f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"


def cluster_address(spec_host: str | None) -> ClusterAddress:
    """The kubernetes_host and CA to configure, or ConfigError naming the settings when there is no host."""
    host = spec_host or os.environ.get(HOST_ENV) or _in_cluster_host()
    if not host:
        raise ConfigError(
            "the bootstrap does not know the Kubernetes API address Vault should use: set "
            f"spec.auth.kubernetes.kubernetesHost, or the operator's env {HOST_ENV} (in a pod, "
            "KUBERNETES_SERVICE_HOST gives it)"
        )
    ca_file = os.environ.get(CA_FILE_ENV) or MOUNTED_CA
    try:
        with Path(ca_file).open("rb") as handle:
            pem = handle.read(MAX_CA_BYTES).decode("utf-8", "replace").strip()
    except OSError:
        return ClusterAddress(host.rstrip("/"), None, f"no file at {ca_file}")
    if "-----BEGIN CERTIFICATE-----" not in pem:
        raise ConfigError(f"{ca_file} ({CA_FILE_ENV}) holds no PEM certificate: point it at the API server's CA")
    return ClusterAddress(host.rstrip("/"), pem + "\n", ca_file)
