"""Throw-away TLS material (CA + server certificate) for loopback test servers."""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# EC keys: generation is ~1000x faster than RSA-2048, and Go (OpenBao) accepts them.
_CURVE = ec.SECP256R1()


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _validity(builder: x509.CertificateBuilder) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    # Back-date a little so that clock skew between processes never matters.
    return builder.not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(
        now + datetime.timedelta(days=2)
    )


def _make_ca(common_name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(_CURVE)
    builder = x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
    builder = _validity(builder.public_key(key.public_key()).serial_number(x509.random_serial_number()))
    builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    builder = builder.add_extension(
        x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False,
        ),
        critical=True,
    )
    builder = builder.add_extension(
        x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
    )
    return key, builder.sign(key, hashes.SHA256())


def make_ca_pem(common_name: str = "unrelated-test-ca") -> str:
    """A second, unrelated CA certificate (PEM) for "wrong CA" tests."""
    return _cert_pem(_make_ca(common_name)[1])


@dataclass
class TLSMaterial:
    """A self-signed CA and a server cert for 127.0.0.1 / localhost, also written to files.

    Call ``cleanup()`` (or use as a context manager) to remove the temp dir.
    """

    common_name: str = "vault-access-operator-test-ca"
    ca_pem: str = field(init=False)
    cert_pem: str = field(init=False)
    key_pem: str = field(init=False)
    directory: Path = field(init=False)

    def __post_init__(self) -> None:
        ca_key, ca_cert = _make_ca(self.common_name)
        key = ec.generate_private_key(_CURVE)
        builder = x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca_cert.subject)
        builder = _validity(builder.public_key(key.public_key()).serial_number(x509.random_serial_number()))
        sans = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        cert = builder.sign(ca_key, hashes.SHA256())
        self.ca_pem, self.cert_pem, self.key_pem = _cert_pem(ca_cert), _cert_pem(cert), _key_pem(key)
        self.directory = Path(tempfile.mkdtemp(prefix="test-tls-"))
        self.ca_path.write_text(self.ca_pem)
        self.cert_path.write_text(self.cert_pem)
        self.key_path.write_text(self.key_pem)
        self.key_path.chmod(0o600)

    @property
    def ca_path(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def cert_path(self) -> Path:
        return self.directory / "server.pem"

    @property
    def key_path(self) -> Path:
        return self.directory / "server-key.pem"

    def cleanup(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> TLSMaterial:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()
