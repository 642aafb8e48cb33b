"""Another controller borrowing a VaultConnection through the running operator's connection registry.

The test plays a policy controller: it borrows connection X's client and writes ACL policies to a real
OpenBao while the operator renews, re-logs in and removes X underneath it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

from tests.conftest import OPERATOR_NS, OPERATOR_SA
from tests.e2e.helpers import k8s_spec, status_of, wait_phase, wait_status
from vault_access_operator.connections import ConnectionChange, ConnectionHandle
from vault_access_operator.errors import ConnectionNotReadyError, Reason, VaultPermissionDeniedError
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit import vault_setup
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator
from vault_access_operator_devkit.waiting import wait_for

T = TypeVar("T")
POLICY_ADMIN = 'path "sys/policies/acl/*" {\n  capabilities = ["create", "read", "update", "delete", "list"]\n}\n'
TEAM_POLICY = 'path "secret/data/team-a/*" {\n  capabilities = ["read"]\n}\n'
QUIET = "1h"  # healthCheckInterval: the runtime's own checks stay out of the way, only the registry acts


@pytest.fixture
def vault_admin(vault_k8s: OpenBaoServer) -> OpenBaoServer:
    """The operator's kubernetes role also gets a policy that manages ACL policies."""
    client = vault_k8s.client()
    client.sys.create_or_update_acl_policy("policy-admin", POLICY_ADMIN)
    vault_setup.create_kubernetes_role(client, "operator", [OPERATOR_SA], [OPERATOR_NS],
                                       policies=["default", "policy-admin"])
    return vault_k8s


def on_loop(running: RunningOperator, work: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
    """Run ``work`` on the operator's event loop, where controllers run."""
    assert running.loop is not None
    return asyncio.run_coroutine_threadsafe(work, running.loop).result(timeout)


def handle_of(running: RunningOperator, name: str) -> ConnectionHandle:
    handle = running.app.connections.get(name)
    assert handle is not None, f"{name} is not in the registry"
    return handle


def logins(kube: FakeKube, name: str) -> int:
    return int(status_of(kube, name)["authStatus"]["loginCount"])


def token_checks(running: RunningOperator, name: str) -> float:
    labels = {"connection": name, "result": "success"}
    return running.app.metrics.registry.get_sample_value("vault_access_operator_health_checks_total", labels) or 0


def record_changes(running: RunningOperator, name: str) -> list[ConnectionChange]:
    changes: list[ConnectionChange] = []

    async def subscribe() -> None:
        running.app.connections.subscribe(changes.append, name)

    on_loop(running, subscribe())
    return changes


def test_a_borrowed_client_keeps_working_across_a_relogin_and_subscribers_see_it(
    fake_kube: FakeKube, vault_admin: OpenBaoServer, operator: RunningOperator
) -> None:
    changes = record_changes(operator, "x")
    assert operator.loop is not None
    waiting = asyncio.run_coroutine_threadsafe(operator.app.connections.wait_active("x"), operator.loop)
    fake_kube.create_vaultconnection("x", k8s_spec(vault_admin.url, interval=QUIET))
    accessor = wait_phase(fake_kube, "x", "Active")["authStatus"]["tokenAccessor"]
    handle = waiting.result(timeout=10)  # from Pending (not even created when asked) to Active
    vault = handle.client()  # fetched once, used throughout
    on_loop(operator, vault.write("sys/policies/acl/team-a", {"policy": TEAM_POLICY}))
    first_generation = handle.token_generation

    vault_admin.client().auth.token.revoke_accessor(accessor)
    with pytest.raises(VaultPermissionDeniedError) as denied:  # the runtime does not know yet; this 403 tells it
        on_loop(operator, vault.write("sys/policies/acl/team-b", {"policy": TEAM_POLICY}))
    assert denied.value.path == "sys/policies/acl/team-b"
    wait_status(fake_kube, "x", lambda s: s["authStatus"]["tokenAccessor"] != accessor and s["phase"] == "Active",
                "logged in again after the refused call")
    wait_for(lambda: handle.active, timeout=10, message="the handle never became active again")

    on_loop(operator, vault.write("sys/policies/acl/team-b", {"policy": TEAM_POLICY}))  # same client, new token
    assert "team-b" in vault_admin.client().sys.list_acl_policies()["data"]["keys"]
    assert handle.token_generation > first_generation and logins(fake_kube, "x") == 2

    fake_kube.delete_vaultconnection("x")
    wait_for(lambda: changes and changes[-1].removed, timeout=10, message=f"no removal seen: {changes}")
    assert operator.app.connections.get("x") is None
    actives = [change.active for change in changes]
    first_active = actives.index(True)
    relogin = actives.index(False, first_active)  # the revoked token was dropped...
    assert True in actives[relogin:]  # ...and the new one made it active again
    assert [c.phase for c in changes[:first_active]] == ["Pending"] * first_active
    with pytest.raises(ConnectionNotReadyError, match="VaultConnection x does not exist"):
        on_loop(operator, vault.read("sys/policies/acl/team-a"))


def test_ten_refused_calls_make_one_token_check_and_one_relogin(
    fake_kube: FakeKube, vault_admin: OpenBaoServer, operator: RunningOperator
) -> None:
    fake_kube.create_vaultconnection("y", k8s_spec(vault_admin.url, interval=QUIET))
    accessor = wait_phase(fake_kube, "y", "Active")["authStatus"]["tokenAccessor"]
    handle = handle_of(operator, "y")
    vault, revoked_generation = handle.client(), handle.token_generation
    vault_admin.client().auth.token.revoke_accessor(accessor)

    async def ten_writes() -> list[dict[str, Any] | BaseException | None]:
        calls = (vault.write(f"sys/policies/acl/p{i}", {"policy": TEAM_POLICY}) for i in range(10))
        return list(await asyncio.gather(*calls, return_exceptions=True))

    outcomes = on_loop(operator, ten_writes())
    assert all(isinstance(o, VaultPermissionDeniedError | ConnectionNotReadyError) or o is None for o in outcomes)
    assert any(isinstance(o, VaultPermissionDeniedError) for o in outcomes)  # the first to come back at least
    wait_status(fake_kube, "y", lambda s: s["authStatus"]["tokenAccessor"] != accessor and s["phase"] == "Active",
                "logged in again")
    wait_for(lambda: handle.active, timeout=10, message="the handle never became active again")

    # Ten more reports at once about the new, valid token: one look-up, no login.
    checks = token_checks(operator, "y")

    async def ten_reports() -> list[bool]:
        return [handle.report_token_rejected() for _ in range(10)]

    assert on_loop(operator, ten_reports()) == [True] + [False] * 9
    wait_for(lambda: token_checks(operator, "y") == checks + 1, timeout=10, message="the token was not checked")
    on_loop(operator, vault.write("sys/policies/acl/after", {"policy": TEAM_POLICY}))  # a full round trip later
    assert logins(fake_kube, "y") == 2 and token_checks(operator, "y") == checks + 1
    # A report about the token the connection held before the re-login is about a token already replaced.
    assert on_loop(operator, _report(handle, revoked_generation)) is False


async def _report(handle: ConnectionHandle, generation: int) -> bool:
    return handle.report_token_rejected(generation)


def test_wait_active_follows_a_connection_from_error_to_active_and_calls_meanwhile_are_not_ready(
    fake_kube: FakeKube, vault_admin: OpenBaoServer, operator: RunningOperator
) -> None:
    assert operator.app.connections.get("z") is None
    changes = record_changes(operator, "z")
    assert operator.loop is not None
    waiting = asyncio.run_coroutine_threadsafe(operator.app.connections.wait_active("z"), operator.loop)
    fake_kube.create_vaultconnection("z", k8s_spec(vault_admin.url, interval="1s", role="not-yet"))
    wait_phase(fake_kube, "z", "Error")
    handle = handle_of(operator, "z")
    with pytest.raises(ConnectionNotReadyError) as not_ready:
        on_loop(operator, handle.client().read("sys/policies/acl/default"))
    error = not_ready.value
    assert (error.reason, error.connection, error.phase) == (Reason.CONNECTION_NOT_READY, "z", "Error")
    assert error.message.startswith("VaultConnection z is not Active (phase Error, reason LoginDenied): ")
    with pytest.raises(ConnectionNotReadyError, match=r"still not Active after 0\.2s"):
        on_loop(operator, handle.wait_active(timeout=0.2))
    assert not waiting.done()

    vault_setup.create_kubernetes_role(vault_admin.client(), "not-yet", [OPERATOR_SA], [OPERATOR_NS],
                                       policies=["default", "policy-admin"])
    assert waiting.result(timeout=30).active
    assert on_loop(operator, handle.client().read("sys/policies/acl/default")) is not None
    phases = [c.phase for c in changes]
    assert phases[0] == "Pending" and "Error" in phases and phases[-1] == "Active"


def test_an_invalid_spec_is_registered_as_not_ready(fake_kube: FakeKube, operator: RunningOperator) -> None:
    fake_kube.create_vaultconnection("bad", {"address": "https://vault:8200", "auth": {"nosuch": {}}})
    wait_phase(fake_kube, "bad", "Error")
    handle = handle_of(operator, "bad")
    assert not handle.active and handle.reason == status_of(fake_kube, "bad")["conditions"][0]["reason"]
    with pytest.raises(ConnectionNotReadyError, match=r"VaultConnection bad is not Active \(phase Error"):
        on_loop(operator, handle.client().list("sys/policies/acl"))


def test_a_held_client_follows_a_spec_edit(fake_kube: FakeKube, vault_admin: OpenBaoServer,
                                           operator: RunningOperator) -> None:
    fake_kube.create_vaultconnection("edited", k8s_spec(vault_admin.url, interval=QUIET))
    wait_phase(fake_kube, "edited", "Active")
    handle = handle_of(operator, "edited")
    vault, runtime = handle.client(), operator.app.manager.runtime("edited")
    fake_kube.patch_vaultconnection("edited", {"spec": {"healthCheckInterval": "2h"}})
    wait_for(lambda: operator.app.manager.runtime("edited") is not runtime and handle.active, timeout=20,
             message="the edited spec never got an Active runtime")
    on_loop(operator, vault.write("sys/policies/acl/edited", {"policy": TEAM_POLICY}))
    assert "edited" in vault_admin.client().sys.list_acl_policies()["data"]["keys"]
