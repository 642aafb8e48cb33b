"""Secrets never leak; deletion revokes; a broken plugin or a slow Vault only affects its own connections."""

from __future__ import annotations

import importlib.metadata
import json
import logging
import socket
import threading
from collections.abc import Iterator

import hvac.exceptions
import pytest

from tests.e2e.helpers import condition, held_token, k8s_spec, status_of, wait_phase
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.registry import load_providers
from vault_access_operator.runtime import PENDING_GRACE
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.waiting import wait_for


def test_no_token_or_jwt_reaches_logs_events_or_status(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, operator: RunningOperator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_kube.create_vaultconnection("secret", k8s_spec(vault_k8s.url))
    fake_kube.create_vaultconnection("denied", k8s_spec(vault_k8s.url, role="nope"))
    accessor = wait_phase(fake_kube, "secret", "Active")["authStatus"]["tokenAccessor"]
    tokens = {held_token(operator.app.manager.runtime("secret"))}  # the live Vault token
    vault_k8s.client().auth.token.revoke_accessor(accessor)  # force a re-login: a second token
    wait_for(lambda: status_of(fake_kube, "secret")["authStatus"]["loginCount"] == 2, timeout=10)
    wait_for(lambda: status_of(fake_kube, "denied").get("phase") == "Error", timeout=10)
    tokens.add(held_token(operator.app.manager.runtime("secret")))
    jwts = {minted.token for minted in fake_kube.tokens.minted}
    assert len(tokens) == 2 and len(jwts) >= 3
    secrets = tokens | jwts
    exposed = {
        "logs": "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records),
        "events": json.dumps(fake_kube.list_events()),
        "status": json.dumps([status_of(fake_kube, n) for n in ("secret", "denied")]),
        "objects": json.dumps([fake_kube.get_vaultconnection(n) for n in ("secret", "denied")]),
    }
    assert "logged in" in exposed["events"] and caplog.records  # there was something to look at
    for where, text in exposed.items():
        for secret in secrets:
            assert secret not in text, f"a secret reached the {where}"
            assert secret[:24] not in text, f"part of a secret reached the {where}"


def test_deleting_a_connection_revokes_its_token(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, operator: RunningOperator
) -> None:
    fake_kube.create_vaultconnection("gone", k8s_spec(vault_k8s.url))
    accessor = wait_phase(fake_kube, "gone", "Active")["authStatus"]["tokenAccessor"]
    fake_kube.delete_vaultconnection("gone")
    # Well under the daemon's 10 s cancellation backoff: kopf must not wait that out on every delete.
    wait_for(lambda: fake_kube.get_vaultconnection("gone") is None, timeout=5, message="finalizer not removed")
    with pytest.raises(hvac.exceptions.InvalidRequest):
        vault_k8s.client().auth.token.lookup_accessor(accessor)


@pytest.fixture
def operator_with_broken_plugin(fake_kube: FakeKube, operator_identity: OperatorIdentity) -> Iterator[RunningOperator]:
    broken = importlib.metadata.EntryPoint(
        name="cert", value="vao_missing_package.cert", group="vault_access_operator.auth")
    entry_points = [*importlib.metadata.entry_points(group="vault_access_operator.auth"), broken]
    with run_operator(fake_kube.connection_info(), identity=operator_identity, registry=load_providers(entry_points),
                      backoff=Backoff(base=0.2, cap=2.0)) as running:
        yield running


def test_broken_plugin_is_reported_on_the_connections_that_need_it(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, operator_with_broken_plugin: RunningOperator
) -> None:
    fake_kube.create_vaultconnection("cert", {"address": vault_k8s.url, "auth": {"cert": {"name": "x"}}})
    fake_kube.create_vaultconnection("fine", k8s_spec(vault_k8s.url))
    status = wait_for(lambda: (s := status_of(fake_kube, "cert")).get("phase") == "Error" and s, timeout=10)
    assert status  # wait_for returns only a truthy value
    assert condition(status, "Ready")["reason"] == "PluginUnavailable"
    assert "the plugin for auth method 'cert'" in status["message"]
    assert "failed to load: ModuleNotFoundError" in status["message"]
    wait_phase(fake_kube, "fine", "Active")


@pytest.fixture
def silent_vault() -> Iterator[str]:
    """A TCP server that accepts connections and never answers: a hung Vault."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_hung_vault_does_not_stall_other_connections(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, silent_vault: str, operator: RunningOperator
) -> None:
    for index in range(3):
        fake_kube.create_vaultconnection(f"hung-{index}", k8s_spec(silent_vault))
    fake_kube.create_vaultconnection("responsive", k8s_spec(vault_k8s.url))
    # Active long before the hung requests time out (10 s).
    wait_phase(fake_kube, "responsive", "Active", timeout=4)
    for index in range(3):  # a first login still running after the grace period shows Pending
        wait_phase(fake_kube, f"hung-{index}", "Pending", timeout=PENDING_GRACE + 2)
