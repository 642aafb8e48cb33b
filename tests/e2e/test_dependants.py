"""A VaultConnection knows its dependants, through the real operator against real OpenBao: it counts them, its
deletion waits for them (or leaves their Vault objects, at the user's choice), and no dependant is left with a
finalizer it cannot release."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.helpers import k8s_spec, wait_phase
from tests.e2e.kv_helpers import allow_kv, create_kv, delete_kv, kv_metadata, wait_gone, wait_kv
from tests.e2e.policy_helpers import condition, create_policy, delete_policy, get_policy, policy_text, wait_policy
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.waiting import wait_for

RULES = [{"path": "secret/data/{{namespace}}/*", "capabilities": ["read"]}]
ORPHAN = "vault.platform.io/orphan-dependants"


@pytest.fixture
def dependants_operator(fake_kube: FakeKube, operator_identity: OperatorIdentity) -> Iterator[RunningOperator]:
    access = AccessSettings(cluster_name="e2e", resync_seconds=30, retry_base_seconds=0.2, retry_cap_seconds=1.0)
    with run_operator(fake_kube.connection_info(), identity=operator_identity, access=access,
                      backoff=Backoff(base=0.2, cap=2.0, login_floor=0.5)) as running:
        yield running


def _dependants(kube: FakeKube) -> dict[str, Any]:
    return ((kube.get_vaultconnection("vault") or {}).get("status") or {}).get("dependants") or {}


def _wait_dependants(kube: FakeKube, check: Any, what: str) -> dict[str, Any]:
    found = wait_for(lambda: _dependants(kube) if check(_dependants(kube)) else None, timeout=20,
                     message=f"dependants never {what}: {_dependants(kube)}")
    assert found is not None  # wait_for returns only a truthy value
    return found


def _active(status: dict[str, Any]) -> bool:
    return status.get("phase") == "Active"


def test_deletion_waits_for_the_dependants_which_still_finish(fake_kube: FakeKube, vault_acl: OpenBaoServer,
                                                              dependants_operator: RunningOperator) -> None:
    root = vault_acl.client()
    allow_kv(root, "secret")
    fake_kube.create_vaultconnection("vault", k8s_spec(vault_acl.url, interval="1s"))
    wait_phase(fake_kube, "vault", "Active")
    create_policy(fake_kube, "app", {"connectionRef": "vault", "rules": RULES})
    create_kv(fake_kube, "seed", {"connectionRef": "vault", "path": "secret/data/default/seed"})
    wait_policy(fake_kube, "app", _active, "synced")
    wait_kv(fake_kube, "seed", _active, "seeded")
    counted = _wait_dependants(fake_kube, lambda d: d.get("policies") == 1 and d.get("kvSecrets") == 1, "counted")
    assert counted["roles"] == 0 and "message" not in counted

    # When the connection breaks, its dependants say so; when it is Active again (a new token), they resume.
    fake_kube.patch_vaultconnection("vault", {"spec": {"auth": {"kubernetes": {"role": "nobody"}}}})
    wait_kv(fake_kube, "seed", lambda s: condition(s, "ConnectionReady").get("status") == "False", "saw it break")
    fake_kube.patch_vaultconnection("vault", {"spec": {"auth": {"kubernetes": {"role": "operator"}}}})
    wait_kv(fake_kube, "seed", lambda s: condition(s, "ConnectionReady").get("status") == "True", "resumed")

    # Deleting the connection waits, says why, and keeps serving the dependants' own deletes.
    fake_kube.delete_vaultconnection("vault")
    waiting = _wait_dependants(fake_kube, lambda d: "deletion waits for" in d.get("message", ""), "said it waits")
    assert "1 policy, 1 KV secret" in waiting["message"] and "VaultPolicy default/app" in waiting["message"]
    events = {e["reason"]: e for e in fake_kube.list_events(involved_name="vault")}
    assert "1 policy, 1 KV secret" in events["DeletionWaiting"]["message"]
    delete_policy(fake_kube, "app")
    wait_for(lambda: get_policy(fake_kube, "app") is None, timeout=20, message="the policy never went")
    assert policy_text(root, "vao.e2e.default.app") is None  # deleted in Vault with the connection's token
    assert fake_kube.get_vaultconnection("vault") is not None  # the KV secret still uses it
    delete_kv(fake_kube, "seed")
    wait_gone(fake_kube, "seed")
    assert kv_metadata(root, "secret", "default/seed") is None
    wait_for(lambda: fake_kube.get_vaultconnection("vault") is None, timeout=30, message="the connection stayed")


def test_the_user_may_let_the_connection_go_first(fake_kube: FakeKube, vault_acl: OpenBaoServer,
                                                  dependants_operator: RunningOperator) -> None:
    root = vault_acl.client()
    fake_kube.create_vaultconnection("vault", k8s_spec(vault_acl.url, interval="1s"))
    create_policy(fake_kube, "app", {"connectionRef": "vault", "rules": RULES})
    wait_policy(fake_kube, "app", _active, "synced")
    fake_kube.patch_vaultconnection("vault", {"metadata": {"annotations": {ORPHAN: "true"}}})
    fake_kube.delete_vaultconnection("vault")
    wait_for(lambda: fake_kube.get_vaultconnection("vault") is None, timeout=30, message="the connection stayed")
    events = {e["reason"]: e for e in fake_kube.list_events(involved_name="vault")}
    assert "their Vault objects stay" in events["DependantsOrphaned"]["message"]

    # The dependant shows its connection is gone, and its deletion does not hang: the Vault policy stays.
    wait_policy(fake_kube, "app", lambda s: condition(s, "ConnectionReady").get("status") == "False", "saw it go")
    delete_policy(fake_kube, "app")
    wait_for(lambda: get_policy(fake_kube, "app") is None, timeout=20, message="the policy kept its finalizer")
    assert policy_text(root, "vao.e2e.default.app") is not None
    assert "ConnectionGone" in {e["reason"] for e in fake_kube.list_events(involved_name="app")}


def test_a_waiting_deletion_survives_an_operator_restart(fake_kube: FakeKube, vault_acl: OpenBaoServer,
                                                         operator_identity: OperatorIdentity) -> None:
    root = vault_acl.client()
    access = AccessSettings(cluster_name="e2e", resync_seconds=30, retry_base_seconds=0.2, retry_cap_seconds=1.0)

    def operator() -> Any:
        return run_operator(fake_kube.connection_info(), identity=operator_identity, access=access,
                            backoff=Backoff(base=0.2, cap=2.0, login_floor=0.5))

    with operator():
        fake_kube.create_vaultconnection("vault", k8s_spec(vault_acl.url, interval="1s"))
        create_policy(fake_kube, "app", {"connectionRef": "vault", "rules": RULES})
        wait_policy(fake_kube, "app", _active, "synced")
        wait_for(lambda: "vault.platform.io/dependants" in (fake_kube.get_vaultconnection("vault") or {})
                 ["metadata"].get("finalizers", []), timeout=20, message="no dependants finalizer")
        fake_kube.delete_vaultconnection("vault")
        _wait_dependants(fake_kube, lambda d: "deletion waits for 1 policy" in d.get("message", ""), "waited")
    # A new operator process starts no daemon for a deleted connection: the wait brings its runtime back,
    # so the dependant's delete still reaches Vault, and then the connection goes.
    with operator():
        delete_policy(fake_kube, "app")
        wait_for(lambda: get_policy(fake_kube, "app") is None, timeout=30, message="the policy never went")
        assert policy_text(root, "vao.e2e.default.app") is None
        wait_for(lambda: fake_kube.get_vaultconnection("vault") is None, timeout=30, message="the connection stayed")
