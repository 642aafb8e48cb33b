"""The hostile-input rows of spec.auth.gcp that reach Google (tests/hostile/cases_gcp.py WITH_GOOGLE), through
the real operator beside a healthy canary, with the shared table's checks: the exact outcome on status and in
an event, the canary kept being checked, and no secret (the key file, Google's access tokens, signed JWTs,
identity tokens) in status, events or logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import OPERATOR_NS, OPERATOR_SA, trust_the_operator
from tests.hostile.cases_gcp import EMAIL, OTHER, WITH_GOOGLE, GoogleCase
from tests.support.gcp_env import isolate_google_env, point_at
from tests.support.gcp_google import GoogleDouble
from tests.support.gcp_metadata import Instance
from tests.support.gcp_vault_double import GcpVaultDouble
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.waiting import wait_for

CANARY = "canary"


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    logs = Lines()
    root = logging.getLogger()
    root.addHandler(logs)
    with pytest.MonkeyPatch.context() as env, FakeKube() as kube, OpenBaoServer("dev") as vault:
        isolate_google_env(env, Path(tmp_path_factory.mktemp("gcloud")))
        google = GoogleDouble().start()
        point_at(google, env)
        account = google.add_account("vault-access-operator")
        google.grant(account.email)
        google.add_account("other")
        double = GcpVaultDouble(google, vault).start()
        double.add_role("vault-access-operator", bound_service_accounts=[EMAIL])
        double.add_role("others", bound_service_accounts=[OTHER])
        double.add_role("vm", type="gce", bound_service_accounts=[EMAIL])
        double.add_role("strict", bound_service_accounts=[EMAIL], max_jwt_exp=300)
        double.add_role("no-inference", bound_service_accounts=[EMAIL], allow_gce_inference=False)
        kube.create_service_account(OPERATOR_NS, OPERATOR_SA)
        trust_the_operator(vault, kube)
        identity = OperatorIdentity(namespace=OPERATOR_NS, service_account=OPERATOR_SA, token_file="/nonexistent")
        try:
            with run_operator(kube.connection_info(), identity=identity, backoff=Backoff(base=0.2, cap=2.0)) as op:
                canary = {"address": vault.url, "auth": {"kubernetes": {"role": "operator"}},
                          "healthCheckInterval": "1s"}
                kube.create_vaultconnection(CANARY, canary)
                wait_for(lambda: _status(kube, CANARY).get("phase") == "Active", timeout=30, message="no canary")
                yield {"kube": kube, "google": google, "double": double, "operator": op, "logs": logs, "env": env}
        finally:
            double.stop()
            google.stop()
            root.removeHandler(logs)


def _status(kube: FakeKube, name: str) -> dict[str, Any]:
    return (kube.get_vaultconnection(name) or {}).get("status") or {}


def _ready_reason(status: dict[str, Any]) -> str | None:
    return next((c.get("reason") for c in status.get("conditions", []) if c.get("type") == "Ready"), None)


def _canary_checks(operator: RunningOperator) -> float:
    value = operator.app.metrics.registry.get_sample_value(
        "vault_access_operator_health_checks_total", {"connection": CANARY, "result": "success"})
    return value or 0.0


def _prepare(stack: dict[str, Any], case: GoogleCase) -> list[str]:
    """Set the row's stage; returns the secret values it handed out."""
    kube: FakeKube = stack["kube"]
    google: GoogleDouble = stack["google"]
    google.instance = None if "no-instance" in case.setup else Instance(account=EMAIL,
                                                                         bound="instance-unbound" not in case.setup)
    google.accounts[EMAIL].enabled = "disabled" not in case.setup
    metadata = "127.0.0.1:9" if "metadata-down" in case.setup else google.host  # nothing listens on port 9
    stack["env"].setenv("GCE_METADATA_HOST", metadata)
    if kube.get("secrets", "gcp-key", OPERATOR_NS) is not None:
        kube.delete("secrets", "gcp-key", OPERATOR_NS)
    if "key" not in case.setup:
        return []
    key_json = google.key_json(google.accounts[EMAIL])
    kube.create_secret(OPERATOR_NS, "gcp-key", {"credentials.json": key_json})
    private_key = json.loads(key_json)["private_key"]
    return [key_json, private_key, private_key.splitlines()[1]]


@pytest.mark.parametrize("case", WITH_GOOGLE, ids=[case.id for case in WITH_GOOGLE])
def test_gcp_hostile_input(stack: dict[str, Any], case: GoogleCase) -> None:
    kube: FakeKube = stack["kube"]
    operator: RunningOperator = stack["operator"]
    name = f"gcp-hostile-{WITH_GOOGLE.index(case)}"
    secrets = _prepare(stack, case)
    spec = json.loads(json.dumps(case.spec).replace("{vault}", stack["double"].url))
    checks_before = _canary_checks(operator)
    log_start = len(stack["logs"].lines)
    kube.create_vaultconnection(name, spec)
    try:
        status = wait_for(
            lambda: (s := _status(kube, name)).get("phase") == case.phase and _ready_reason(s) == case.reason and s,
            timeout=20, message=f"{case.id}: never {case.phase}/{case.reason}: {_status(kube, name)}")
        assert status  # wait_for returns only a truthy value
        assert case.message in status.get("message", ""), status.get("message")
        events = kube.list_events(involved_name=name, reason=case.reason)
        assert any(e.get("message", "") == status["message"] for e in events), events
        wait_for(lambda: _canary_checks(operator) >= checks_before + 1, timeout=15, message="the canary stalled")
    finally:
        kube.delete_vaultconnection(name)
        wait_for(lambda: kube.get_vaultconnection(name) is None, timeout=10, message=f"{name} not deleted")
    exposed = {"status": json.dumps(status), "events": json.dumps(kube.list_events(involved_name=name)),
               "logs": "\n".join(stack["logs"].lines[log_start:])}
    for where, text in exposed.items():
        for secret in [*secrets, *stack["google"].signed]:
            assert secret not in text, f"{case.id}: a secret reached the {where}"


def test_every_row_named_in_the_issue_is_there() -> None:
    ids = {case.id for case in WITH_GOOGLE}
    assert {"gcp-key-disabled", "gcp-sign-jwt-denied", "gcp-metadata-unreachable", "gcp-wrong-role",
            "gcp-mount-not-enabled"} <= ids
