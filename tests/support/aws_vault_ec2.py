"""ec2 login for the Vault double, plus a fake IMDS document issuer.

Vault verifies the PKCS7 against AWS's public certificates; the double instead trusts the
documents its fake IMDS issued (a real PKCS7 SignedData made with a throwaway key, so the
operator handles the real shape: base64 DER wrapped at 64 columns).
"""

from __future__ import annotations

import base64
import datetime
import json
import textwrap
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from tests.support.aws_vault_login import LoginRejected, Role


def identity_document(instance_id: str = "i-0123456789abcdef0", region: str = "eu-west-1",
                      account_id: str = "123456789012", ami_id: str = "ami-0abcdef1234567890") -> dict[str, Any]:
    return {"instanceId": instance_id, "region": region, "accountId": account_id, "imageId": ami_id,
            "pendingTime": "2026-01-01T00:00:00Z", "availabilityZone": f"{region}a", "architecture": "x86_64"}


def sign_document(document: dict[str, Any]) -> str:
    """A PKCS7 SignedData over the JSON document, as IMDS serves it (wrapped base64, no armour)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-imds")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    der = (pkcs7.PKCS7SignatureBuilder().set_data(json.dumps(document).encode())
           .add_signer(cert, key, hashes.SHA256()).sign(serialization.Encoding.DER, []))
    return "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))


class Ec2Verifier:
    """pathLoginUpdateEc2's checks and texts, with an identity access list for nonces."""

    def __init__(self) -> None:
        self.trusted: dict[str, dict[str, Any]] = {}  # pkcs7 (one line) -> identity document
        self.access_list: dict[str, str] = {}  # instance id -> nonce of the first login

    def trust(self, pkcs7_text: str, document: dict[str, Any]) -> None:
        self.trusted["".join(pkcs7_text.split())] = document

    def verify(self, body: dict[str, Any], roles: dict[str, Role]) -> tuple[Role, dict[str, Any]]:
        signed = body.get("pkcs7") or ""
        if not signed:
            raise LoginRejected("either pkcs7 or a tuple containing the instance identity document and its "
                                "SHA256 RSA signature needs to be provided")
        document = self.trusted.get(signed)
        if document is None:
            raise LoginRejected("failed to verify the signature", status=500)
        name = body.get("role") or document["imageId"]
        role = roles.get(name)
        if role is None:
            raise LoginRejected(f'entry for role "{name}" not found')
        if role.auth_type != "ec2":
            raise LoginRejected(f"auth method ec2 not allowed for role {name}")
        if role.bound_region and document["region"] not in role.bound_region:
            raise LoginRejected(f'Region "{document["region"]}" does not satisfy the constraint on role "{name}"')
        if role.bound_account_id and document["accountId"] not in role.bound_account_id:
            raise LoginRejected(f'Error validating instance: account ID "{document["accountId"]}" does not belong '
                                f'to role "{name}"')
        nonce = body.get("nonce") or ""
        stored = self.access_list.get(document["instanceId"])
        if stored is not None and stored != nonce:
            raise LoginRejected("client nonce mismatch")
        if len(nonce) > 128:
            raise LoginRejected("client nonce exceeding the limit of 128 characters")
        self.access_list[document["instanceId"]] = nonce
        return role, document
