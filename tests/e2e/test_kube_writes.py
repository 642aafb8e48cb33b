"""What the operator writes to Kubernetes per access object: the initial sync and a deletion Vault refuses.

Every write to an object is also a watch event that kopf, the controller and any other watcher process again,
so the count per object is the cost that grows with the cluster (issue 18).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.helpers import k8s_spec, wait_phase
from tests.e2e.kv_helpers import create_kv, kv_operator_policy, wait_kv
from tests.e2e.policy_helpers import (
    OPERATOR_POLICY,
    condition,
    create_policy,
    delete_policy,
    get_policy,
    policy_text,
    vault_calls,
    wait_policy,
)
from tests.e2e.role_helpers import create, ready, wait_object
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit import vault_setup
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import ResourceSpec
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.proxy import CountingProxy
from vault_access_operator_devkit.waiting import wait_for

RULES = [{"path": "secret/data/{{namespace}}/{{name}}/*", "capabilities": ["read"]}]
POLICIES = [f"app-{i}" for i in range(5)]
#: What kopf would store on an object besides its finalizer (our prefix replaces kopf.zalando.org).
KOPF_PREFIXES = ("vault.platform.io/", "kopf.zalando.org/")
ACCESS_PLURALS = {"vaultpolicies", "vaultroles", "vaultkvsecrets"}
ROLE_GRANT = 'path "auth/kubernetes/role/*" { capabilities = ["create", "read", "update", "delete", "list"] }'


@pytest.fixture
def policy_operator(fake_kube: FakeKube, operator_identity: OperatorIdentity) -> Iterator[RunningOperator]:
    access = AccessSettings(cluster_name="E2E", resync_seconds=0.5, retry_base_seconds=0.2, retry_cap_seconds=0.5)
    with run_operator(fake_kube.connection_info(), identity=operator_identity, access=access,
                      backoff=Backoff(base=0.2, cap=2.0, login_floor=0.5)) as running:
        yield running


class WatchLog:
    """The watch events of the access objects, as any watcher gets them (an observer of the emulator)."""

    def __init__(self, kube: FakeKube) -> None:
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.stop = kube.observe(self._seen)

    def _seen(self, spec: ResourceSpec, event: dict[str, Any]) -> None:
        if spec.plural in ACCESS_PLURALS:
            with self._lock:
                self.events.append(event)

    def of(self, name: str, kind: str = "VaultPolicy") -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self.events if e["object"]["metadata"]["name"] == name and e["object"]["kind"] == kind]

    def annotations(self, name: str, kind: str = "VaultPolicy") -> set[str]:
        """Every annotation key any watch event of ``name`` carried."""
        return {key for e in self.of(name, kind) for key in (e["object"]["metadata"].get("annotations") or {})}


@pytest.fixture
def watch_log(fake_kube: FakeKube) -> Iterator[WatchLog]:
    log = WatchLog(fake_kube)
    yield log
    log.stop()


def writes(kube: FakeKube, name: str, namespace: str = "default", plural: str = "vaultpolicies") -> Counter[str]:
    """The API writes about the object ``name``: patches of the object and of its status, events posted."""
    assert kube.emulator is not None
    counted: Counter[str] = Counter()
    for request in list(kube.emulator):
        method = str(request.method).rsplit(".", 1)[-1].upper()
        target = request.resource.plural if request.resource is not None else None
        if method not in ("POST", "PATCH", "PUT", "DELETE"):
            continue
        if target == plural and request.name == name and request.namespace == namespace:
            counted[_what(method, request.subresource, request.data)] += 1
        elif target == "events" and method == "POST" and isinstance(request.data, dict) \
                and (request.data.get("involvedObject") or {}).get("name") == name:
            counted["event"] += 1
    return counted


def _what(method: str, subresource: str | None, patch: Any) -> str:
    """A write to the object, named by what it changes: kopf's finalizer patches (a JSON patch that tests the
    resourceVersion, so one that loses against a status write is refused and sent again: an attempt, not a
    write) and annotation patches (merge patches of metadata.annotations only) apart from any other."""
    if method == "PATCH" and subresource is None:
        if isinstance(patch, list) and any(op.get("path") == "/metadata/finalizers" for op in patch):
            return "finalizer"
        if isinstance(patch, dict) and set(patch) == {"metadata"} and set(patch["metadata"]) == {"annotations"}:
            return "annotations"
    return f"{method} {subresource or 'object'}"


def _ready(status: dict[str, Any]) -> bool:
    return status.get("phase") == "Active" and condition(status, "Ready").get("status") == "True"


def test_the_initial_sync_writes_the_finalizer_one_status_and_one_event_per_object(
        fake_kube: FakeKube, vault_acl: OpenBaoServer, policy_operator: RunningOperator, proxy: CountingProxy,
        watch_log: WatchLog) -> None:
    fake_kube.create_vaultconnection("vault", k8s_spec(proxy.url, interval="30s"))
    wait_phase(fake_kube, "vault", "Active")
    for name in POLICIES:
        create_policy(fake_kube, name, {"connectionRef": "vault", "rules": RULES})
    for name in POLICIES:
        wait_policy(fake_kube, name, _ready, "turned Active")
    # Two drift checks of every policy: the first sight is long over, whatever it wrote is in the history.
    for name in POLICIES:
        path = f"sys/policies/acl/vao.e2e.default.{name}"
        def checked(p: str = path) -> bool:
            return vault_calls(proxy, p)["GET"] >= 3

        wait_for(checked, timeout=20, message=f"no drift checks of {name}")

    for name in POLICIES:
        counted = writes(fake_kube, name)
        assert counted.pop("finalizer") >= 1, name  # one write (the watch events below), maybe a refused attempt
        assert counted == {"PATCH status": 1, "event": 1}, name
        events = fake_kube.list_events(involved_name=name)
        assert [e["reason"] for e in events] == ["Synced"]
        obj = get_policy(fake_kube, name) or {}
        assert obj["metadata"]["finalizers"] == ["vault.platform.io/finalizer"]
        assert not [key for key in watch_log.annotations(name) if key.startswith(KOPF_PREFIXES)], name
        # Created, the finalizer, the status: nothing else for any watcher to process.
        assert [e["type"] for e in watch_log.of(name)] == ["ADDED", "MODIFIED", "MODIFIED"], name


def test_a_role_and_a_kv_secret_also_write_the_finalizer_one_status_and_one_event(
        fake_kube: FakeKube, vault_acl: OpenBaoServer, policy_operator: RunningOperator, proxy: CountingProxy,
        watch_log: WatchLog) -> None:
    root = vault_acl.client()
    vault_setup.write_policy(root, "operator-access", kv_operator_policy("secret") + "\n" + ROLE_GRANT)
    vault_setup.enable_kv2(root)
    fake_kube.create_vaultconnection("vault", k8s_spec(proxy.url, interval="30s"))
    wait_phase(fake_kube, "vault", "Active")
    create_policy(fake_kube, "read", {"connectionRef": "vault", "rules": RULES})
    wait_policy(fake_kube, "read", _ready, "turned Active")
    create(fake_kube, "VaultRole", "app", {"connectionRef": "vault", "serviceAccounts": ["app"],
                                           "policies": [{"kind": "VaultPolicy", "name": "read"}]}, "default")
    create_kv(fake_kube, "seed", {"connectionRef": "vault", "path": "secret/data/default/seed", "data": {"a": ""}})
    wait_object(fake_kube, "VaultRole", "app", ready, "turned Ready", "default")
    wait_kv(fake_kube, "seed", lambda s: s.get("phase") == "Active", "seeded")
    # Two drift checks of each: the first sight is long over, whatever it wrote is in the history.
    for path in ("auth/kubernetes/role/vao.e2e.default.app", "secret/metadata/default/seed"):
        def checked(p: str = path) -> bool:
            return vault_calls(proxy, p)["GET"] >= 3

        wait_for(checked, timeout=20, message=f"no drift checks of {path}")

    for kind, plural, name in (("VaultRole", "vaultroles", "app"), ("VaultKVSecret", "vaultkvsecrets", "seed")):
        counted = writes(fake_kube, name, plural=plural)
        assert counted.pop("finalizer") >= 1, kind
        assert counted == {"PATCH status": 1, "event": 1}, kind
        assert not [key for key in watch_log.annotations(name, kind) if key.startswith(KOPF_PREFIXES)], kind
        assert [e["type"] for e in watch_log.of(name, kind)] == ["ADDED", "MODIFIED", "MODIFIED"], kind


def test_a_refused_delete_is_retried_without_kopf_progress_on_the_object(
        fake_kube: FakeKube, vault_acl: OpenBaoServer, policy_operator: RunningOperator, proxy: CountingProxy,
        watch_log: WatchLog) -> None:
    root = vault_acl.client()
    fake_kube.create_vaultconnection("vault", k8s_spec(proxy.url, interval="30s"))
    wait_phase(fake_kube, "vault", "Active")
    create_policy(fake_kube, "app", {"connectionRef": "vault", "rules": RULES})
    wait_policy(fake_kube, "app", _ready, "turned Active")
    # The Synced event follows the status write: counted before, not as part of the deletion.
    wait_for(lambda: fake_kube.list_events(involved_name="app", reason="Synced"), timeout=10, message="no Synced event")
    acl = "sys/policies/acl/vao.e2e.default.app"
    before = writes(fake_kube, "app")

    vault_setup.write_policy(root, "operator-access",
                             'path "sys/policies/acl/*" { capabilities = ["read", "update", "create"] }')
    delete_policy(fake_kube, "app")
    wait_for(lambda: vault_calls(proxy, acl)["DELETE"] >= 4, timeout=30, message="the refused delete was not retried")
    vault_setup.write_policy(root, "operator-access", OPERATOR_POLICY)
    wait_for(lambda: get_policy(fake_kube, "app") is None, timeout=30, message="the object never went")
    assert policy_text(root, "vao.e2e.default.app") is None

    during = writes(fake_kube, "app") - before
    tries = vault_calls(proxy, acl)["DELETE"]
    # kopf keeps the retries' progress in memory: no record of it on the object, only the touch that wakes
    # kopf after each delay (one write per retry at most) and the finalizer's removal at the end.
    progress = [key for key in watch_log.annotations("app")
                if key.startswith(KOPF_PREFIXES) and not key.endswith(("/touch-dummy", "/kopf-managed"))]
    assert not progress
    assert during["annotations"] <= tries - 1, (during, tries)  # the touches: before, twice as many PATCHes
    assert during["finalizer"] >= 1 and during["PATCH object"] == 0, during  # its removal, nothing else
    assert during["PATCH status"] == 1 and during["event"] == 2, during  # DeleteFailed once, then Deleted
