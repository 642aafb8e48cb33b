"""Rows of the hostile-input table for spec.auth.gcp.

``CASES`` need no Google: they fail before any call leaves the operator (spec, Secret, key file), so the
shared runner (test_hostile_table.py) runs them. ``WITH_GOOGLE`` reach the Google double and the Vault gcp
double: tests/test_gcp_hostile.py runs them, with the same checks, "{vault}" being the gcp double.
"""

from __future__ import annotations

import dataclasses
import json

from tests.hostile.case import HostileCase

NS = "vault-access-operator-system"
KEY_REF = {"name": "gcp-key", "key": "credentials.json"}
WHERE = f"key 'credentials.json' of Secret {NS}/gcp-key"
FAKE_PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC-not-a-key\n-----END PRIVATE KEY-----\n"


def _key(**fields: object) -> str:
    info: dict[str, object] = {"type": "service_account", "project_id": "vao-project", "private_key_id": "0123abcd",
                               "private_key": FAKE_PEM, "client_email": "vao@vao-project.iam.gserviceaccount.com",
                               "token_uri": "https://oauth2.googleapis.com/token"}
    info.update(fields)
    return json.dumps({k: v for k, v in info.items() if v is not None})


def _iam(**gcp: object) -> dict[str, object]:
    # Rows refused before any Vault call use the listener; rows refused by the plugin need a healthy Vault (the
    # core checks Vault's health before it asks the plugin for a login): the real OpenBao, never reached with a
    # login since the plugin fails first.
    address = "{vault}" if "credentialsSecretRef" in gcp and gcp.get("authType") != "gce" else "{listener}"
    return {"address": address, "auth": {"gcp": {"role": "vault-access-operator", **gcp}}}


CASES = [
    HostileCase(id="gcp-role-missing", spec={"address": "{listener}", "auth": {"gcp": {}}},
                reason="InvalidSpec", message="spec.auth.gcp.role is required"),
    HostileCase(id="gcp-auth-type-unknown", spec=_iam(authType="workload"),
                reason="InvalidSpec", message="spec.auth.gcp.authType Input should be 'iam' or 'gce'"),
    HostileCase(id="gcp-gce-with-a-key", spec=_iam(authType="gce", credentialsSecretRef=KEY_REF),
                reason="InvalidSpec",
                message="spec.auth.gcp: credentialsSecretRef only applies to authType iam: gce logs in with the "
                        "identity token of the instance's metadata server; remove credentialsSecretRef or set "
                        "authType: iam"),
    HostileCase(id="gcp-email-not-an-email", spec=_iam(serviceAccountEmail="vault-access-operator"),
                reason="InvalidSpec",
                message="spec.auth.gcp.serviceAccountEmail must be a service account's email, such as "
                        "name@project.iam.gserviceaccount.com"),
    HostileCase(id="gcp-endpoint-field-refused", spec=_iam(iamEndpoint="https://collector.example"),
                reason="InvalidSpec", message="spec.auth.gcp.iamEndpoint is not a known field"),
    HostileCase(id="gcp-key-secret-missing", spec=_iam(credentialsSecretRef={"name": "gcp-absent", "key": "k.json"}),
                reason="SecretNotFound", message=f"Secret {NS}/gcp-absent not found: create it or fix the reference"),
    HostileCase(id="gcp-key-wrong-key", spec=_iam(credentialsSecretRef={"name": "gcp-key", "key": "key.json"}),
                secrets={f"{NS}/gcp-key": {"credentials.json": _key()}},
                reason="SecretNotFound", message=f"Secret {NS}/gcp-key has no key 'key.json' (keys: credentials.json)"),
    HostileCase(id="gcp-key-in-another-namespace",
                spec=_iam(credentialsSecretRef={"name": "gcp-key", "namespace": "team-a", "key": "credentials.json"}),
                secrets={"team-a/gcp-key": {"credentials.json": _key()}},
                reason="ForbiddenByPolicy",
                message="spec.auth.gcp.credentialsSecretRef names Secret team-a/gcp-key, but the operator reads "
                        f"Secrets only in {NS}: move the Secret there"),
    HostileCase(id="gcp-key-not-json", spec=_iam(credentialsSecretRef=KEY_REF),
                secrets={f"{NS}/gcp-key": {"credentials.json": "private_key: -----BEGIN PRIVATE KEY-----"}},
                reason="CredentialsNotFound",
                message=f"{WHERE} (credentialsSecretRef) is not JSON (Expecting value at line 1 column 1): store the "
                        "service-account key file there as downloaded (gcloud iam service-accounts keys create)"),
    HostileCase(id="gcp-key-of-a-user", spec=_iam(credentialsSecretRef=KEY_REF),
                secrets={f"{NS}/gcp-key": {"credentials.json": json.dumps({
                    "type": "authorized_user", "client_id": "1234.apps.googleusercontent.com",
                    "client_secret": "d-FL95Q19q7MQmFpd7hHD0Ty", "refresh_token": "1//0gVaultRefreshTokenValue"})}},
                reason="CredentialsNotFound",
                message=f"{WHERE} (credentialsSecretRef) holds credentials of type 'authorized_user', not a "
                        "service-account key"),
    HostileCase(id="gcp-key-without-private-key", spec=_iam(credentialsSecretRef=KEY_REF),
                secrets={f"{NS}/gcp-key": {"credentials.json": _key(private_key=None)}},
                reason="CredentialsNotFound",
                message=f"{WHERE} (credentialsSecretRef) is a service-account key without private_key: store the "
                        "complete key file there"),
    HostileCase(id="gcp-key-private-key-not-pem", spec=_iam(credentialsSecretRef=KEY_REF),
                secrets={f"{NS}/gcp-key": {"credentials.json": _key()}},
                reason="CredentialsNotFound",
                message=f"{WHERE} (credentialsSecretRef) has a private_key that is not a PEM RSA private key"),
    HostileCase(id="gcp-key-of-another-universe", spec=_iam(credentialsSecretRef=KEY_REF),
                secrets={f"{NS}/gcp-key": {"credentials.json": _key(universe_domain="collector.example")}},
                reason="CredentialsNotFound",
                message=f"{WHERE} (credentialsSecretRef) is a key of universe domain 'collector.example': only "
                        "googleapis.com keys are supported"),
]


@dataclasses.dataclass(frozen=True)
class GoogleCase(HostileCase):
    """A row that reaches the Google double. ``setup`` names what the runner prepares (see test_gcp_hostile.py)."""

    setup: tuple[str, ...] = ()


def _key_row(**gcp: object) -> dict[str, object]:
    return {"address": "{vault}", "auth": {"gcp": {"role": "vault-access-operator", "credentialsSecretRef": {
        "name": "gcp-key", "key": "credentials.json"}, **gcp}}}


EMAIL = "vault-access-operator@vao-project.iam.gserviceaccount.com"
OTHER = "other@vao-project.iam.gserviceaccount.com"
DENIED = "Permission 'iam.serviceAccounts.signJwt' denied on resource (or it may not exist)."

WITH_GOOGLE = [
    GoogleCase(id="gcp-key-disabled", spec=_key_row(), setup=("key", "disabled"), reason="CredentialsRejected",
               message=f"Google refused the service-account key in {WHERE} (invalid_grant: Invalid JWT Signature.): "
                       "the key or its account was deleted or disabled: create a new key"),
    GoogleCase(id="gcp-sign-jwt-denied", spec=_key_row(serviceAccountEmail=OTHER), setup=("key",),
               reason="CredentialsRejected",
               message=f"Google refused to sign the JWT for {OTHER} (HTTP 403 PERMISSION_DENIED: {DENIED}): {EMAIL} "
                       f"needs iam.serviceAccounts.signJwt on {OTHER}: grant roles/iam.serviceAccountTokenCreator on "
                       f"{OTHER} to {EMAIL}"),
    GoogleCase(id="gcp-no-google-credentials", spec={"address": "{vault}", "auth": {"gcp": {"role": "r"}}},
               setup=("no-instance",), reason="CredentialsNotFound",
               message="no Google credentials found (Your default credentials were not found."),
    GoogleCase(id="gcp-metadata-unreachable",
               spec={"address": "{vault}", "auth": {"gcp": {"role": "vm", "authType": "gce"}}},
               setup=("metadata-down",), reason="CredentialSourceUnreachable",
               message="cannot reach the metadata server at 127.0.0.1:9 for the gce identity token (ConnectionError): "
                       "authType gce needs a GCE VM or GKE node whose metadata server the operator can reach"),
    GoogleCase(id="gcp-metadata-without-account",
               spec={"address": "{vault}", "auth": {"gcp": {"role": "vm", "authType": "gce"}}},
               setup=("instance-unbound",), reason="CredentialsNotFound",
               message="has no service account 'default' for an identity token (HTTP 404): attach a service account "
                       "to the instance, or fix spec.auth.gcp.serviceAccountEmail"),
    GoogleCase(id="gcp-wrong-role", spec=_key_row(role="nope"), setup=("key",), reason="LoginDenied",
               message="access denied: there is no role 'nope' at auth/gcp (Vault said: \"role \"nope\" not found\"): "
                       f"create it, for example vault write auth/gcp/role/nope type=iam bound_service_accounts={EMAIL} "
                       "policies=..., or fix spec.auth.gcp.role"),
    GoogleCase(id="gcp-account-not-bound", spec=_key_row(role="others"), setup=("key",), reason="LoginDenied",
               message=f"access denied: the service account {EMAIL} is not bound to the role 'others' at auth/gcp"),
    GoogleCase(id="gcp-iam-into-a-gce-role", spec=_key_row(role="vm"), setup=("key",), reason="LoginDenied",
               message="access denied: the role 'vm' at auth/gcp is a gce role but the operator presented a signed "
                       "service-account JWT (authType iam) (Vault said: \"expected JWT to have claims with GCE "
                       "metadata\"): set spec.auth.gcp.authType: gce, or create the role with type=iam"),
    GoogleCase(id="gcp-role-max-jwt-exp-short", spec=_key_row(role="strict"), setup=("key",), reason="LoginDenied",
               message="access denied: the role 'strict' at auth/gcp accepts shorter-lived JWTs than the 15 minutes "
                       "the operator signs for (Vault said: \"role requires that service account JWTs expire within "
                       "300 seconds\"): set max_jwt_exp to at least 900 on the role"),
    GoogleCase(id="gcp-gce-into-an-iam-role-without-inference",
               spec={"address": "{vault}", "auth": {"gcp": {"role": "no-inference", "authType": "gce"}}},
               reason="LoginDenied",
               message="is an iam role and the operator presented a GCE identity token (authType gce) (Vault said: "
                       "\"Got GCE token but IAM role \"no-inference\" does not allow GCE inference\"): set "
                       "spec.auth.gcp.authType: iam, or set allow_gce_inference=true on the role"),
    GoogleCase(id="gcp-mount-not-enabled", spec=_key_row(authPath="gcp-missing"), setup=("key",),
               reason="LoginDenied", message="access denied: Vault refused login at auth/gcp-missing"),
]
