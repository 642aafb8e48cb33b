"""Shared fixtures: real OpenBao servers, the fake Kubernetes API, TLS material."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator.testing.tls import TLSMaterial
from vault_access_operator_devkit import vault_setup
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator, run_operator

# Hypothesis on shared, noisy machines (CI, a busy laptop): no per-example deadline and no health check
# that times data generation, whose failures say "the machine was busy", not "the code is wrong". Loaded
# here, before test modules are imported, so their own @settings inherit it. HYPOTHESIS_PROFILE picks
# another (hypothesis' "default" brings the timing checks back).
settings.register_profile(
    "shared-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=100
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "shared-machine"))


@pytest.fixture(scope="session")
def tls_material() -> Iterator[TLSMaterial]:
    """Read-only CA + server cert for 127.0.0.1/localhost: safe to share per session."""
    with TLSMaterial() as material:
        yield material


@pytest.fixture
def openbao() -> Iterator[OpenBaoServer]:
    """A fresh dev-mode OpenBao (root token "root"), ~0.2 s to start."""
    with OpenBaoServer("dev") as server:
        yield server


@pytest.fixture
def openbao_tls(tls_material: TLSMaterial) -> Iterator[OpenBaoServer]:
    """Dev-mode OpenBao whose `url` is an https listener signed by `tls_material`'s CA."""
    with OpenBaoServer("dev", tls=tls_material) as server:
        yield server


@pytest.fixture
def openbao_persistent() -> Iterator[OpenBaoServer]:
    """Raft-backed OpenBao (initialised + unsealed; survives stop()/start()), ~2 s to start."""
    with OpenBaoServer("persistent") as server:
        yield server


@pytest.fixture
def fake_kube() -> Iterator[FakeKube]:
    """A fresh Kubernetes API emulator with namespaces default and kube-system."""
    with FakeKube() as kube:
        yield kube


# --- the running operator ---------------------------------------------------------------------

OPERATOR_NS = "vault-access-operator-system"
OPERATOR_SA = "vault-access-operator-controller-manager"


@pytest.fixture
def operator_identity(fake_kube: FakeKube) -> OperatorIdentity:
    """The operator's namespace and service account, created in the fake API."""
    fake_kube.create_service_account(OPERATOR_NS, OPERATOR_SA)
    return OperatorIdentity(namespace=OPERATOR_NS, service_account=OPERATOR_SA, token_file="/nonexistent/token")


@pytest.fixture
def operator(fake_kube: FakeKube, operator_identity: OperatorIdentity) -> Iterator[RunningOperator]:
    """The real operator (kopf + our handlers) in a thread, with short backoff for tests."""
    with run_operator(fake_kube.connection_info(), identity=operator_identity,
                      backoff=Backoff(base=0.2, cap=2.0, login_floor=0.5)) as running:
        yield running


def trust_the_operator(server: OpenBaoServer, kube: FakeKube, ttl: str = "1h", max_ttl: str | None = None) -> None:
    """Kubernetes auth on ``server`` trusting ``kube``, with role "operator" for the operator's account."""
    client = server.client()
    vault_setup.enable_kubernetes_auth(client, kube.url)
    vault_setup.create_kubernetes_role(client, "operator", [OPERATOR_SA], [OPERATOR_NS], ttl=ttl, max_ttl=max_ttl)


@pytest.fixture
def vault_k8s(openbao: OpenBaoServer, fake_kube: FakeKube, operator_identity: OperatorIdentity) -> OpenBaoServer:
    """OpenBao whose kubernetes auth trusts the fake API, with role "operator" for the operator's account."""
    trust_the_operator(openbao, fake_kube)
    return openbao


class LogLines(logging.Handler):
    """Every log record of the process, formatted: what a secret must never reach."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def logs() -> Iterator[LogLines]:
    """Every log line at DEBUG (taken before the operator starts, so its redaction filter is attached here too)."""
    handler = LogLines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)
