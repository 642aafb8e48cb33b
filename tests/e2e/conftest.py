"""Fixtures the access-kind end-to-end tests share: OpenBao that lets the operator manage ACL policies,
and a proxy in front of it that counts the operator's Vault calls."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator

import pytest

from tests.conftest import OPERATOR_NS, OPERATOR_SA
from tests.e2e.policy_helpers import OPERATOR_POLICY
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit import vault_setup
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.proxy import CountingProxy


@pytest.fixture
def vault_acl(openbao: OpenBaoServer, fake_kube: FakeKube, operator_identity: OperatorIdentity) -> OpenBaoServer:
    """OpenBao whose role "operator" may manage ACL policies (what the operator's Vault policy grants)."""
    client = openbao.client()
    vault_setup.enable_kubernetes_auth(client, fake_kube.url)
    vault_setup.write_policy(client, "operator-access", OPERATOR_POLICY)
    vault_setup.create_kubernetes_role(client, "operator", [OPERATOR_SA], [OPERATOR_NS],
                                       policies=("default", "operator-access"))
    return openbao


@pytest.fixture
def proxy(vault_acl: OpenBaoServer) -> Iterator[CountingProxy]:
    """Vault behind a proxy that records every request: the operator's Vault calls, counted."""
    with CountingProxy(urllib.parse.urlsplit(vault_acl.url).port or 0) as counting:
        yield counting


@pytest.fixture
def discovery_operator(fake_kube: FakeKube, operator_identity: OperatorIdentity) -> Iterator[RunningOperator]:
    """The operator with discovery's minimum interval at 0.5 s (scans within a test) and quick retries."""
    access = AccessSettings(cluster_name="e2e", retry_base_seconds=0.2, retry_cap_seconds=1.0,
                            discovery_min_seconds=0.5)
    with run_operator(fake_kube.connection_info(), identity=operator_identity, access=access,
                      backoff=Backoff(base=0.2, cap=2.0, login_floor=0.5)) as running:
        yield running
