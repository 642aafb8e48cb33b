"""The bootstrap token never reaches status, events or logs, even when Vault quotes it back.

A Vault double (OpenBao never echoes a token) refuses the kubernetes login, so the bootstrap runs, and
then answers every call made with the bootstrap token by quoting that token in its error text.
"""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import OPERATOR_NS, LogLines
from tests.e2e.helpers import status_of, wait_status
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import run_operator

TOKEN = "dev-root-token-for-the-bootstrap-42"  # no secret shape: only its registration masks it






def quoting_vault(request: Request) -> Response:
    if request.path == "/v1/sys/health":
        return Response(json.dumps({"initialized": True, "sealed": False, "version": "2.7.2"}),
                        content_type="application/json")
    if request.path.endswith("/login"):
        return Response(json.dumps({"errors": ["invalid role name \"vault-access-operator\""]}), status=400,
                        content_type="application/json")
    token = request.headers.get("X-Vault-Token", "")
    return Response(json.dumps({"errors": [f"permission denied for token {token} at {request.path}"]}), status=403,
                    content_type="application/json")


@pytest.mark.parametrize("written", [TOKEN, TOKEN + "\n"])
def test_a_vault_quoting_the_bootstrap_token_back_shows_it_nowhere(
    fake_kube: FakeKube, operator_identity: OperatorIdentity, httpserver: HTTPServer, logs: LogLines, written: str,
) -> None:
    httpserver.expect_request("").respond_with_handler(quoting_vault)  # every path
    fake_kube.create_secret(OPERATOR_NS, "boot", {"token": written})
    spec = {"address": httpserver.url_for("/").rstrip("/"), "healthCheckInterval": "30s",
            "auth": {"bootstrap": {"secretRef": {"name": "boot", "namespace": OPERATOR_NS, "key": "token"}},
                     "kubernetes": {"role": "vault-access-operator", "kubernetesHost": fake_kube.url}}}
    with run_operator(fake_kube.connection_info(), identity=operator_identity, backoff=Backoff(base=0.2, cap=2.0)):
        fake_kube.create_vaultconnection("quoted", spec)
        status = wait_status(fake_kube, "quoted", lambda s: s.get("phase") == "Error", "failed")
    # The token reached Vault (the double quoted it), and it was masked everywhere the operator writes.
    assert any(TOKEN in str(request.headers) for request, _ in httpserver.log)
    assert "permission denied for token" in status["message"]
    assert "Vault refused the bootstrap token" in status["message"]
    shown = {"status": json.dumps(status_of(fake_kube, "quoted")),
             "events": json.dumps(fake_kube.list_events(involved_name="quoted")),
             "logs": "\n".join(logs.lines)}
    for where, text in shown.items():
        assert TOKEN not in text, f"the bootstrap token reached the {where}"
