"""``LoginRequest.private`` is the plugin's own: it reaches its explain_login_error, never status, events or logs."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import logging
import sys
import types
from collections.abc import Iterator

import pytest

from tests.e2e.helpers import k8s_spec, status_of, wait_phase
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.plugin import AuthContext, LoginRequest, hookimpl
from vault_access_operator.plugins.kubernetes import KubernetesAuthConfig, KubernetesAuthProvider
from vault_access_operator.registry import load_providers
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.waiting import wait_for

CANARY = "vao-private-canary-7f3a91"


class CanaryProvider(KubernetesAuthProvider):
    """Kubernetes login that also hands itself a private value, and quotes a word of it when denied."""

    key = "canary"

    async def login_request(self, config: KubernetesAuthConfig, ctx: AuthContext) -> LoginRequest:
        request = await super().login_request(config, ctx)
        return dataclasses.replace(request, private={"canary": CANARY, "word": "from-private"})

    def explain_login_error(self, config: KubernetesAuthConfig, request: LoginRequest, status: int, errors: str) -> str:
        assert request.private["canary"] == CANARY  # the very request the plugin built
        return f"denied; the plugin read {request.private['word']!r} back from its login request"


@pytest.fixture
def operator_with_canary(
    fake_kube: FakeKube, operator_identity: OperatorIdentity, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningOperator]:
    module = types.ModuleType("vao_canary_plugin")
    module.vao_auth_providers = hookimpl(lambda: [CanaryProvider])  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    entry = importlib.metadata.EntryPoint(name="canary", value=module.__name__, group="vault_access_operator.auth")
    registry = load_providers([entry])
    assert list(registry.providers) == ["canary"]
    with run_operator(fake_kube.connection_info(), identity=operator_identity, registry=registry,
                      backoff=Backoff(base=0.2, cap=1.0)) as running:
        yield running


def test_private_reaches_the_explainer_but_never_status_events_or_logs(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, operator_with_canary: RunningOperator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_kube.create_vaultconnection("good", {**k8s_spec(vault_k8s.url), "auth": {"canary": {"role": "operator"}}})
    fake_kube.create_vaultconnection("denied", {**k8s_spec(vault_k8s.url), "auth": {"canary": {"role": "nope"}}})
    active = wait_phase(fake_kube, "good", "Active")
    assert active["authStatus"]["details"]["serviceAccount"]  # details do reach status
    denied = wait_for(lambda: (s := status_of(fake_kube, "denied")).get("phase") == "Error" and s, timeout=10)
    assert denied  # wait_for returns only a truthy value
    assert "the plugin read 'from-private' back from its login request" in denied["message"]
    exposed = {
        "status and objects": json.dumps([fake_kube.get_vaultconnection(n) for n in ("good", "denied")]),
        "events": json.dumps(fake_kube.list_events()),
        "logs": "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records),
    }
    for where, text in exposed.items():
        assert CANARY not in text, f"LoginRequest.private reached the {where}"
