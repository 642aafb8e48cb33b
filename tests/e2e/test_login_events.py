"""LoggedIn events through the real operator, emulator and OpenBao: one per login that changes what status says.

A new connection and a spec edit post one each; an operator restart over Active connections logs each in again
and writes its status once (the new token's accessor and expiry) but posts no event: the status already said it
(bench/README.md, session 11: 1,000 such events were a quarter of the operator's CPU per restarted login).
"""

from __future__ import annotations

from collections import Counter
from contextlib import AbstractContextManager

from tests.e2e.helpers import k8s_spec, status_of, wait_phase
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.waiting import wait_for

NAMES = ("login-a", "login-b", "login-c")


def _requests(kube: FakeKube) -> list[object]:
    assert kube.emulator is not None
    return list(kube.emulator)


def _writes(requests: list[object]) -> Counter[str]:
    """Status writes per connection and events posted, among ``requests`` (the emulator's log)."""
    writes: Counter[str] = Counter()
    for request in requests:
        method = str(request.method).rsplit(".", 1)[-1]  # type: ignore[attr-defined]
        resource = request.resource  # type: ignore[attr-defined]
        if method == "GET" or resource is None:
            continue
        if resource.plural == "vaultconnections" and request.subresource == "status":  # type: ignore[attr-defined]
            writes[f"status {request.url.path.split('/')[-2]}"] += 1  # type: ignore[attr-defined]
        elif resource.plural == "events":
            writes["events"] += 1
    return writes


def _logged_in(kube: FakeKube, name: str) -> int:
    return len(kube.list_events(involved_name=name, reason="LoggedIn"))


def test_a_restart_posts_no_logged_in_event_and_a_new_connection_and_an_edit_one_each(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, operator_identity: OperatorIdentity
) -> None:
    def operator() -> AbstractContextManager[RunningOperator]:
        return run_operator(fake_kube.connection_info(), identity=operator_identity, backoff=Backoff(0.2, 2.0))

    for name in NAMES:
        fake_kube.create_vaultconnection(name, k8s_spec(vault_k8s.url, interval="30s"))
    with operator():
        first = {name: wait_phase(fake_kube, name, "Active")["authStatus"]["tokenAccessor"] for name in NAMES}
        fake_kube.patch_vaultconnection("login-c", {"spec": {"healthCheckInterval": "20s"}})
        wait_for(lambda: (s := status_of(fake_kube, "login-c")).get("observedGeneration") == 2
                 and s["phase"] == "Active" and s["authStatus"]["tokenAccessor"] != first["login-c"], timeout=15,
                 message="the edit was not applied")
        first["login-c"] = status_of(fake_kube, "login-c")["authStatus"]["tokenAccessor"]
    # One event per new connection, and one for the edit (a new generation).
    assert {name: _logged_in(fake_kube, name) for name in NAMES} == {"login-a": 1, "login-b": 1, "login-c": 2}

    before = len(_requests(fake_kube))
    with operator():
        def relogged() -> bool:
            return all(status_of(fake_kube, name)["authStatus"].get("tokenAccessor") not in (None, first[name])
                       for name in NAMES)

        wait_for(relogged, timeout=15, message="no new login after the restart")
        fake_kube.create_vaultconnection("login-new", k8s_spec(vault_k8s.url, interval="30s"))
        wait_phase(fake_kube, "login-new", "Active")
    for name in NAMES:
        status = status_of(fake_kube, name)
        assert status["phase"] == "Active" and status["authStatus"]["loginCount"] == 1  # counted by this process
    # Each restarted connection: its status written once (the new token), no event; the new connection: one event.
    assert _writes(_requests(fake_kube)[before:]) == Counter({
        "status login-a": 1, "status login-b": 1, "status login-c": 1, "status login-new": 1, "events": 1})
    assert {name: _logged_in(fake_kube, name) for name in (*NAMES, "login-new")} == {
        "login-a": 1, "login-b": 1, "login-c": 2, "login-new": 1}
