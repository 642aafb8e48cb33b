"""Hostile-input rows for spec.auth.token: missing Secret, wrong key, a token Vault does not know, a revoked, an
expired and a powerless one, and a Vault that answers with errors. ``prepare_vault`` makes those tokens in
"{vault}" with known IDs (the root token may choose a token's ID)."""

from __future__ import annotations

import time
from typing import Any

from tests.hostile.case import HostileCase
from vault_access_operator.testing.openbao import OpenBaoServer

NS = "vault-access-operator-system"
REVOKED = "hostile-token-revoked-0001"
EXPIRED = "hostile-token-expired-0001"
POWERLESS = "hostile-token-powerless-0001"  # valid, but its policies do not allow lookup-self
UNKNOWN = "hostile-token-unknown-0001"
VALID = "hostile-token-valid-0001"


def prepare_vault(vault: OpenBaoServer) -> None:
    tokens = vault.client().auth.token
    tokens.create(id=REVOKED, policies=["default"], ttl="1h")
    tokens.revoke(REVOKED)
    tokens.create(id=EXPIRED, policies=["default"], ttl="1s", renewable=False)
    tokens.create(id=POWERLESS, policies=["nothing"], no_default_policy=True, ttl="1h")
    tokens.create(id=VALID, policies=["default"], ttl="1h")
    time.sleep(1.5)  # EXPIRED is


def token(address: str = "{vault}", secret: str = "tok", key: str = "token", namespace: str = NS,
          **fields: Any) -> dict[str, Any]:
    return {"address": address, "auth": {"token": {"secretRef": {"name": secret, "namespace": namespace, "key": key},
                                                  **fields}}}


def rejected(secret: str, vault_said: str = "permission denied") -> str:
    return (
        f"Vault rejected the token in key 'token' of Secret {NS}/{secret} (spec.auth.token.secretRef): {vault_said}: "
        "it has expired or was revoked (or its policies do not allow auth/token/lookup-self, which Vault's default "
        "policy grants): replace it there with a valid token; the operator reads it again at every retry, no spec "
        "change needed"
    )


CASES: list[HostileCase] = [
    HostileCase("token-secret-missing", token(secret="no-such-token"), "SecretNotFound",
                f"Secret {NS}/no-such-token not found: create it or fix the reference"),
    HostileCase("token-wrong-key", token(secret="tok-wrong-key", key="vault-token"), "SecretNotFound",
                f"Secret {NS}/tok-wrong-key has no key 'vault-token' (keys: token)",
                secrets={f"{NS}/tok-wrong-key": {"token": VALID}}),
    HostileCase("token-empty", token(secret="tok-empty"), "CredentialsNotFound",
                f"key 'token' of Secret {NS}/tok-empty (spec.auth.token.secretRef) is empty: store a Vault token there",
                secrets={f"{NS}/tok-empty": {"token": "\n"}}),
    HostileCase("token-unknown", token(secret="tok-unknown"), "CredentialsRejected", rejected("tok-unknown"),
                secrets={f"{NS}/tok-unknown": {"token": UNKNOWN}}),
    HostileCase("token-revoked", token(secret="tok-revoked"), "CredentialsRejected", rejected("tok-revoked"),
                secrets={f"{NS}/tok-revoked": {"token": REVOKED}}),
    HostileCase("token-expired", token(secret="tok-expired"), "CredentialsRejected", rejected("tok-expired"),
                secrets={f"{NS}/tok-expired": {"token": EXPIRED}}),
    HostileCase("token-without-lookup-rights", token(secret="tok-powerless"), "CredentialsRejected",
                rejected("tok-powerless", "1 error occurred: * permission denied"),
                secrets={f"{NS}/tok-powerless": {"token": POWERLESS}}),
    HostileCase("token-vault-answers-503", token("{listener}", secret="tok-listener"), "VaultUnreachable",
                "answered sys/health with HTTP 503: HTTP 503", secrets={f"{NS}/tok-listener": {"token": VALID}},
                listener_silent=False),
    HostileCase("token-secret-ref-without-key", {"address": "{listener}", "auth": {"token": {
        "secretRef": {"name": "tok"}}}}, "InvalidSpec", "spec.auth.token.secretRef.key is required"),
    HostileCase("token-inline-token", token("{listener}", token="s.inline-token-value"), "InvalidSpec",
                "spec.auth.token.token is not a known field"),
    HostileCase("token-secret-in-kube-system", token("{listener}", namespace="kube-system", secret="root-token"),
                "ForbiddenByPolicy", "spec.auth.token.secretRef names Secret kube-system/root-token, but the operator "
                "reads Secrets only in vault-access-operator-system",
                secrets={"kube-system/root-token": {"token": VALID + "-kube-system"}}),
]
