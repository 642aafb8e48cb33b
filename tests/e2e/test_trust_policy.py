"""The operator's trust policy, end to end: what a VaultConnection may not make the operator do.

Each refusal is checked against the real operator with a listener standing in for a Vault address
of the spec author's choosing: the spec gets ForbiddenByPolicy naming the setting that would allow
it, and the listener receives nothing at all. The allowed paths still work when the policy allows them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import OPERATOR_NS, OPERATOR_SA
from tests.e2e.helpers import condition, k8s_spec, status_of, wait_phase
from tests.support.listener import Listener
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator.trust import TrustPolicy
from vault_access_operator_devkit import vault_setup
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.proxy import CountingProxy
from vault_access_operator_devkit.waiting import wait_for

LEGACY_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6a3ViZS1zeXN0ZW06YWRtaW4ifQ.c2lnbmF0dXJl"


@pytest.fixture
def listener() -> Iterator[Listener]:
    with Listener() as running:
        yield running


def wait_refused(kube: FakeKube, name: str, reason: str = "ForbiddenByPolicy") -> dict[str, Any]:
    def refused() -> dict[str, Any]:
        status = status_of(kube, name)
        ready: dict[str, Any] = next((c for c in status.get("conditions", []) if c["type"] == "Ready"), {})
        assert status.get("phase") == "Error" and ready.get("reason") == reason, status  # the timeout shows it
        return status

    return wait_for(refused, timeout=20, message=f"{name} was never refused with {reason}")


def assert_refused(kube: FakeKube, listener: Listener, name: str, *texts: str) -> dict[str, Any]:
    status = wait_refused(kube, name)
    for text in texts:
        assert text in status["message"], status["message"]
    events = kube.list_events(involved_name=name)
    assert any(e["reason"] == "ForbiddenByPolicy" and texts[0] in e["message"] for e in events), events
    assert listener.received == [], listener.received  # not one connection to the spec's address
    return status


def test_a_secret_outside_the_operator_namespace_never_leaves_the_cluster(
    fake_kube: FakeKube, operator: RunningOperator, listener: Listener
) -> None:
    fake_kube.create_secret("kube-system", "legacy-admin-token", {"token": LEGACY_TOKEN},
                            type="kubernetes.io/service-account-token")
    ref = {"name": "legacy-admin-token", "namespace": "kube-system", "key": "token"}
    spec = {"address": listener.url, "auth": {"jwt": {"role": "r", "jwtSecretRef": ref}}}
    fake_kube.create_vaultconnection("steal", spec)
    status = assert_refused(
        fake_kube, listener, "steal",
        "spec.auth.jwt.jwtSecretRef names Secret kube-system/legacy-admin-token, but the operator reads Secrets "
        f"only in {OPERATOR_NS}",
        "--secret-namespace (env VAO_SECRET_NAMESPACES, chart value trust.secretNamespaces)",
    )
    assert condition(status, "Ready")["status"] == "False"
    everything = repr(fake_kube.get_vaultconnection("steal")) + repr(fake_kube.list_events())
    assert LEGACY_TOKEN not in everything


def test_a_ca_secret_outside_the_operator_namespace_is_refused(
    fake_kube: FakeKube, operator: RunningOperator, listener: Listener
) -> None:
    fake_kube.create_secret("kube-system", "ca", {"ca.crt": "not read"})
    spec = k8s_spec(listener.url.replace("http://", "https://"))
    spec["tls"] = {"caSecretRef": {"name": "ca", "namespace": "kube-system", "key": "ca.crt"}}
    fake_kube.create_vaultconnection("ca", spec)
    assert_refused(fake_kube, listener, "ca", "spec.tls.caSecretRef names Secret kube-system/ca")


@pytest.mark.parametrize(
    ("auth", "text"),
    [
        ({"kubernetes": {"role": "r", "audiences": ["vault", "https://kubernetes.default.svc"]}},
         "spec.auth.kubernetes asks for a token with audience 'https://kubernetes.default.svc', which is the "
         "Kubernetes API server's own"),
        ({"kubernetes": {"role": "r", "tokenDuration": "8760h"}},
         "spec.auth.kubernetes asks for a token valid for 8760h, longer than the operator's maximum of 1h: "
         "lower tokenDuration, or have the operator's administrator raise --max-token-lifetime "
         "(env VAO_MAX_TOKEN_LIFETIME, chart value trust.maxTokenLifetime)"),
        ({"kubernetes": {"role": "r", "serviceAccount": "kube-system/cluster-admin-sa"}},
         "spec.auth.kubernetes asks for a token of service account kube-system/cluster-admin-sa, but the operator "
         f"requests tokens only for its own account {OPERATOR_NS}/{OPERATOR_SA}"),
        ({"jwt": {"role": "r", "tokenDuration": "2h"}}, "spec.auth.jwt asks for a token valid for 2h"),
        ({"oidc": {"role": "r", "audiences": ["kubernetes.default.svc"]}},
         "spec.auth.oidc asks for a token with audience 'kubernetes.default.svc'"),
    ],
    ids=["api-audience", "year-long", "cluster-admin-sa", "jwt-2h", "oidc-api-audience"],
)
def test_tokens_the_policy_refuses_are_never_minted(
    fake_kube: FakeKube, operator: RunningOperator, listener: Listener, auth: dict[str, Any], text: str
) -> None:
    fake_kube.create_service_account("kube-system", "cluster-admin-sa")
    fake_kube.create_vaultconnection("mint", {"address": listener.url, "auth": auth})
    assert_refused(fake_kube, listener, "mint", text)
    assert fake_kube.tokens.minted_count == 0


@pytest.fixture
def issuer_kube() -> Iterator[FakeKube]:
    """An API server whose service-account issuer (and default audience) is not a built-in name."""
    with FakeKube(issuer="https://issuer.cluster.test") as kube:
        yield kube


def test_the_discovered_issuer_and_the_api_server_url_are_refused_audiences(
    issuer_kube: FakeKube, listener: Listener
) -> None:
    issuer_kube.create_service_account(OPERATOR_NS, OPERATOR_SA)
    identity = OperatorIdentity(OPERATOR_NS, OPERATOR_SA, token_file="/nonexistent/token")
    with run_operator(issuer_kube.connection_info(), identity=identity, backoff=Backoff(0.2, 2.0)):
        for name, audience in (("issuer", "https://issuer.cluster.test"), ("url", issuer_kube.url + "/")):
            issuer_kube.create_vaultconnection(name, k8s_spec(listener.url, audiences=[audience]))
            assert_refused(issuer_kube, listener, name, f"asks for a token with audience {audience!r}")
    assert issuer_kube.tokens.minted_count == 0


def test_an_address_off_the_allow_list_gets_no_request(
    fake_kube: FakeKube, operator_identity: OperatorIdentity, vault_k8s: OpenBaoServer, listener: Listener
) -> None:
    trust = TrustPolicy(vault_addresses=("https://vault.example.com:8200", f"http://127.0.0.1:{vault_k8s.port}"))
    with run_operator(fake_kube.connection_info(), identity=operator_identity, backoff=Backoff(0.2, 2.0), trust=trust):
        fake_kube.create_vaultconnection("elsewhere", k8s_spec(listener.url))
        fake_kube.create_vaultconnection("allowed", k8s_spec(vault_k8s.url))
        assert_refused(
            fake_kube, listener, "elsewhere",
            f"spec.address {listener.url} is not among the Vault addresses the operator may log in to",
            "--vault-address (env VAO_VAULT_ADDRESSES, chart value trust.vaultAddresses)",
        )
        wait_phase(fake_kube, "allowed", "Active")
    assert fake_kube.tokens.minted_count >= 1  # for "allowed" only: "elsewhere" was refused first


def test_the_mounted_token_is_not_sent_unless_opted_in(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, tmp_path: Path
) -> None:
    token = fake_kube.request_token(OPERATOR_NS, OPERATOR_SA, audiences=["https://kubernetes.default.svc"])
    path = tmp_path / "token"
    path.write_text(token)
    fake_kube.forbid_token_requests = True
    identity = OperatorIdentity(namespace=OPERATOR_NS, service_account=OPERATOR_SA, token_file=str(path))
    with CountingProxy(vault_k8s.port) as proxy, run_operator(
        fake_kube.connection_info(), identity=identity, backoff=Backoff(0.2, 2.0)
    ):
        fake_kube.create_vaultconnection("mounted", k8s_spec(proxy.url))
        status = wait_refused(fake_kube, "mounted", "TokenRequestForbidden")
        assert "the operator's mounted token is not used instead" in status["message"]
        assert ("Grant the operator 'create' on serviceaccounts/token, or opt in with --allow-mounted-token "
                "(env VAO_ALLOW_MOUNTED_TOKEN=true, chart value trust.allowMountedToken)") in status["message"]
        assert not [r for r in proxy.requests_since(0) if "/login" in r]  # the mounted token was never sent
    assert status["phase"] == "Error" and token not in repr(status)


def test_what_the_policy_allows_still_works(
    fake_kube: FakeKube, operator_identity: OperatorIdentity, openbao: OpenBaoServer
) -> None:
    fake_kube.create_service_account("apps", "login")
    client = openbao.client()
    vault_setup.enable_kubernetes_auth(client, fake_kube.url)
    vault_setup.create_kubernetes_role(client, "apps", ["login"], ["apps"], ttl="1h")
    trust = TrustPolicy(token_service_accounts=("apps/login",), max_token_seconds=2 * 3600,
                        vault_addresses=("http://127.0.0.1:*",))
    with run_operator(fake_kube.connection_info(), identity=operator_identity, backoff=Backoff(0.2, 2.0), trust=trust):
        spec = k8s_spec(openbao.url, role="apps", serviceAccount="apps/login", tokenDuration="2h")
        fake_kube.create_vaultconnection("allowed", spec)
        status = wait_phase(fake_kube, "allowed", "Active")
    assert status["authStatus"]["details"]["serviceAccount"] == "apps/login"
    minted = [m for m in fake_kube.tokens.minted if (m.namespace, m.name) == ("apps", "login")]
    assert minted and minted[0].expiration_seconds == 7200 and minted[0].audiences == ("vault",)
