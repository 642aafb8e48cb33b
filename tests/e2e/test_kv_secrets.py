"""VaultKVSecret through the real operator, against real OpenBao: seed once, never overwrite, delete if untouched."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.e2e.helpers import k8s_spec, wait_phase
from tests.e2e.kv_helpers import allow_kv, create_kv, delete_kv, get_kv, kv_data, kv_metadata, wait_gone, wait_kv
from tests.e2e.policy_helpers import condition, status_writes, vault_calls
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import VAULTKVSECRETS
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.proxy import CountingProxy
from vault_access_operator_devkit.waiting import wait_for

RESYNC = 0.5
PASSWORD = "s3cr3t-Value-0f-the-DB-9182"  # long enough for the redactor to register it


@pytest.fixture
def kv_operator(fake_kube: FakeKube, operator_identity: OperatorIdentity) -> Iterator[RunningOperator]:
    access = AccessSettings(cluster_name="e2e", resync_seconds=RESYNC, retry_base_seconds=0.2, retry_cap_seconds=1.0)
    with run_operator(fake_kube.connection_info(), identity=operator_identity, access=access,
                      backoff=Backoff(base=0.2, cap=2.0, login_floor=0.5)) as running:
        yield running


def _active(status: dict[str, object]) -> bool:
    return status.get("phase") == "Active" and condition(status, "Ready").get("status") == "True"


def _writes(proxy: CountingProxy, path: str) -> int:
    calls = vault_calls(proxy, path)
    return calls["PUT"] + calls["POST"] + calls["PATCH"] + calls["DELETE"]


def test_seed_resync_and_delete_untouched_with_a_value_from_a_secret(
        fake_kube: FakeKube, vault_acl: OpenBaoServer, kv_operator: RunningOperator, proxy: CountingProxy,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    root = vault_acl.client()
    allow_kv(root, "secret")
    fake_kube.create_vaultconnection("vault", k8s_spec(proxy.url, interval="30s"))
    wait_phase(fake_kube, "vault", "Active")
    fake_kube.create_secret("default", "db", {"password": PASSWORD})
    create_kv(fake_kube, "app", {"connectionRef": "vault", "path": "secret/data/default/app",
                                 "data": {"username": ""},
                                 "dataFrom": {"password": {"secretKeyRef": {"name": "db", "key": "password"}}}})
    status = wait_kv(fake_kube, "app", _active, "seeded")
    assert status["seeded"] is True and status["seededVersion"] == 1 and status["mount"] == "secret"
    assert status["vaultPath"] == "secret/data/default/app"
    assert condition(status, "Untouched")["status"] == "True"
    assert kv_data(root, "secret", "default/app") == {"username": "", "password": PASSWORD}
    custom = (kv_metadata(root, "secret", "default/app") or {})["custom_metadata"]
    assert custom["managed-by"] == "vault-access-operator" and custom["k8s-resource"] == "default/app"
    assert custom["cluster"] == "e2e" and custom["seeded-version"] == "1"
    data_path, metadata_path = "secret/data/default/app", "secret/metadata/default/app"
    assert vault_calls(proxy, data_path) == {"PUT": 1}  # written once, never read
    assert _writes(proxy, metadata_path) == 1  # the ownership stamp

    # Later resyncs read metadata only: no write, no data read, seeded stays true, no status write.
    reads, written = vault_calls(proxy, metadata_path)["GET"], status_writes(fake_kube, "vaultkvsecrets", "app")
    wait_for(lambda: vault_calls(proxy, metadata_path)["GET"] >= reads + 3, timeout=20, message="no resyncs")
    assert vault_calls(proxy, data_path) == {"PUT": 1}
    assert _writes(proxy, metadata_path) == 1
    assert status_writes(fake_kube, "vaultkvsecrets", "app") == written
    status = (get_kv(fake_kube, "app") or {})["status"]
    assert status["seeded"] is True and status["seededVersion"] == 1

    # Delete while untouched: the secret goes.
    delete_kv(fake_kube, "app")
    wait_gone(fake_kube, "app")
    assert kv_metadata(root, "secret", "default/app") is None
    events = fake_kube.list_events(involved_name="app")
    assert {"Seeded", "Deleted"} <= {e["reason"] for e in events}

    # The value never showed: not in status, events or logs.
    shown = [str(status), *(e["message"] for e in events), caplog.text]
    assert not [text for text in shown if PASSWORD in text]


def test_create_only_and_kept_when_changed_or_not_ours(fake_kube: FakeKube, vault_acl: OpenBaoServer,
                                                       kv_operator: RunningOperator, proxy: CountingProxy) -> None:
    root = vault_acl.client()
    allow_kv(root, "secret")
    root.secrets.kv.v2.create_or_update_secret("default/existing", {"real": "value"}, mount_point="secret")
    fake_kube.create_vaultconnection("vault", k8s_spec(proxy.url, interval="30s"))
    create_kv(fake_kube, "existing", {"connectionRef": "vault", "path": "secret/data/default/existing",
                                      "data": {"real": ""}})
    create_kv(fake_kube, "changed", {"connectionRef": "vault", "path": "secret/data/default/changed",
                                     "data": {"token": ""}})
    status = wait_kv(fake_kube, "existing", _active, "looked")
    assert status["seeded"] is False and "left untouched (create-only)" in condition(status, "Ready")["message"]
    assert condition(status, "Untouched")["reason"] == "NotSeededHere"
    assert kv_data(root, "secret", "default/existing") == {"real": "value"}
    assert vault_calls(proxy, "secret/data/default/existing") == {}  # never written, never read

    wait_kv(fake_kube, "changed", lambda s: s.get("seeded") is True, "seeded")
    root.secrets.kv.v2.create_or_update_secret("default/changed", {"token": "real"}, mount_point="secret")
    status = wait_kv(fake_kube, "changed", lambda s: condition(s, "Untouched").get("status") == "False",
                     "saw the change at a resync")
    assert status["seeded"] is True and status["currentVersion"] == 2 and status["seededVersion"] == 1

    delete_kv(fake_kube, "changed")
    delete_kv(fake_kube, "existing")
    wait_gone(fake_kube, "changed")
    wait_gone(fake_kube, "existing")
    assert kv_data(root, "secret", "default/changed") == {"token": "real"}
    assert kv_data(root, "secret", "default/existing") == {"real": "value"}
    kept = {e["reason"]: e for e in fake_kube.list_events(involved_name="changed")}
    assert kept["KeptModified"]["type"] == "Warning" and "version 2, seeded 1" in kept["KeptModified"]["message"]


def test_tenancy_and_a_nested_mount(fake_kube: FakeKube, vault_acl: OpenBaoServer,
                                    kv_operator: RunningOperator, proxy: CountingProxy) -> None:
    root = vault_acl.client()
    root.sys.enable_secrets_engine("kv", path="kv/team", options={"version": "2"})
    allow_kv(root, "secret", "kv/team")
    spec = {**k8s_spec(proxy.url, interval="30s"), "tenancy": {"confinement": "namespace"}}
    fake_kube.create_vaultconnection("vault", spec)
    create_kv(fake_kube, "outside", {"connectionRef": "vault", "path": "secret/data/other-team/app"},
              namespace="team-a")
    create_kv(fake_kube, "inside", {"connectionRef": "vault", "path": "kv/team/data/team-a/app"},
              namespace="team-a")
    status = wait_kv(fake_kube, "outside", lambda s: s.get("phase") == "Error", "was refused", namespace="team-a")
    ready = condition(status, "Ready")
    assert ready["reason"] == "TenancyViolation" and "spec.tenancy.confinement" in ready["message"]
    assert vault_calls(proxy, "secret/data/other-team/app") == {}
    status = wait_kv(fake_kube, "inside", _active, "seeded on the nested mount", namespace="team-a")
    assert status["mount"] == "kv/team" and status["seeded"] is True
    assert kv_metadata(root, "kv/team", "team-a/app") is not None

    # The platform team lists other paths: the refused one syncs without a touch of the object.
    tenancy = {"confinement": "namespace", "allowedKVPaths": ["secret/data/{{namespace}}/*",
                                                              "secret/data/other-team/*"]}
    fake_kube.patch_vaultconnection("vault", {"spec": {"tenancy": tenancy}})
    status = wait_kv(fake_kube, "outside", lambda s: "lists secret/data/{{namespace}}/*" in
                     condition(s, "Ready").get("message", ""), "named the list", namespace="team-a")
    assert "only the globs with {{namespace}}" in condition(status, "Ready")["message"]  # confinement still holds
    fake_kube.patch_vaultconnection("vault", {"spec": {"tenancy": {"confinement": "none"}}})  # the list alone decides
    wait_kv(fake_kube, "outside", _active, "seeded once allowed", namespace="team-a")


def test_the_replaced_operators_sample_shapes_sync(fake_kube: FakeKube, vault_acl: OpenBaoServer,
                                                   kv_operator: RunningOperator) -> None:
    root = vault_acl.client()
    allow_kv(root, "secret")
    samples = list(yaml.safe_load_all((Path(__file__).parents[1] / "data/kv_samples.yaml").read_text()))
    fake_kube.create_vaultconnection("vault-primary", k8s_spec(vault_acl.url, interval="30s"))
    for sample in samples:
        fake_kube.ensure_namespace(sample["metadata"]["namespace"])
        fake_kube.call("POST", VAULTKVSECRETS.url(sample["metadata"]["namespace"]), json=sample)
    for sample in samples:
        meta, spec = sample["metadata"], sample["spec"]
        status = wait_kv(fake_kube, meta["name"], _active, "seeded", namespace=meta["namespace"])
        assert status["seeded"] is True
        mount, _, rel = spec["path"].partition("/data/")
        assert kv_data(root, mount, rel) == spec.get("data", {})


def test_a_path_the_operator_may_not_touch_says_what_to_grant(fake_kube: FakeKube, vault_acl: OpenBaoServer,
                                                              kv_operator: RunningOperator) -> None:
    allow_kv(vault_acl.client(), "other")  # nothing on secret/
    fake_kube.create_vaultconnection("vault", k8s_spec(vault_acl.url, interval="30s"))
    create_kv(fake_kube, "app", {"connectionRef": "vault", "path": "secret/data/default/app"})
    status = wait_kv(fake_kube, "app", lambda s: s.get("phase") == "Error", "reported the refusal")
    ready = condition(status, "Ready")
    assert ready["reason"] == "VaultPermissionDenied"
    assert "grant it create on the data path" in ready["message"] and "secret/data/default/app" in ready["message"]
