"""kubernetes plugin details: the mounted-token fallback, and one Vault request per health interval."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import OPERATOR_NS, OPERATOR_SA
from tests.e2e.helpers import k8s_spec, wait_phase
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator.trust import TrustPolicy
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.proxy import CountingProxy


@pytest.fixture
def token_file_operator(fake_kube: FakeKube, vault_k8s: OpenBaoServer, tmp_path: Path) -> Iterator[RunningOperator]:
    # The pod's projected token: minted for the API server's audience, as the kubelet does.
    token = fake_kube.request_token(OPERATOR_NS, OPERATOR_SA, audiences=["https://kubernetes.default.svc"])
    path = tmp_path / "token"
    path.write_text(token + "\n")
    fake_kube.forbid_token_requests = True
    identity = OperatorIdentity(namespace=OPERATOR_NS, service_account=OPERATOR_SA, token_file=str(path))
    # The fallback is an opt-in (the mounted token's audience is the API server's); apps/other may be asked for.
    trust = TrustPolicy(allow_mounted_token=True, token_service_accounts=("apps/other",))
    with run_operator(fake_kube.connection_info(), identity=identity, backoff=Backoff(0.2, 2.0),
                      trust=trust) as running:
        yield running


def test_forbidden_token_request_falls_back_to_the_mounted_token(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, token_file_operator: RunningOperator, tmp_path: Path
) -> None:
    fake_kube.create_vaultconnection("fallback", k8s_spec(vault_k8s.url))
    status = wait_phase(fake_kube, "fallback", "Active")
    assert status["authStatus"]["details"]["tokenSource"] == str(tmp_path / "token")


def test_forbidden_token_request_for_another_account_is_an_error(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, token_file_operator: RunningOperator
) -> None:
    fake_kube.create_service_account("apps", "other")
    fake_kube.create_vaultconnection("other", k8s_spec(vault_k8s.url, serviceAccount="apps/other"))
    status = wait_phase(fake_kube, "other", "Error")
    assert "may not request tokens for service account apps/other" in status["message"]


def test_one_vault_request_per_health_interval(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, operator: RunningOperator
) -> None:
    with CountingProxy(vault_k8s.port) as proxy:
        fake_kube.create_vaultconnection("steady", k8s_spec(proxy.url, interval="1s"))
        wait_phase(fake_kube, "steady", "Active")
        start = len(proxy.requests_since(0))
        time.sleep(5.2)
        requests = proxy.requests_since(start)
    # One lookup-self per second and nothing else: no logins, renewals or sys/health in steady state.
    assert set(requests) == {"GET /v1/auth/token/lookup-self"}, requests
    assert 4 <= len(requests) <= 6, len(requests)
