"""Hostile-input rows from the retry work: CA Secrets that cannot be used are an Error (retried with
backoff, so fixing the Secret heals the connection), and nothing is sent to the address meanwhile."""

from __future__ import annotations

from tests.hostile.case import HostileCase

_NS = "vault-access-operator-system"
# https, so the TLS block applies; nothing needs to listen there: the CA is checked before any request.
_ADDRESS = "https://127.0.0.1:9"


def _with_ca(key: str) -> dict[str, object]:
    return {
        "address": _ADDRESS,
        "auth": {"kubernetes": {"role": "operator"}},
        "tls": {"caSecretRef": {"name": "vault-ca", "namespace": _NS, "key": key}},
    }


CASES: list[HostileCase] = [
    HostileCase(
        id="ca-secret-not-pem",
        spec=_with_ca("ca.crt"),
        secrets={f"{_NS}/vault-ca": {"ca.crt": "not a certificate"}},
        reason="TLSConfigInvalid",
        message=f"key 'ca.crt' of Secret {_NS}/vault-ca (spec.tls.caSecretRef) is not a PEM certificate",
    ),
    HostileCase(
        id="ca-secret-pem-block-not-a-certificate",
        spec=_with_ca("ca.crt"),
        secrets={f"{_NS}/vault-ca": {"ca.crt": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}},
        reason="TLSConfigInvalid",
        message="holds a PEM block that is not a valid certificate",
    ),
]
