"""Vault's answer to a failed auth/aws login, turned into what to fix.

Matching is on Vault's own error texts (builtin/credential/aws/path_login.go); the text is
always quoted too, so nothing Vault said is lost.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .config import SERVER_ID_HEADER

_PRINCIPAL = re.compile(r'IAM Principal "([^"]+)" does not belong to the role')
_EXPECTED = re.compile(r'expected "([^"]*)" but got "([^"]*)"')
_UNREACHABLE = ("dial tcp", "connection refused", "no such host", "i/o timeout", "context deadline exceeded")


def explain(
    role: str, auth_type: str, mount: str, details: Mapping[str, str], server_id: str | None, errors: str
) -> str:
    said = f'Vault said: "{errors}"'
    lower = errors.lower()
    presented = _presented(details, errors)
    if "entry for role" in lower and "not found" in lower:
        return (
            f"access denied: there is no role {role!r} at auth/{mount} ({said}): create it, for example "
            f"vault write auth/{mount}/role/{role} auth_type={auth_type}"
            + (f' bound_iam_principal_arn="{canonical_arn(presented)}"' if presented and auth_type == "iam" else "")
            + " policies=..., or fix spec.auth.aws.role"
        )
    if "does not belong to the role" in lower:
        arn = presented or "the ARN Vault reported"
        canonical = canonical_arn(arn)
        expected = (
            f"the IAM role ARN {canonical} (Vault compares the role, not the session)" if canonical != arn else arn
        )
        return (
            f"access denied: Vault denied login for role {role!r} at auth/{mount}: the IAM principal presented, "
            f"{arn}, is not bound to the role ({said}). Check bound_iam_principal_arn: it must be {expected}"
        )
    if SERVER_ID_HEADER.lower() in lower:
        return _server_id(mount, server_id, said, errors)
    if "auth method" in lower and "not allowed for role" in lower:
        return (
            f"access denied: the Vault role {role!r} at auth/{mount} is not an auth_type={auth_type} role ({said}): "
            f"set spec.auth.aws.authType to the role's auth_type, or recreate the role with auth_type={auth_type}"
        )
    if "signaturedoesnotmatch" in lower or "scoped to a valid region" in lower:
        region, endpoint = details.get("region", "?"), details.get("stsEndpoint", "?")
        return (
            f"access denied: STS rejected the signature Vault forwarded ({said}). The operator signed for region "
            f"{region} and endpoint {endpoint}; Vault must send the request to that endpoint: set sts_endpoint="
            f"{endpoint} and sts_region={region} in auth/{mount}/config/client (or use_sts_region_from_client=true "
            "on Vault 1.15+), or set spec.auth.aws.region/stsEndpoint to match Vault"
        )
    if "expired" in lower and ("signature" in lower or "request has expired" in lower):
        return f"access denied: the signed request had expired when STS saw it ({said}): check the operator's clock"
    if "error making upstream request" in lower and any(marker in lower for marker in _UNREACHABLE):
        return (
            f"Vault cannot reach STS to verify the login ({said}): the STS endpoint connectivity problem is on "
            f"Vault's side: check sts_endpoint in auth/{mount}/config/client and Vault's network access to it"
        )
    if "client nonce mismatch" in lower:
        instance = details.get("instanceId", "INSTANCE_ID")
        return (
            f"access denied: Vault remembers another nonce for this instance ({said}); this happens after an "
            f"operator restart without spec.auth.aws.nonceSecretRef. Remove the old entry with vault delete "
            f"auth/{mount}/identity-accesslist/{instance}, and set nonceSecretRef to keep the nonce"
        )
    if "permission denied" in lower:
        return (
            f"access denied: Vault refused login at auth/{mount} ({said}): check that an aws auth method is "
            f"enabled at path {mount} (vault auth list) and that the role's token_bound_cidrs allow the operator"
        )
    who = f" as {presented}" if presented else ""
    return (
        f"access denied: Vault denied login for role {role!r} at auth/{mount}{who} ({said}): check the role and "
        "its bound_iam_principal_arn"
    )


def _server_id(mount: str, server_id: str | None, said: str, errors: str) -> str:
    if "missing header" in errors:
        return (
            f"access denied: Vault requires the {SERVER_ID_HEADER} header ({said}): set "
            f"spec.auth.aws.iamServerIdHeaderValue to iam_server_id_header_value from auth/{mount}/config/client"
        )
    match = _EXPECTED.search(errors)
    if match:
        return (
            f"access denied: the {SERVER_ID_HEADER} value does not match Vault's ({said}): set "
            f"spec.auth.aws.iamServerIdHeaderValue to {match.group(1)!r} (iam_server_id_header_value in "
            f"auth/{mount}/config/client)"
        )
    return f"access denied: Vault did not accept the {SERVER_ID_HEADER} header ({said}); sent {server_id!r}"


def _presented(details: Mapping[str, str], errors: str) -> str | None:
    """The ARN presented: Vault's own report first, else what the provider knew without asking AWS."""
    match = _PRINCIPAL.search(errors)
    if match:
        return match.group(1)
    return details.get("callerArn") or details.get("iamRoleArn")


def canonical_arn(arn: str) -> str:
    """Vault's canonical form: an assumed-role session ARN becomes its role's ARN (without path)."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[5].startswith("assumed-role/"):
        role = parts[5].split("/")[1]
        return f"arn:{parts[1]}:iam::{parts[4]}:role/{role}"
    return arn
