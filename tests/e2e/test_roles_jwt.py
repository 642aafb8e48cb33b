"""VaultRole on a jwt mount through the real operator, against real OpenBao: a role binding claims (no service
account), a JWT signed by a local key the mount trusts, and a login that gets exactly that namespace's secrets;
a confined connection refuses claims that reach another namespace, naming the field, before anything is written."""

from __future__ import annotations

import time
import urllib.parse
import uuid
from collections.abc import Iterator
from typing import Any

import hvac
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import OPERATOR_NS, OPERATOR_SA
from tests.e2e.helpers import k8s_spec, wait_phase
from tests.e2e.policy_helpers import OPERATOR_POLICY, vault_calls
from tests.e2e.role_helpers import can_read, create, delete, get, patch, ready, wait_object
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit import vault_setup
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.proxy import CountingProxy
from vault_access_operator_devkit.waiting import wait_for

ISSUER = "https://issuer.e2e.example"
AUDIENCE = "vault-e2e"
ROLE = "vao.e2e.team-a.ci"
ROLE_PATH = f"auth/jwt/role/{ROLE}"
OPERATOR_JWT_POLICY = OPERATOR_POLICY + '\npath "auth/jwt/role/*" { capabilities = ["create", "read", "update", ' \
    '"delete", "list"] }'


class Signer:
    """A local signing key; the jwt mount trusts its public half (jwt_validation_pubkeys)."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @property
    def public_pem(self) -> str:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def token(self, namespace: str, account: str, **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": ISSUER, "aud": [AUDIENCE], "iat": now, "nbf": now, "exp": now + 300, "jti": uuid.uuid4().hex,
                "sub": f"system:serviceaccount:{namespace}:{account}",
                "kubernetes.io": {"namespace": namespace, "serviceaccount": {"name": account}}, **claims}
        return jwt.encode(body, self.key, algorithm="RS256")


@pytest.fixture
def signer() -> Signer:
    return Signer()


@pytest.fixture
def vault_jwt(openbao: OpenBaoServer, fake_kube: FakeKube, operator_identity: OperatorIdentity,
              signer: Signer) -> OpenBaoServer:
    """The operator logs in through kubernetes auth and may manage ACL policies and the jwt mount's roles;
    the jwt mount trusts the signer's key; secrets of two namespaces."""
    client = openbao.client()
    vault_setup.enable_kubernetes_auth(client, fake_kube.url)
    vault_setup.write_policy(client, "operator-access", OPERATOR_JWT_POLICY)
    vault_setup.create_kubernetes_role(client, "operator", [OPERATOR_SA], [OPERATOR_NS],
                                       policies=("default", "operator-access"))
    client.sys.enable_auth_method("jwt", path="jwt")
    client.auth.jwt.configure(jwt_validation_pubkeys=[signer.public_pem], bound_issuer=ISSUER, path="jwt")
    vault_setup.enable_kv2(client)
    for namespace in ("team-a", "team-b"):
        fake_kube.create_service_account(namespace, "ci-runner")
    for path in ("team-a/db", "team-b/db"):
        client.secrets.kv.v2.create_or_update_secret(path=path, secret={"value": path}, mount_point="secret")
    return openbao


@pytest.fixture
def role_operator(fake_kube: FakeKube, operator_identity: OperatorIdentity) -> Iterator[RunningOperator]:
    access = AccessSettings(cluster_name="e2e", resync_seconds=0.5, retry_base_seconds=0.2, retry_cap_seconds=1.0)
    with run_operator(fake_kube.connection_info(), identity=operator_identity, access=access,
                      backoff=Backoff(base=0.2, cap=2.0, login_floor=0.5)) as running:
        yield running


def jwt_login(url: str, token: str, role: str = ROLE) -> hvac.Client | None:
    """A workload's login with its JWT; None when Vault refuses it."""
    try:
        auth = hvac.Client(url=url).auth.jwt.jwt_login(role=role, jwt=token, path="jwt")
    except (hvac.exceptions.InvalidRequest, hvac.exceptions.Forbidden):
        return None
    return hvac.Client(url=url, token=auth["auth"]["client_token"])


def connection(url: str, **tenancy: Any) -> dict[str, Any]:
    spec = {**k8s_spec(url, interval="30s"), "defaults": {"authPath": "jwt"}}
    return {**spec, "tenancy": tenancy} if tenancy else spec


@pytest.fixture
def proxy(vault_jwt: OpenBaoServer) -> Iterator[CountingProxy]:
    with CountingProxy(urllib.parse.urlsplit(vault_jwt.url).port or 0) as counting:
        yield counting


def test_a_role_binding_claims_admits_exactly_those_tokens(
        fake_kube: FakeKube, vault_jwt: OpenBaoServer, role_operator: RunningOperator, signer: Signer,
        proxy: CountingProxy) -> None:
    url = vault_jwt.url
    fake_kube.create_vaultconnection("vault", connection(proxy.url, confinement="namespace"))
    wait_phase(fake_kube, "vault", "Active")
    create(fake_kube, "VaultPolicy", "read", {"connectionRef": "vault", "rules": [
        {"path": "secret/data/{{namespace}}/*", "capabilities": ["read"]}]}, "team-a")
    create(fake_kube, "VaultRole", "ci", {"connectionRef": "vault", "tokenTTL": "5m",
                                          "policies": [{"kind": "VaultPolicy", "name": "read"}],
                                          "jwt": {"boundAudiences": [AUDIENCE], "boundClaimsList": {
                                              "/kubernetes.io/namespace": ["team-a"], "team": ["payments"]}}},
           "team-a")
    status = wait_object(fake_kube, "VaultRole", "ci", ready, "turned Ready", "team-a")
    assert status["binding"]["family"] == "jwt" and status["binding"]["vaultPath"] == ROLE_PATH
    written = vault_jwt.client().adapter.get(f"/v1/{ROLE_PATH}")["data"]
    assert written["bound_claims"] == {"/kubernetes.io/namespace": ["team-a"], "team": ["payments"]}
    assert written["bound_subject"] == "" and written["token_ttl"] == 300 and written["role_type"] == "jwt"

    # Steady state: the drift checks read the role back from OpenBao and find no difference: no write.
    puts, start = vault_calls(proxy, ROLE_PATH)["PUT"], vault_calls(proxy, ROLE_PATH)["GET"]
    wait_for(lambda: vault_calls(proxy, ROLE_PATH)["GET"] >= start + 3, timeout=20, message="no drift checks")
    assert vault_calls(proxy, ROLE_PATH)["PUT"] == puts == 1
    assert not any(c["type"] == "Drifted" and c["status"] == "True" for c in get(
        fake_kube, "VaultRole", "ci", "team-a")["status"]["conditions"])  # type: ignore[index]

    workload = jwt_login(url, signer.token("team-a", "ci-runner", team="payments"))
    assert workload is not None
    assert can_read(workload, "team-a/db") and not can_read(workload, "team-b/db")
    assert jwt_login(url, signer.token("team-b", "ci-runner", team="payments")) is None  # another namespace
    assert jwt_login(url, signer.token("team-a", "ci-runner", team="billing")) is None  # another claim value
    assert jwt_login(url, signer.token("team-a", "ci-runner", team="payments", aud=["other"])) is None

    # Claims removed, one service account listed: the subject binds and the old claims are reset in Vault.
    patch(fake_kube, "VaultRole", "ci", {"spec": {"serviceAccounts": ["ci-runner"], "jwt": {
        "boundAudiences": [AUDIENCE], "boundClaimsList": None}}}, "team-a")
    wait_object(fake_kube, "VaultRole", "ci", lambda s: ready(s) and vault_jwt.client().adapter.get(
        f"/v1/{ROLE_PATH}")["data"]["bound_subject"], "switched to the subject", "team-a")
    written = vault_jwt.client().adapter.get(f"/v1/{ROLE_PATH}")["data"]
    assert written["bound_subject"] == "system:serviceaccount:team-a:ci-runner" and not written["bound_claims"]
    assert jwt_login(url, signer.token("team-a", "ci-runner")) is not None
    assert jwt_login(url, signer.token("team-a", "other")) is None

    # The policy removed from the role: the next login lacks that access. The role deleted: logins refused.
    create(fake_kube, "VaultPolicy", "none", {"connectionRef": "vault", "rules": [
        {"path": "secret/data/{{namespace}}/nothing", "capabilities": ["read"]}]}, "team-a")
    patch(fake_kube, "VaultRole", "ci", {"spec": {"policies": [{"kind": "VaultPolicy", "name": "none"}]}}, "team-a")
    wait_object(fake_kube, "VaultRole", "ci", lambda s: ready(s) and s.get("resolvedPolicies") == [
        "vao.e2e.team-a.none"], "dropped the policy", "team-a")
    workload = jwt_login(url, signer.token("team-a", "ci-runner"))
    assert workload is not None and not can_read(workload, "team-a/db")
    delete(fake_kube, "VaultRole", "ci", "team-a")
    wait_for(lambda: get(fake_kube, "VaultRole", "ci", "team-a") is None, timeout=20, message="never deleted")
    assert jwt_login(url, signer.token("team-a", "ci-runner")) is None


def test_a_confined_role_may_not_bind_claims_of_another_namespace(
        fake_kube: FakeKube, vault_jwt: OpenBaoServer, role_operator: RunningOperator) -> None:
    fake_kube.create_vaultconnection("vault", connection(vault_jwt.url, confinement="namespace"))
    wait_phase(fake_kube, "vault", "Active")
    create(fake_kube, "VaultPolicy", "read", {"connectionRef": "vault", "rules": [
        {"path": "secret/data/{{namespace}}/*", "capabilities": ["read"]}]}, "team-a")
    create(fake_kube, "VaultRole", "reach", {"connectionRef": "vault",
                                             "policies": [{"kind": "VaultPolicy", "name": "read"}],
                                             "jwt": {"boundClaimsList": {"/kubernetes.io/namespace": ["team-b"]}}},
           "team-a")
    status = wait_object(fake_kube, "VaultRole", "reach", lambda s: "admits" in s.get("message", ""), "refused",
                         "team-a")
    assert status["phase"] != "Active"
    assert "jwt.boundClaimsList['/kubernetes.io/namespace'] admits 'team-b'" in status["message"]
    assert "outside namespace team-a" in status["message"]
    assert fake_kube.list_events(involved_name="reach", reason="TenancyViolation")
    with pytest.raises(hvac.exceptions.InvalidPath):  # no role at all: nothing was written
        vault_jwt.client().adapter.list("/v1/auth/jwt/role")

    # The platform team allows identities outside the namespace on this connection: the same role is written.
    fake_kube.patch_vaultconnection("vault", {"spec": {"tenancy": {"confinement": "namespace",
                                                                   "allowForeignIdentities": True}}})
    wait_object(fake_kube, "VaultRole", "reach", ready, "turned Ready once allowed", "team-a")
    written = vault_jwt.client().adapter.get("/v1/auth/jwt/role/vao.e2e.team-a.reach")["data"]
    assert written["bound_claims"] == {"/kubernetes.io/namespace": ["team-b"]}
