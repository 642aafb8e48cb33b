"""Self-tests of tests/support: each piece works end to end on loopback."""

from __future__ import annotations

import functools
import json
import socket
from pathlib import Path
from typing import Any

import hvac
import hvac.exceptions
import kmock
import kopf
import pytest
import requests
from kopf.testing import KopfRunner

from tests.support import _kopf_smoke_operator as smoke
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator.testing.tls import TLSMaterial, make_ca_pem
from vault_access_operator_devkit import vault_setup
from vault_access_operator_devkit.kube import FakeKube, KubeAPIError
from vault_access_operator_devkit.waiting import wait_for

VC = "vaultconnections"


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


# -- OpenBao ------------------------------------------------------------------------------
def test_openbao_dev_start_stop(openbao: OpenBaoServer) -> None:
    assert openbao.url.startswith("http://127.0.0.1:") and openbao.root_token == "root"
    assert openbao.client().is_authenticated()
    assert openbao.log_path.exists()
    openbao.stop()
    assert not openbao.running and not _port_open(openbao.port)


def test_openbao_persistent_restart_keeps_data_and_port(openbao_persistent: OpenBaoServer) -> None:
    bao = openbao_persistent
    vault_setup.enable_kv2(bao.client())
    bao.client().secrets.kv.v2.create_or_update_secret("app", {"k": "v"}, mount_point="secret")
    port, token = bao.port, bao.root_token
    bao.stop()
    assert not _port_open(port)
    bao.start(unseal=False)
    assert bao.port == port and bao.sealed and bao.health_status() == 503
    bao.unseal()
    assert not bao.sealed and bao.root_token == token
    read = bao.client().secrets.kv.v2.read_secret_version("app", mount_point="secret", raise_on_deleted_version=True)
    assert read["data"]["data"] == {"k": "v"}
    bao.seal()
    assert bao.sealed
    bao.unseal()
    assert bao.client().is_authenticated()


def test_openbao_tls_right_and_wrong_ca(openbao_tls: OpenBaoServer, tls_material: TLSMaterial, tmp_path: Path) -> None:
    assert openbao_tls.url.startswith("https://127.0.0.1:")
    assert requests.get(f"{openbao_tls.url}/v1/sys/health", verify=str(tls_material.ca_path), timeout=5).ok
    assert openbao_tls.client().is_authenticated()  # verify=<CA file>
    wrong = tmp_path / "wrong-ca.pem"
    wrong.write_text(make_ca_pem())
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{openbao_tls.url}/v1/sys/health", verify=str(wrong), timeout=5)
    with pytest.raises(requests.exceptions.SSLError):
        hvac.Client(url=openbao_tls.url, token="root", verify=str(wrong)).is_authenticated()


def test_openbao_persistent_tls_restart(tls_material: TLSMaterial) -> None:
    with OpenBaoServer("persistent", tls=tls_material) as bao:
        assert bao.url.startswith("https://") and bao.client().is_authenticated()
        bao.stop()
        bao.start()
        assert bao.client().is_authenticated()
    assert not bao.workdir.exists()


# -- FakeKube -----------------------------------------------------------------------------
def test_vaultconnection_status_watch_and_finalizers(fake_kube: FakeKube) -> None:
    discovery = fake_kube.call("GET", "/apis/vault.platform.io/v1alpha1")
    assert {"vaultconnections", "vaultconnections/status"} <= {r["name"] for r in discovery["resources"]}
    since = fake_kube.resource_version(VC)
    created = fake_kube.create_vaultconnection("vc1", {"address": "http://x"})
    assert created["metadata"]["uid"] and created["metadata"]["generation"] == 1
    patched = fake_kube.patch_vaultconnection_status("vc1", {"phase": "Ready"})
    assert patched["status"] == {"phase": "Ready"}
    # Like a real API server: status via the main endpoint is ignored, spec bumps generation.
    patched = fake_kube.patch_vaultconnection("vc1", {"spec": {"address": "http://y"}, "status": {"phase": "X"},
                                                      "metadata": {"finalizers": ["test/hold"]}})
    assert patched["status"] == {"phase": "Ready"} and patched["metadata"]["generation"] == 2
    deleting = fake_kube.delete_vaultconnection("vc1")
    assert deleting is not None and deleting["metadata"]["deletionTimestamp"]
    assert fake_kube.get_vaultconnection("vc1") is not None  # held by the finalizer
    fake_kube.patch_vaultconnection("vc1", {"metadata": {"finalizers": None}})
    assert fake_kube.get_vaultconnection("vc1") is None
    events = fake_kube.watch(VC, resource_version=since, timeout_seconds=0.3)
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "MODIFIED", "MODIFIED", "MODIFIED", "DELETED"]
    versions = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert versions == sorted(set(versions))
    # Without a resourceVersion, a watch starts with the current objects (none now).
    assert fake_kube.watch(VC, timeout_seconds=0.2) == []


def test_kube_api_semantics(fake_kube: FakeKube) -> None:
    fake_kube.create_vaultconnection("vc", {"address": "a"})
    rv = fake_kube.get_vaultconnection("vc")["metadata"]["resourceVersion"]  # type: ignore[index]
    stale: list[dict[str, Any]] = [{"op": "test", "path": "/metadata/resourceVersion", "value": "0"},
             {"op": "add", "path": "/metadata/finalizers", "value": ["x"]}]
    with pytest.raises(KubeAPIError) as err:  # kopf relies on 422 for a failed JSON-patch test
        fake_kube.patch(VC, "vc", stale, patch_type="json")
    assert err.value.status == 422
    with pytest.raises(KubeAPIError) as err:
        fake_kube.patch(VC, "vc", {"metadata": {"resourceVersion": "0"}, "spec": {"address": "b"}})
    assert err.value.status == 409
    with pytest.raises(KubeAPIError) as err:
        fake_kube.create_vaultconnection("vc", {})
    assert err.value.status == 409
    same = fake_kube.patch(VC, "vc", {"spec": {"address": "a"}})
    assert same["metadata"]["resourceVersion"] == rv  # no-op writes do not bump it
    with pytest.raises(KubeAPIError) as err:
        fake_kube.create("secrets", {"metadata": {"name": "s"}}, namespace="absent")
    assert err.value.status == 404
    secret = fake_kube.create_secret("app", "creds", {"user": "u"})
    assert secret["data"] == {"user": "dQ=="} and "stringData" not in secret
    assert fake_kube.secret_data("app", "creds") == {"user": "u"}
    event = fake_kube.create("events", {"metadata": {"generateName": "e-"}, "involvedObject": {"name": "vc"}})
    assert event["metadata"]["name"].startswith("e-")
    assert len(fake_kube.list_events("default", involved_name="vc")) == 1
    assert fake_kube.get("namespaces", "app") is not None
    fake_kube.create_vaultconnection("labelled", {}, labels={"team": "a"})
    assert [o["metadata"]["name"] for o in fake_kube.list_objects(VC, label_selector="team=a")] == ["labelled"]
    current = fake_kube.get("vaultconnections.vault.platform.io", "labelled")
    assert current is not None
    replaced = fake_kube.replace(VC, "labelled", dict(current, spec={"address": "z"}))
    assert replaced["spec"] == {"address": "z"} and replaced["metadata"]["generation"] == 2
    with pytest.raises(KubeAPIError) as err:  # PUT with a stale resourceVersion
        fake_kube.replace(VC, "labelled", current)
    assert err.value.status == 409
    fake_kube.inject_failure("GET", r"/secrets/creds$", status=503)
    with pytest.raises(KubeAPIError) as err:
        fake_kube.get("secrets", "creds", "app")
    assert err.value.status == 503 and fake_kube.get("secrets", "creds", "app") is not None


def test_reads_and_discovery_skip_kmock_request_matching(fake_kube: FakeKube, monkeypatch: pytest.MonkeyPatch) -> None:
    # kmock's matcher walks the whole request history for every request it matches; the emulator serves
    # reads and discovery itself, so they must work with the matcher gone (and stay O(1) per request).
    def no_matching(*_: object, **__: object) -> None:
        raise AssertionError("kmock request matching was used")

    monkeypatch.setattr(kmock.RawHandler, "_handle", no_matching)
    fake_kube.create_vaultconnection("vc", {"address": "http://vault:8200", "auth": {}})
    vc = fake_kube.get_vaultconnection("vc")
    assert vc is not None and vc["metadata"]["name"] == "vc"
    assert [o["metadata"]["name"] for o in fake_kube.list_objects(VC)] == ["vc"]
    assert fake_kube.watch(VC, timeout_seconds=0.5)[0]["object"]["metadata"]["name"] == "vc"
    for path in ("/", "/version", "/api", "/apis", "/api/v1", "/apis/vault.platform.io",
                 "/apis/vault.platform.io/v1alpha1"):
        assert fake_kube.request("GET", path).ok, path
    resources = fake_kube.call("GET", "/apis/vault.platform.io/v1alpha1")["resources"]
    assert "vaultconnections" in {r["name"] for r in resources}
    assert fake_kube.get_vaultconnection("missing") is None


def test_watch_from_a_compacted_resource_version_is_gone(fake_kube: FakeKube) -> None:
    old = fake_kube.resource_version(VC)
    fake_kube.create_vaultconnection("vc", {"address": "http://vault:8200", "auth": {}})
    assert [e["type"] for e in fake_kube.watch(VC, resource_version=old, timeout_seconds=0.3)] == ["ADDED"]
    fake_kube.restart_watches(compact=True)
    current = fake_kube.resource_version(VC)
    (gone,) = fake_kube.watch(VC, resource_version=old, timeout_seconds=0.3)
    assert gone["type"] == "ERROR" and gone["object"]["code"] == 410
    fake_kube.patch_vaultconnection("vc", {"spec": {"address": "http://other:8200"}})
    (modified,) = fake_kube.watch(VC, resource_version=current, timeout_seconds=0.3)  # newer than the compaction
    assert modified["type"] == "MODIFIED" and modified["object"]["spec"]["address"] == "http://other:8200"


def test_an_observer_sees_what_a_watch_would_until_it_unsubscribes(fake_kube: FakeKube) -> None:
    seen: list[tuple[str, str, str]] = []

    def broken(spec: object, event: object) -> None:
        raise RuntimeError("an observer's bug")

    fake_kube.observe(broken)  # must not fail the writes below
    unsubscribe = fake_kube.observe(lambda spec, event: seen.append(
        (spec.plural, event["type"], event["object"]["metadata"]["name"])))
    fake_kube.create_vaultconnection("vc", {"address": "http://vault:8200", "auth": {}})
    fake_kube.patch_vaultconnection_status("vc", {"phase": "Active"})
    unsubscribe()
    fake_kube.patch_vaultconnection_status("vc", {"phase": "Error"})
    assert seen == [(VC, "ADDED", "vc"), (VC, "MODIFIED", "vc")]
    vc = fake_kube.get_vaultconnection("vc")
    assert vc is not None and vc["status"] == {"phase": "Error"}


def test_token_request_and_review(fake_kube: FakeKube) -> None:
    with pytest.raises(KubeAPIError) as err:
        fake_kube.request_token("ops", "missing")
    assert err.value.status == 404
    sa = fake_kube.create_service_account("ops", "operator")
    token = fake_kube.request_token("ops", "operator", audiences=["vault"], expiration_seconds=600)
    assert fake_kube.tokens.minted_count == 1 and fake_kube.tokens.minted_for("ops", "operator") == 1
    claims = fake_kube.tokens.minted[-1].claims
    assert claims["sub"] == "system:serviceaccount:ops:operator" and claims["aud"] == ["vault"]
    assert claims["exp"] - claims["iat"] == 600 and claims["iss"] == "https://kubernetes.default.svc"
    assert claims["kubernetes.io"]["serviceaccount"] == {"name": "operator", "uid": sa["metadata"]["uid"]}
    ok = fake_kube.review_token(token, ["vault", "other"])
    assert ok["authenticated"] and ok["audiences"] == ["vault"]
    assert ok["user"]["username"] == "system:serviceaccount:ops:operator"
    assert fake_kube.review_token(token)["audiences"] == ["vault"]  # no audiences: the token's own
    assert not fake_kube.review_token(token, ["other"])["authenticated"]
    expired = fake_kube.tokens.mint("ops", "operator", sa["metadata"]["uid"], expiration_seconds=-5).token
    assert "expired" in fake_kube.review_token(expired)["error"]
    fake_kube.revoke_token(token)
    assert not fake_kube.review_token(token)["authenticated"]
    with pytest.raises(KubeAPIError) as err:
        fake_kube.request_token("ops", "operator", expiration_seconds=60)
    assert err.value.status == 422  # like kube-apiserver: minimum 10 minutes
    fake_kube.forbid_token_requests = True
    with pytest.raises(KubeAPIError) as err:
        fake_kube.request_token("ops", "operator")
    assert err.value.status == 403 and err.value.reason == "Forbidden"


def test_openbao_kubernetes_login(fake_kube: FakeKube, openbao: OpenBaoServer) -> None:
    client = openbao.client()
    vault_setup.enable_kubernetes_auth(client, fake_kube.url)
    vault_setup.write_policy(client, "reader", 'path "secret/*" { capabilities = ["read"] }')
    vault_setup.create_kubernetes_role(client, "op", ["operator"], ["ops"], ttl="10m", policies=["reader"])
    fake_kube.create_service_account("ops", "operator")
    jwt = fake_kube.request_token("ops", "operator")
    auth = vault_setup.kubernetes_login(openbao.url, "op", jwt)
    assert "reader" in auth["policies"] and auth["lease_duration"] == 600
    assert auth["metadata"]["service_account_namespace"] == "ops"
    assert fake_kube.tokens.review_count == 1
    with pytest.raises((hvac.exceptions.InvalidRequest, hvac.exceptions.Forbidden)):
        vault_setup.kubernetes_login(openbao.url, "no-such-role", jwt)
    fake_kube.revoke_token(jwt)
    with pytest.raises(hvac.exceptions.Forbidden):
        vault_setup.kubernetes_login(openbao.url, "op", jwt)
    fresh = fake_kube.request_token("ops", "operator")
    fake_kube.delete("serviceaccounts", "operator", "ops")
    with pytest.raises(hvac.exceptions.Forbidden):  # TokenReview: service account is gone
        vault_setup.kubernetes_login(openbao.url, "op", fresh)


def test_client_configs(fake_kube: FakeKube, monkeypatch: pytest.MonkeyPatch) -> None:
    path = fake_kube.kubeconfig_path()
    server = json.loads(path.read_text())["clusters"][0]["cluster"]["server"]
    assert server == fake_kube.url and requests.get(f"{server}/version", timeout=5).ok
    info = fake_kube.connection_info()
    assert info.server == fake_kube.url and info.insecure and info.default_namespace == "default"
    monkeypatch.setenv("KUBECONFIG", str(path))  # kopf's own kubeconfig login understands it
    login = kopf.login_with_kubeconfig(settings=kopf.OperatorSettings())
    assert login is not None and login.server == fake_kube.url and login.token == "fake-token"
    assert fake_kube.get("v1/secrets", "x", "default") is None  # "group/version/plural" alias


def test_kopf_operator_runs_against_fake_kube(fake_kube: FakeKube, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_KUBE_URL", fake_kube.url)
    fake_kube.create_vaultconnection("before", {"address": "http://before"})
    args = ["run", "--standalone", "--all-namespaces", "--verbose", "-m", smoke.__name__]
    with KopfRunner(args, registry=smoke.registry, timeout=30) as runner:
        fake_kube.create_vaultconnection("after", {"address": "http://after"})
        for name in ("before", "after"):
            obj = wait_for(functools.partial(_seen, fake_kube, name), timeout=15)
            assert obj is not None  # wait_for returns only a truthy value
            assert obj["status"]["on_create"] == {"handled": True}
            assert "kopf.zalando.org/KopfFinalizerMarker" in obj["metadata"]["finalizers"]
        wait_for(lambda: fake_kube.list_events("default", involved_name="after"), timeout=10)
        fake_kube.delete_vaultconnection("after")
        wait_for(lambda: fake_kube.get_vaultconnection("after") is None, timeout=15)
    assert runner.exit_code == 0 and runner.exception is None
    assert runner.output.count("Handler 'on_create' succeeded") == 2  # pre-existing object: once
    assert smoke.FINALIZER_NOTE in runner.output


def _seen(kube: FakeKube, name: str) -> dict[str, Any] | None:
    obj = kube.get_vaultconnection(name)
    return obj if obj and (obj.get("status") or {}).get("phase") == "Seen" else None


def test_wait_for_times_out() -> None:
    with pytest.raises(TimeoutError):
        wait_for(lambda: False, timeout=0.1)
    assert wait_for(lambda: 42) == 42
