"""An unreachable Kubernetes API server, seen by a real connection runtime (real session, context and
KubeClient; only the clock's sleeps are counted instead of slept): one stable line per retry, no traceback."""

from __future__ import annotations

import asyncio
import logging

import kopf
import pytest

from tests.faults.fake_runtime import Recorder, Stop
from vault_access_operator.context import CoreAuthContext, OperatorIdentity
from vault_access_operator.kube import KubeClient
from vault_access_operator.registry import load_providers
from vault_access_operator.runtime import ConnectionRuntime
from vault_access_operator.runtime_deps import RuntimeDeps
from vault_access_operator.testing.ports import free_port
from vault_access_operator.validation import validate_spec

RETRIES = 5


def test_an_unreachable_api_server_is_reported_in_one_line_without_a_traceback_per_retry(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = f"http://127.0.0.1:{free_port()}"
    identity = OperatorIdentity()
    spec = {"address": "https://vault.example:8200", "auth": {"kubernetes": {"role": "r"}},
            "tls": {"caSecretRef": {"name": "vault-ca", "namespace": identity.namespace, "key": "ca.crt"}}}
    recorder, sleeps = Recorder(), []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) > 2 * RETRIES:  # each retry may sleep twice: its backoff, then the login floor
            raise Stop

    async def scenario() -> None:
        kube = KubeClient(kopf.ConnectionInfo(server=server, token="t"))

        def context(name: str) -> CoreAuthContext:
            return CoreAuthContext(name, identity, kube=kube, session_factory=None)  # type: ignore[arg-type]

        deps = RuntimeDeps(context_factory=context, reporter_factory=recorder.reporter, sleep=sleep,
                           random=lambda: 0.5)
        runtime = ConnectionRuntime("vc", 1, validate_spec(spec, load_providers()), deps)
        try:
            await runtime.run()
        except Stop:
            pass
        finally:
            await kube.close()
            await deps.vault_http.close()

    with caplog.at_level(logging.INFO):
        asyncio.run(scenario())

    expected = (f"cannot reach the Kubernetes API server at {server} while reading Secret "
                f"{identity.namespace}/vault-ca: connection refused")
    final = recorder.statuses[-1]
    assert final["phase"] == "Error" and final["message"] == expected
    assert {c["reason"] for c in final["conditions"]} == {"KubernetesAPIUnreachable"}
    assert final["consecutiveFailures"] >= RETRIES
    warnings = [e for e in recorder.events if e[0] == "Warning"]
    assert warnings == [("Warning", "KubernetesAPIUnreachable", expected)]  # one event, not one per retry
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    texts = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(texts) >= RETRIES and all("\n" not in t and "internal error" not in t for t in texts), texts
