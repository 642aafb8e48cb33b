"""Hostile-input rows for spec.auth.appRole: missing Secret, wrong key, wrong credentials, wrong role, Vault's
refusals and a Vault that answers with errors. ``prepare_vault`` gives "{vault}" an approle mount whose role has
a known role ID and secret ID, and a CIDR-bound role the operator's address is outside of."""

from __future__ import annotations

from typing import Any

from tests.hostile.case import HostileCase
from vault_access_operator.testing.openbao import OpenBaoServer

NS = "vault-access-operator-system"
ROLE_ID = "hostile-approle-role-id"
SECRET_ID = "hostile-approle-secret-id-0001"
CIDR_ROLE_ID = "hostile-approle-cidr-role-id"
WRONG = "00000000-1111-2222-3333-444444444444"


def prepare_vault(vault: OpenBaoServer) -> None:
    approle = vault.client().auth.approle
    vault.client().sys.enable_auth_method("approle")
    approle.create_or_update_approle("operator", token_policies=["default"], token_ttl="1h")
    approle.update_role_id("operator", ROLE_ID)
    approle.create_custom_secret_id("operator", SECRET_ID)
    approle.create_or_update_approle("cidr-bound", token_policies=["default"], secret_id_bound_cidrs=["10.0.0.0/8"])
    approle.update_role_id("cidr-bound", CIDR_ROLE_ID)
    approle.create_custom_secret_id("cidr-bound", SECRET_ID + "-cidr")


def approle(address: str = "{vault}", role_id: str = ROLE_ID, secret: str = "approle-sid", key: str = "secret-id",
            namespace: str = NS, **fields: Any) -> dict[str, Any]:
    ref = {"name": secret, "namespace": namespace, "key": key}
    return {"address": address, "auth": {"appRole": {"roleId": role_id, "secretIdRef": ref, **fields}}}


def denied(role_id: str, secret: str, key: str = "secret-id") -> str:
    where = f"key {key!r} of Secret {NS}/{secret} (spec.auth.appRole.secretIdRef)"
    return (
        f"Vault denied the AppRole login at auth/approle with role ID {role_id!r} (Vault said: \"invalid role or "
        "secret ID\"): either spec.auth.appRole.roleId is not the role's role ID (vault read "
        f"auth/approle/role/<role>/role-id), or the secret ID in {where} is not valid for it: expired "
        "(secret_id_ttl), used up (secret_id_num_uses), destroyed, or of another role. Store a new one there "
        "(vault write -f auth/approle/role/<role>/secret-id); the next login reads it"
    )


OTHER_METHOD = (
    f"Vault denied the AppRole login at auth/kubernetes with role ID {ROLE_ID!r} (Vault said: \"missing role\"): "
    "auth/kubernetes asks for a field AppRole logins do not send, so it is not an AppRole mount: set "
    "spec.auth.appRole.mountPath to the path AppRole auth is enabled at (vault auth list)"
)

CASES: list[HostileCase] = [
    HostileCase("approle-secret-missing", approle(secret="no-such-secret"), "SecretNotFound",
                f"Secret {NS}/no-such-secret not found: create it or fix the reference"),
    HostileCase("approle-wrong-key", approle(secret="approle-wrong-key", key="secretId"), "SecretNotFound",
                f"Secret {NS}/approle-wrong-key has no key 'secretId' (keys: secret-id)",
                secrets={f"{NS}/approle-wrong-key": {"secret-id": SECRET_ID}}),
    HostileCase("approle-empty-secret-id", approle(secret="approle-empty"), "CredentialsNotFound",
                f"key 'secret-id' of Secret {NS}/approle-empty (spec.auth.appRole.secretIdRef) is empty: store a "
                "secret ID there (vault write -f auth/approle/role/<role>/secret-id)",
                secrets={f"{NS}/approle-empty": {"secret-id": " \n"}}),
    HostileCase("approle-wrong-secret-id", approle(secret="approle-wrong-sid"), "LoginDenied",
                denied(ROLE_ID, "approle-wrong-sid"), secrets={f"{NS}/approle-wrong-sid": {"secret-id": WRONG}}),
    HostileCase("approle-wrong-role-id", approle(role_id="no-such-role-id", secret="approle-sid-1"), "LoginDenied",
                denied("no-such-role-id", "approle-sid-1"), secrets={f"{NS}/approle-sid-1": {"secret-id": SECRET_ID}}),
    HostileCase("approle-secret-id-of-another-role", approle(role_id=CIDR_ROLE_ID, secret="approle-sid-2"),
                "LoginDenied", denied(CIDR_ROLE_ID, "approle-sid-2"),
                secrets={f"{NS}/approle-sid-2": {"secret-id": SECRET_ID}}),
    HostileCase("approle-cidr-bound-role", approle(role_id=CIDR_ROLE_ID, secret="approle-sid-3"), "LoginDenied",
                "the operator's address is outside the CIDRs the role or secret ID allows: check "
                "secret_id_bound_cidrs and token_bound_cidrs of the role (vault read auth/approle/role/<role>)",
                secrets={f"{NS}/approle-sid-3": {"secret-id": SECRET_ID + "-cidr"}}),
    HostileCase("approle-mount-missing", approle(secret="approle-sid-4", mountPath="no-approle-here"), "LoginDenied",
                f"Vault denied the AppRole login at auth/no-approle-here with role ID {ROLE_ID!r} (Vault said: "
                "\"permission denied\"): check that AppRole auth is enabled at 'no-approle-here' (vault auth list; the "
                "path goes in spec.auth.appRole.mountPath, default approle)",
                secrets={f"{NS}/approle-sid-4": {"secret-id": SECRET_ID}}),
    HostileCase("approle-mount-of-another-method", approle(secret="approle-sid-6", mountPath="kubernetes"),
                "LoginDenied", OTHER_METHOD, secrets={f"{NS}/approle-sid-6": {"secret-id": SECRET_ID}}),
    HostileCase("approle-vault-answers-503", approle("{listener}", secret="approle-sid-5"), "VaultUnreachable",
                "answered sys/health with HTTP 503: HTTP 503",
                secrets={f"{NS}/approle-sid-5": {"secret-id": SECRET_ID}}, listener_silent=False),
    HostileCase("approle-role-id-missing", {"address": "{listener}", "auth": {"appRole": {
        "secretIdRef": {"name": "x", "key": "secret-id"}}}}, "InvalidSpec", "spec.auth.appRole.roleId is required"),
    HostileCase("approle-auth-path-instead-of-mount-path", approle("{listener}", authPath="approle"), "InvalidSpec",
                "spec.auth.appRole.authPath is not a known field"),
    HostileCase("approle-mount-path-traversal", approle("{listener}", mountPath="../../sys/seal"), "InvalidSpec",
                "spec.auth.appRole.mountPath must be a Vault mount path"),
    HostileCase("approle-secret-in-kube-system", approle("{listener}", namespace="kube-system", secret="sid"),
                "ForbiddenByPolicy", "spec.auth.appRole.secretIdRef names Secret kube-system/sid, but the operator "
                "reads Secrets only in vault-access-operator-system",
                secrets={"kube-system/sid": {"secret-id": SECRET_ID + "-kube-system"}}),
]
