"""Texts of any length from a spec or from Vault end as short status messages, and others keep working.

Before masking was linear, a 120,000-character field name made of ``eyJ`` froze the whole operator
for about 27 s; a Vault's 100 KB error text went whole into status, events and logs.
"""

from __future__ import annotations

from typing import Any, Literal

from pytest_httpserver import HTTPServer

from tests.e2e.helpers import condition, k8s_spec, status_of, wait_phase
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator
from vault_access_operator_devkit.waiting import wait_for

SHORT = 4096 + 64


def _error(kube: FakeKube, name: str, reason: str) -> dict[str, Any]:
    def reached() -> dict[str, Any] | Literal[False]:
        status = status_of(kube, name)
        return status.get("phase") == "Error" and condition(status, "Ready")["reason"] == reason and status

    status = wait_for(reached, timeout=30, message=f"{name}: expected {reason}, got {str(status_of(kube, name))[:500]}")
    assert status  # wait_for returns only a truthy value
    return status


def test_huge_field_names_and_vault_errors_give_short_messages(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, operator: RunningOperator, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/v1/sys/health").respond_with_json({"initialized": True, "sealed": False})
    httpserver.expect_request("/v1/auth/kubernetes/login").respond_with_json(
        {"errors": ["role not found " * 7000]}, status=400
    )
    fake_kube.create_vaultconnection("good", k8s_spec(vault_k8s.url))
    wait_phase(fake_kube, "good", "Active")
    spec = k8s_spec("http://127.0.0.1:1")
    spec["auth"]["kubernetes"]["eyJ" * 40_000] = "x"
    fake_kube.create_vaultconnection("eyj", spec)
    fake_kube.create_vaultconnection("wordy-vault", k8s_spec(httpserver.url_for("/").rstrip("/")))

    status = _error(fake_kube, "eyj", "InvalidSpec")
    assert status["message"].endswith("...(120000 characters) is not a known field")
    assert len(status["message"]) < SHORT
    wordy = _error(fake_kube, "wordy-vault", "LoginDenied")
    assert "role not found role not found" in wordy["message"] and "more characters)" in wordy["message"]
    assert len(wordy["message"]) < SHORT
    for name in ("eyj", "wordy-vault"):
        events = fake_kube.list_events(involved_name=name)
        assert events and all(len(event["message"]) <= 1100 for event in events)
    good = operator.app.manager.runtime("good")
    assert good is not None
    checked = good._last_check
    wait_for(lambda: good._last_check != checked, timeout=10)  # its health checks go on (every 1 s)
    assert status_of(fake_kube, "good")["phase"] == "Active"
