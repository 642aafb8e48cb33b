"""The shapes rows of the hostile-input table, run through the operator until the lead's shared runner exists.

Checks what a row promises that this branch can check: the exact reason and message on status and in a
Warning event, a silent listener, no decoy secret in status or events, and a healthy connection alongside.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from pytest_httpserver import HTTPServer

from tests.e2e.helpers import k8s_spec, status_of, wait_phase
from tests.e2e.test_bad_input import assert_reported
from tests.hostile.cases_shapes import CASES
from vault_access_operator.testing.kube import FakeKube
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator.testing.operator import RunningOperator


def substitute(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        for key, text in names.items():
            value = value.replace("{" + key + "}", text)
        return value
    if isinstance(value, dict):
        return {substitute(k, names): substitute(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, names) for v in value]
    return value


def create_secret(kube: FakeKube, where: str, data: dict[str, str | bytes]) -> None:
    namespace, name = where.split("/")
    kube.ensure_namespace(namespace)
    encoded = {k: base64.b64encode(v if isinstance(v, bytes) else v.encode()).decode() for k, v in data.items()}
    kube.create("secrets", {"metadata": {"name": name}, "data": encoded}, namespace)


def test_every_shapes_row_gets_its_exact_outcome(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, operator: RunningOperator, httpserver: HTTPServer
) -> None:
    names = {"listener": httpserver.url_for("").rstrip("/"), "vault": vault_k8s.url}
    fake_kube.create_vaultconnection("canary", k8s_spec(vault_k8s.url))
    for case in CASES:
        for where, data in case.secrets.items():
            create_secret(fake_kube, where, data)
        fake_kube.create_vaultconnection(case.id, substitute(case.spec, names))
    for case in CASES:
        assert_reported(fake_kube, case.id, case.reason, case.message)
        assert status_of(fake_kube, case.id)["phase"] == case.phase
    wait_phase(fake_kube, "canary", "Active")
    assert [case.id for case in CASES if case.listener_silent and httpserver.log] == []
    secrets = [v if isinstance(v, str) else v.decode(errors="replace")
               for case in CASES for data in case.secrets.values() for v in data.values()]
    published = json.dumps([status_of(fake_kube, c.id) for c in CASES]) + json.dumps(
        [fake_kube.list_events(involved_name=c.id) for c in CASES])
    assert [s for s in secrets if s in published and s.isprintable()] == []
