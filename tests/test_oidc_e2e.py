"""VaultConnections with auth.oidc / auth.jwt through the real operator, against real OpenBao.

The fake Kubernetes API is the OIDC issuer, as on EKS/GKE/AKS: its TokenRequest JWTs carry
``iss`` = its own URL, and it serves /.well-known/openid-configuration and /openid/v1/jwks,
which OpenBao's ``oidc_discovery_url`` reads. The ``jwt`` mount instead holds the API's public
key in ``jwt_validation_pubkeys``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import OPERATOR_NS, OPERATOR_SA
from tests.e2e.helpers import wait_status
from tests.support.oidc_fixtures import add_role
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator

SUBJECT = f"system:serviceaccount:{OPERATOR_NS}:{OPERATOR_SA}"


@pytest.fixture(name="fake_kube")
def fake_kube_as_issuer() -> Iterator[FakeKube]:
    """Overrides conftest's fake_kube: the same emulator, whose issuer is its own URL."""
    with FakeKube() as kube:
        kube.tokens.issuer = kube.url  # before any token is minted; discovery serves it too
        yield kube


@pytest.fixture(name="vault_jwt")
def vault_jwt_fixture(openbao: OpenBaoServer, fake_kube: FakeKube) -> OpenBaoServer:
    """Mounts: oidc (discovery from the fake API) and jwt (its public key); roles for the operator."""
    client = openbao.client()
    client.sys.enable_auth_method("oidc", path="oidc")
    client.auth.jwt.configure(path="oidc", oidc_discovery_url=fake_kube.url)
    ttls = {"token_ttl": "1h", "token_max_ttl": "24h"}
    add_role(client, "oidc", ["vault"], name="operator", bound_subject=SUBJECT, **ttls)
    client.sys.enable_auth_method("jwt", path="jwt")
    client.auth.jwt.configure(
        path="jwt", jwt_validation_pubkeys=[fake_kube.tokens.public_key_pem], bound_issuer=fake_kube.url
    )
    add_role(client, "jwt", ["vault"], name="operator", bound_subject=SUBJECT, **ttls)
    # Short TTLs: renewed at ~2/3 of 2 s; the 4 s max TTL then caps a renewal and forces a new login.
    add_role(client, "jwt", ["vault"], name="short", token_ttl="2s", token_max_ttl="4s")
    return openbao


def test_oidc_connection_becomes_active(
    fake_kube: FakeKube, vault_jwt: OpenBaoServer, operator: RunningOperator
) -> None:
    auth = {"oidc": {"role": "operator", "providerURL": fake_kube.url}}
    fake_kube.create_vaultconnection("vault-oidc", {"address": vault_jwt.url, "auth": auth})
    status = wait_status(fake_kube, "vault-oidc", lambda s: s.get("phase") == "Active", "became Active")
    assert status["healthy"] is True and status["vaultVersion"] and status["message"] == ""
    assert status["observedGeneration"] == 1
    conditions = {c["type"]: c for c in status["conditions"]}
    assert (conditions["Ready"]["status"], conditions["Ready"]["reason"]) == ("True", "Connected")
    assert (conditions["Authenticated"]["status"], conditions["Authenticated"]["reason"]) == ("True", "LoggedIn")
    auth_status = status["authStatus"]
    assert (auth_status["authMethod"], auth_status["authPath"]) == ("oidc", "oidc")
    assert auth_status["tokenAccessor"] and auth_status["tokenExpiration"] and auth_status["lastLogin"]
    assert auth_status["tokenRenewalCount"] == 0 and auth_status["loginCount"] == 1
    assert auth_status["details"] == {
        "serviceAccount": f"{OPERATOR_NS}/{OPERATOR_SA}",
        "tokenSource": "TokenRequest",
        "tokenIssuer": fake_kube.url,
        "tokenSubject": SUBJECT,
        "tokenAudiences": "vault",  # not providerURL: the issuer is the API server's own audience
    }
    looked_up = vault_jwt.client().auth.token.lookup_accessor(auth_status["tokenAccessor"])
    assert looked_up["data"]["meta"]["role"] == "operator"
    assert looked_up["data"]["path"] == "auth/oidc/login"


def test_jwt_token_is_renewed_then_logged_in_again_with_a_fresh_jwt(
    fake_kube: FakeKube, vault_jwt: OpenBaoServer, operator: RunningOperator
) -> None:
    fake_kube.create_vaultconnection("vault-jwt", {"address": vault_jwt.url, "auth": {"jwt": {"role": "short"}}})
    renewed = wait_status(
        fake_kube, "vault-jwt", lambda s: (s.get("authStatus") or {}).get("tokenRenewalCount", 0) >= 1, "renewed"
    )
    assert renewed["phase"] == "Active" and renewed["authStatus"]["tokenLastRenewed"]
    relogged = wait_status(
        fake_kube, "vault-jwt", lambda s: (s.get("authStatus") or {}).get("loginCount", 0) >= 2, "logged in again"
    )
    assert relogged["phase"] == "Active"
    assert fake_kube.tokens.minted_for(OPERATOR_NS, OPERATOR_SA) >= 2  # one new JWT per login


def test_jwt_from_a_secret(fake_kube: FakeKube, vault_jwt: OpenBaoServer, operator: RunningOperator) -> None:
    uid = fake_kube.create_service_account("ci", "pipeline")["metadata"]["uid"]
    token = fake_kube.tokens.mint("ci", "pipeline", uid, ["vault"], 3600).token
    fake_kube.create_secret(OPERATOR_NS, "ci-jwt", {"token": token + "\n"})
    add_role(vault_jwt.client(), "jwt", ["vault"], name="ci", bound_subject="system:serviceaccount:ci:pipeline")
    auth = {"jwt": {"role": "ci", "jwtSecretRef": {"name": "ci-jwt", "key": "token"}, "expectedAudience": "vault"}}
    fake_kube.create_vaultconnection("vault-ci", {"address": vault_jwt.url, "auth": auth})
    status = wait_status(fake_kube, "vault-ci", lambda s: s.get("phase") == "Active", "became Active")
    assert status["authStatus"]["details"]["tokenSource"] == f"Secret {OPERATOR_NS}/ci-jwt[token]"


def test_vault_refusal_is_explained_on_status(
    fake_kube: FakeKube, vault_jwt: OpenBaoServer, operator: RunningOperator
) -> None:
    auth = {"jwt": {"role": "operator", "audiences": ["sts.amazonaws.com"]}}
    fake_kube.create_vaultconnection("vault-bad", {"address": vault_jwt.url, "auth": auth})
    status = wait_status(fake_kube, "vault-bad", lambda s: s.get("phase") == "Error", "failed")
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Authenticated"]["reason"] == "LoginDenied"
    assert "invalid audience (aud) claim" in status["message"]
    assert "the token's audiences are [sts.amazonaws.com]: make the role's bound_audiences include" in status["message"]
    minted = {t.token for t in fake_kube.tokens.minted}
    assert not any(token in str(status) for token in minted)
    events = fake_kube.list_events(involved_name="vault-bad")
    assert not any(token in str(events) for token in minted)


def test_spec_error_is_reported(fake_kube: FakeKube, vault_jwt: OpenBaoServer, operator: RunningOperator) -> None:
    auth = {"oidc": {"role": "operator", "useServiceAccountToken": False}}
    fake_kube.create_vaultconnection("vault-nosa", {"address": vault_jwt.url, "auth": auth})
    status = wait_status(fake_kube, "vault-nosa", lambda s: s.get("phase") == "Error", "failed")
    assert "useServiceAccountToken is false and jwtSecretRef is not set" in status["message"]
    assert {c["type"]: c for c in status["conditions"]}["Ready"]["reason"] == "InvalidSpec"
