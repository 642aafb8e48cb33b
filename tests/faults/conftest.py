"""Fixtures of the fault suite: a Vault that can be killed, a counting proxy, a fast-retrying operator."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from tests.conftest import trust_the_operator
from vault_access_operator import handlers
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator.testing.process import terminate
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.proxy import CountingProxy

#: The operator's backoff in this suite; request bounds during outages are derived from it.
BACKOFF = Backoff(base=0.2, cap=2.0, login_floor=0.5)  # a 0.5 s login floor: tokens of 1 s and up are usable


class KillableOpenBao(OpenBaoServer):
    """Persistent OpenBao that can also die abruptly (SIGKILL: no graceful shutdown, as on a crash)."""

    def kill(self) -> None:
        proc = self._proc  # OpenBaoServer has no public kill(); stop() is a graceful SIGTERM
        if proc is not None:
            terminate(proc, signal.SIGKILL, timeout=10.0)
            self._proc = None


def _fast_api_retries() -> Iterator[float]:
    yield from (0.1, 0.2, 0.4)
    while True:
        yield 0.5


@pytest.fixture
def fast_kopf_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """kopf retries API errors after 1, 1, 2, 3... s, then every 30 s (handlers.EndlessBackoff, set at startup);
    the same endless shape with short delays keeps this suite fast."""
    monkeypatch.setattr(handlers.EndlessBackoff, "__iter__", lambda self: _fast_api_retries())


@pytest.fixture
def fault_operator(fake_kube: FakeKube, operator_identity: OperatorIdentity,
                   fast_kopf_retries: None) -> Iterator[RunningOperator]:
    with run_operator(fake_kube.connection_info(), identity=operator_identity, backoff=BACKOFF) as running:
        yield running


@pytest.fixture
def killable_vault(fake_kube: FakeKube, operator_identity: OperatorIdentity) -> Iterator[KillableOpenBao]:
    """Raft-backed OpenBao whose kubernetes auth trusts the fake API (role "operator", TTL 1h)."""
    server = KillableOpenBao("persistent")
    with server:  # OpenBaoServer.__enter__ returns the server itself, typed as the base class
        trust_the_operator(server, fake_kube)
        yield server


@pytest.fixture
def proxy(killable_vault: KillableOpenBao) -> Iterator[CountingProxy]:
    """Counts every TCP connection the operator opens to Vault, also while Vault is down."""
    with CountingProxy(killable_vault.port) as counting:
        yield counting


@pytest.fixture
def vault_dev(fake_kube: FakeKube, operator_identity: OperatorIdentity) -> Iterator[OpenBaoServer]:
    """Dev OpenBao with kubernetes auth (for the Kubernetes-API fault tests, where Vault stays up)."""
    with OpenBaoServer("dev") as server:
        trust_the_operator(server, fake_kube)
        yield server
