"""Turns ``spec.tls`` into what the HTTP client verifies Vault's certificate with."""

from __future__ import annotations

import hashlib
import os
import ssl
import tempfile
from pathlib import Path

from .errors import TLSConfigError

_CA_DIR = Path(tempfile.gettempdir()) / f"vault-access-operator-ca-{os.getuid()}"


def check_ca_pem(pem: str, where: str) -> None:
    """Raise TLSConfigError unless ``pem`` is at least one parseable PEM certificate."""
    if "-----BEGIN CERTIFICATE-----" not in pem:
        raise TLSConfigError(f"{where} is not a PEM certificate (no BEGIN CERTIFICATE block): put the CA in PEM form")
    try:
        ssl.create_default_context(cadata=pem)
    except (ssl.SSLError, ValueError) as error:
        raise TLSConfigError(f"{where} holds a PEM block that is not a valid certificate: {error}") from None


def ca_bundle_path(pem: str) -> str:
    """A file holding ``pem`` (requests verifies against files); content-addressed, reused."""
    _CA_DIR.mkdir(mode=0o700, exist_ok=True)
    path = _CA_DIR / (hashlib.sha256(pem.encode()).hexdigest()[:32] + ".pem")
    if not path.exists():
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(pem)
        partial.replace(path)
    return str(path)
