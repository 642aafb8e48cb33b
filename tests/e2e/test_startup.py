"""`vault-access-operator run` starts completely or exits non-zero with one line that says what to fix."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import kopf
import pytest
from pytest_httpserver import HTTPServer

from vault_access_operator.app import OperatorApp, OperatorConfig
from vault_access_operator.kinds import GROUP, VAULT_CONNECTION, VERSION
from vault_access_operator.registry import ProviderRegistry, new_plugin_manager
from vault_access_operator.startup import StartupError, check_kube_api, check_plugins
from vault_access_operator_devkit.kube import FakeKube

COMMAND = [str(Path(sys.executable).parent / "vault-access-operator"), "run", "--standalone"]
PLURAL = VAULT_CONNECTION.plural
LIST_PATH = f"/apis/{GROUP}/{VERSION}/{PLURAL}"


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port some other process listens on."""
    with socket.socket() as listener:
        listener.bind(("0.0.0.0", 0))
        listener.listen()
        yield listener.getsockname()[1]


def run_until_exit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    # Failing start-ups exit in about a second (eight with an unreachable API): 60 s only bounds a hang.
    return subprocess.run([*COMMAND, *args], env=env, capture_output=True, text=True, timeout=60)


def assert_one_line(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vault-access-operator: "), result.stderr[-2000:]
    for text in expected:
        assert text in lines[0]


@pytest.fixture
def env(fake_kube: FakeKube, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "KUBECONFIG": str(fake_kube.kubeconfig_path()), "HOME": str(tmp_path)}


def test_metrics_port_in_use_is_fatal(env: dict[str, str], taken_port: int) -> None:
    result = run_until_exit(env, "--metrics-port", str(taken_port))
    assert_one_line(result, f"cannot serve metrics on port {taken_port}: address already in use", "--metrics-port")


def test_liveness_port_in_use_is_fatal(env: dict[str, str], taken_port: int) -> None:
    result = run_until_exit(env, "--metrics-port", "0", "--liveness", f"http://0.0.0.0:{taken_port}/healthz")
    assert_one_line(result, f"cannot serve the liveness probe on 0.0.0.0:{taken_port}: address already in use",
                    "--liveness")


@pytest.mark.parametrize("args, expected", [
    (("--metrics-port", "70000"), "--metrics-port 70000 is not a TCP port"),
    (("--metrics-port", "0", "--liveness", "https://0.0.0.0:8080/healthz"), "is not an http:// URL"),
])
def test_bad_flag_values_are_fatal(env: dict[str, str], args: tuple[str, ...], expected: str) -> None:
    assert_one_line(run_until_exit(env, *args), expected)


def test_no_kubernetes_credentials_is_fatal(env: dict[str, str]) -> None:
    del env["KUBECONFIG"]  # and HOME has no .kube/config, and this is not a pod
    result = run_until_exit(env, "--metrics-port", "0")
    assert_one_line(result, "no Kubernetes credentials", "KUBECONFIG")


def test_malformed_kubeconfig_is_fatal(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "kubeconfig").write_text("clusters: [\n")
    result = run_until_exit({**env, "KUBECONFIG": str(tmp_path / "kubeconfig")}, "--metrics-port", "0")
    assert_one_line(result, "cannot read the Kubernetes credentials", "fix KUBECONFIG")


def test_unreachable_api_server_is_fatal(env: dict[str, str], fake_kube: FakeKube, tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    kubeconfig = json.loads(fake_kube.kubeconfig_path().read_text())
    kubeconfig["clusters"][0]["cluster"]["server"] = f"http://127.0.0.1:{port}"
    (tmp_path / "kubeconfig").write_text(json.dumps(kubeconfig))
    result = run_until_exit({**env, "KUBECONFIG": str(tmp_path / "kubeconfig")}, "--metrics-port", "0")
    assert_one_line(result, "cannot reach the Kubernetes API", f"http://127.0.0.1:{port}", "connection refused")


# --- what the API server answers at start-up (a stand-in server that answers as told) -------------------


@pytest.mark.parametrize("status, expected", [
    (401, "rejected the operator's credentials (401)"),
    (403, f"may not list {PLURAL}.{GROUP} (403): grant it list/watch"),
    (404, "install the CRD"),
])
@pytest.mark.asyncio
async def test_api_refusals_are_fatal_at_once(httpserver: HTTPServer, status: int, expected: str) -> None:
    httpserver.expect_request(LIST_PATH).respond_with_json({"message": "no"}, status=status)
    with pytest.raises(StartupError, match=re.escape(expected)):
        await check_kube_api(kopf.ConnectionInfo(server=httpserver.url_for("/"), token="t"))
    assert len(httpserver.log) == 1


@pytest.mark.asyncio
async def test_api_server_errors_are_retried_then_pass(httpserver: HTTPServer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("vault_access_operator.startup.API_RETRY_DELAYS", (0.0, 0.0, 0.0))
    for _ in range(2):
        httpserver.expect_ordered_request(LIST_PATH).respond_with_json({"message": "starting"}, status=503)
    httpserver.expect_ordered_request(LIST_PATH).respond_with_json({"items": []})
    await check_kube_api(kopf.ConnectionInfo(server=httpserver.url_for("/"), token="t"))
    assert len(httpserver.log) == 3


@pytest.mark.asyncio
async def test_api_server_errors_are_fatal_once_the_retries_run_out(httpserver: HTTPServer,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("vault_access_operator.startup.API_RETRY_DELAYS", (0.0, 0.0))
    httpserver.expect_request(LIST_PATH).respond_with_json({"message": "starting"}, status=503)
    with pytest.raises(StartupError, match="answers 503"):
        await check_kube_api(kopf.ConnectionInfo(server=httpserver.url_for("/"), token="t"))
    assert len(httpserver.log) == 3


def test_no_usable_auth_method_is_fatal() -> None:
    nothing_loaded = ProviderRegistry(hooks=new_plugin_manager())
    with pytest.raises(StartupError, match=r"no auth method is available.*vault-access-operator plugins"):
        check_plugins(OperatorApp(OperatorConfig(), registry=nothing_loaded))
    check_plugins(OperatorApp(OperatorConfig()))  # the installed plugins


@pytest.mark.asyncio
async def test_an_api_server_that_never_answers_is_fatal(taken_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # taken_port listens and never answers: each attempt ends at its own timeout.
    monkeypatch.setattr("vault_access_operator.startup.API_RETRY_DELAYS", (0.0,))
    monkeypatch.setattr("vault_access_operator.startup.API_ATTEMPT_SECONDS", 0.2)
    with pytest.raises(StartupError, match=r"cannot reach the Kubernetes API.*: no answer"):
        await check_kube_api(kopf.ConnectionInfo(server=f"http://127.0.0.1:{taken_port}", token="t"))


def test_the_line_also_goes_to_the_termination_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    termination_log = tmp_path / "termination-log"
    termination_log.write_text("")  # the kubelet creates it
    monkeypatch.setattr("vault_access_operator.startup.TERMINATION_LOG", termination_log)
    StartupError("cannot serve metrics on port 9090: address already in use").show()
    line = "vault-access-operator: cannot serve metrics on port 9090: address already in use\n"
    assert capsys.readouterr().err == line
    assert termination_log.read_text() == line
