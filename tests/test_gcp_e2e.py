"""VaultConnections with auth.gcp through the real operator: the fake Kubernetes API, google-auth against the
Google double (token endpoint, IAM Credentials, metadata server), the Vault gcp double in front of a real
OpenBao (real tokens, renewal by the core)."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import OPERATOR_NS, LogLines
from tests.e2e.helpers import wait_status
from tests.support.gcp_google import GoogleDouble
from tests.support.gcp_metadata import Instance
from tests.support.gcp_vault_double import GcpVaultDouble
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator

pytest_plugins = ["tests.support.gcp_fixtures"]
ROLE = "vault-access-operator"
EMAIL = "vault-access-operator@vao-project.iam.gserviceaccount.com"
KEY_REF = {"name": "gcp-credentials", "namespace": OPERATOR_NS, "key": "credentials.json"}






def gcp_spec(vault: GcpVaultDouble, **gcp: Any) -> dict[str, Any]:
    return {"address": vault.url, "auth": {"gcp": {"role": ROLE, **gcp}}, "healthCheckInterval": "30s"}


def test_iam_with_a_key_json_becomes_active(logs: LogLines, fake_kube: FakeKube, google: GoogleDouble,
                                            gcp_vault: GcpVaultDouble, openbao: OpenBaoServer,
                                            operator: RunningOperator) -> None:
    key_json = google.key_json(google.accounts[EMAIL])
    fake_kube.create_secret(OPERATOR_NS, "gcp-credentials", {"credentials.json": key_json})
    gcp_vault.add_role(ROLE, bound_service_accounts=[EMAIL], policies=["vault-access-operator"])
    fake_kube.create_vaultconnection("vault-gcp", gcp_spec(gcp_vault, authType="iam", credentialsSecretRef=KEY_REF))
    status = wait_status(fake_kube, "vault-gcp", lambda s: s.get("phase") == "Active", "became Active")
    assert status["healthy"] is True and status["message"] == ""
    conditions = {c["type"]: c for c in status["conditions"]}
    assert (conditions["Ready"]["status"], conditions["Authenticated"]["reason"]) == ("True", "LoggedIn")
    auth = status["authStatus"]
    assert (auth["authMethod"], auth["authPath"], auth["loginCount"]) == ("gcp", "gcp", 1)
    assert auth["details"] == {
        "authType": "iam", "serviceAccount": EMAIL, "keyId": google.accounts[EMAIL].google_key_id,
        "credentialSource": f"Secret {OPERATOR_NS}/gcp-credentials[credentials.json]",
    }
    looked_up = openbao.client().auth.token.lookup_accessor(auth["tokenAccessor"])["data"]
    assert looked_up["meta"]["service_account_email"] == EMAIL
    assert "vault-access-operator" in looked_up["policies"]
    # Neither the key (whole or its private key), nor Google's access token, nor the signed JWT reached
    # status, events or logs.
    private_key = json.loads(key_json)["private_key"]
    exposed = {"status": json.dumps(fake_kube.get_vaultconnection("vault-gcp")),
               "events": json.dumps(fake_kube.list_events(involved_name="vault-gcp")), "logs": "\n".join(logs.lines)}
    assert google.signed and gcp_vault.logins
    for where, text in exposed.items():
        for secret in [key_json, private_key, private_key.splitlines()[1], *google.signed, *google.tokens]:
            assert secret not in text, f"a secret reached the {where}"


def test_gce_identity_token_becomes_active(fake_kube: FakeKube, google: GoogleDouble, on_gke: Instance,
                                           gcp_vault: GcpVaultDouble, operator: RunningOperator) -> None:
    gcp_vault.add_role("vm", type="gce", bound_service_accounts=[on_gke.account])
    spec = gcp_spec(gcp_vault, role="vm", authType="gce")
    fake_kube.create_vaultconnection("vault-gce", spec)
    status = wait_status(fake_kube, "vault-gce", lambda s: s.get("phase") == "Active", "became Active")
    assert status["authStatus"]["details"] == {"authType": "gce", "serviceAccount": on_gke.account,
                                               "project": "vao-project", "zone": "europe-west1-b",
                                               "instance": "gke-node-1"}
    assert google.identity_requests == [{"audience": "vault/vm", "format": "full"}]
    assert gcp_vault.accepted[-1]["instance_id"] == on_gke.instance_id


def test_token_is_renewed_then_logged_in_again_with_a_new_jwt(fake_kube: FakeKube, google: GoogleDouble,
                                                               on_gke: Instance, gcp_vault: GcpVaultDouble,
                                                               operator: RunningOperator) -> None:
    """Workload Identity (application default credentials); 2 s tokens capped at 4 s: the core renews, then
    logs in again, and every login gets a freshly signed JWT."""
    gcp_vault.add_role("short", bound_service_accounts=[EMAIL], ttl=2, max_ttl=4)
    fake_kube.create_vaultconnection("vault-gcp-short", gcp_spec(gcp_vault, role="short"))
    renewed = wait_status(fake_kube, "vault-gcp-short",
                          lambda s: (s.get("authStatus") or {}).get("tokenRenewalCount", 0) >= 1, "renewed")
    assert renewed["authStatus"]["tokenLastRenewed"]

    def relogged_and_active(status: dict[str, Any]) -> bool:
        return (status.get("authStatus") or {}).get("loginCount", 0) >= 2 and status.get("phase") == "Active"

    wait_status(fake_kube, "vault-gcp-short", relogged_and_active, "logged in again and Active")
    jwts = [login["jwt"] for login in gcp_vault.logins]
    assert len(jwts) >= 2 and len(set(jwts)) == len(jwts)
    assert len(google.sign_requests) == len(gcp_vault.logins)


def test_a_rotated_key_is_used_at_the_next_login(fake_kube: FakeKube, google: GoogleDouble,
                                                 gcp_vault: GcpVaultDouble, operator: RunningOperator) -> None:
    """A disabled key is an Error saying to store a new one; storing it heals the connection, no spec edit."""
    old = google.accounts[EMAIL]
    fake_kube.create_secret(OPERATOR_NS, "gcp-credentials", {"credentials.json": google.key_json(old)})
    gcp_vault.add_role(ROLE, bound_service_accounts=[EMAIL])
    old.enabled = False
    fake_kube.create_vaultconnection("vault-gcp-rotate", gcp_spec(gcp_vault, credentialsSecretRef=KEY_REF))
    status = wait_status(fake_kube, "vault-gcp-rotate", lambda s: s.get("phase") == "Error", "failed")
    assert status["message"] == (
        f"Google refused the service-account key in key 'credentials.json' of Secret {OPERATOR_NS}/gcp-credentials "
        "(invalid_grant: Invalid JWT Signature.): the key or its account was deleted or disabled: create a new key "
        "(gcloud iam service-accounts keys create) and store it there")
    assert {c["type"]: c for c in status["conditions"]}["Authenticated"]["reason"] == "CredentialsRejected"
    fresh = google.add_account("vault-access-operator-2")
    google.grant(fresh.email)
    gcp_vault.add_role(ROLE, bound_service_accounts=[fresh.email])
    fake_kube.patch("secrets", "gcp-credentials", {"stringData": {"credentials.json": google.key_json(fresh)}},
                    OPERATOR_NS)
    status = wait_status(fake_kube, "vault-gcp-rotate", lambda s: s.get("phase") == "Active", "healed", timeout=40)
    assert status["authStatus"]["details"]["serviceAccount"] == fresh.email
