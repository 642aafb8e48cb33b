"""The hostile-input table: every row is a VaultConnection an attacker (or a careless author) could write.

One operator (the real kopf handlers, default trust policy) serves every row in turn, beside a healthy
canary connection. For each row the runner asserts the exact outcome on status and in an event, that
nothing reached the address the spec chose (a listener standing in for an attacker's Vault), that no
secret reached the listener, status, events or logs, and that the canary kept passing its checks.
Rows live in ``cases_*.py`` beside this file, one module per area, so they are easy to find and extend.
"""

from __future__ import annotations

import base64
import importlib
import json
import logging
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest

import tests.hostile
from tests.conftest import OPERATOR_NS, OPERATOR_SA, trust_the_operator
from tests.hostile.case import HostileCase
from tests.support.listener import Listener
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.session import VaultSession
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.waiting import wait_for

CANARY = "canary"


def _case_modules() -> list[Any]:
    return [importlib.import_module(f"tests.hostile.{module.name}")
            for module in pkgutil.iter_modules(tests.hostile.__path__) if module.name.startswith("cases_")]


def _all_cases() -> list[HostileCase]:
    cases: list[HostileCase] = []
    for module in _case_modules():
        cases.extend(module.CASES)
    ids = [case.id for case in cases]
    assert len(ids) == len(set(ids)), "two hostile cases share an id"
    return cases


class LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="module")
def stack() -> Iterator[dict[str, Any]]:
    capture = LogCapture()
    root = logging.getLogger()
    root.addHandler(capture)  # before the operator starts, so its redaction filter is attached here too
    with Listener() as listener, FakeKube() as kube, OpenBaoServer("dev") as vault:
        kube.create_service_account(OPERATOR_NS, OPERATOR_SA)
        trust_the_operator(vault, kube)
        for module in _case_modules():  # a cases module may set up what its rows need in "{vault}"
            if hasattr(module, "prepare_vault"):
                module.prepare_vault(vault)
        identity = OperatorIdentity(namespace=OPERATOR_NS, service_account=OPERATOR_SA, token_file="/nonexistent")
        with run_operator(kube.connection_info(), identity=identity, backoff=Backoff(base=0.2, cap=2.0)) as operator:
            canary = {"address": vault.url, "auth": {"kubernetes": {"role": "operator"}}, "healthCheckInterval": "1s"}
            kube.create_vaultconnection(CANARY, canary)
            wait_for(lambda: _status(kube, CANARY).get("phase") == "Active", timeout=30, message="canary never Active")
            yield {"kube": kube, "vault": vault, "listener": listener, "operator": operator, "logs": capture}
    root.removeHandler(capture)


def _status(kube: FakeKube, name: str) -> dict[str, Any]:
    return (kube.get_vaultconnection(name) or {}).get("status") or {}


def _ready_reason(status: dict[str, Any]) -> str | None:
    return next((c.get("reason") for c in status.get("conditions", []) if c.get("type") == "Ready"), None)


def _same_text(event: str, message: str) -> bool:
    """An event carries the status message, or its head when the message is longer than an event holds."""
    head, clipped, _ = event.rpartition("… (")
    return event == message or (bool(clipped) and event.endswith(" more characters)") and message.startswith(head))


def _canary_checks(operator: RunningOperator) -> float:
    value = operator.app.metrics.registry.get_sample_value(
        "vault_access_operator_health_checks_total", {"connection": CANARY, "result": "success"}
    )
    return value or 0.0


def _substitute(value: Any, places: dict[str, str]) -> Any:
    if isinstance(value, str):
        for placeholder, real in places.items():
            value = value.replace(placeholder, real)
        return value
    if isinstance(value, dict):
        return {_substitute(k, places): _substitute(v, places) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, places) for v in value]
    return value


def _create_secrets(kube: FakeKube, secrets: dict[str, dict[str, str | bytes]]) -> list[str]:
    values = []
    for ref, data in secrets.items():
        namespace, name = ref.split("/", 1)
        kube.ensure_namespace(namespace)
        encoded = {}
        for key, value in data.items():
            raw = value if isinstance(value, bytes) else value.encode()
            encoded[key] = base64.b64encode(raw).decode()
            if isinstance(value, str) and len(value) >= 8:
                values.append(value)
        if kube.get("secrets", name, namespace) is not None:  # rows may reuse a name with other data
            kube.delete("secrets", name, namespace)
        kube.create("secrets", {"metadata": {"name": name}, "type": "Opaque", "data": encoded}, namespace)
    return values


CASES = _all_cases()


def test_the_table_has_the_rows_issue_12_lists_and_ten_more() -> None:
    assert len(CASES) >= 25, [case.id for case in CASES]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_input(stack: dict[str, Any], case: HostileCase) -> None:
    kube: FakeKube = stack["kube"]
    listener: Listener = stack["listener"]
    operator: RunningOperator = stack["operator"]
    name = f"hostile-{CASES.index(case)}"
    secret_values = _create_secrets(kube, case.secrets)
    spec = _substitute(case.spec, {"{listener}": listener.url, "{vault}": stack["vault"].url})
    seen_before = len(listener.received)
    checks_before = _canary_checks(operator)
    log_start = len(stack["logs"].lines)

    kube.create_vaultconnection(name, spec)
    try:
        status = wait_for(
            lambda: (s := _status(kube, name)).get("phase") == case.phase and _ready_reason(s) == case.reason and s,
            timeout=20,
            message=f"{case.id}: never {case.phase}/{case.reason}: {_status(kube, name)}",
        )
        assert status  # wait_for returns only a truthy value
        assert case.message in status.get("message", ""), status.get("message")
        assert len(status.get("message", "")) <= 4096, "a status message must stay short whatever the input"
        if case.phase == "Error":
            events = kube.list_events(involved_name=name, reason=case.reason)
            assert any(_same_text(e.get("message", ""), status["message"]) for e in events), events
        # The canary kept being checked (once a second) while this row was handled.
        wait_for(lambda: _canary_checks(operator) >= checks_before + 1, timeout=15, message="the canary stalled")
        assert _status(kube, CANARY).get("phase") == "Active"
    finally:
        kube.delete_vaultconnection(name)
        wait_for(lambda: kube.get_vaultconnection(name) is None, timeout=10, message=f"{name} not deleted")

    seen_after, received = len(listener.received), listener.data
    if case.listener_silent:
        assert seen_after == seen_before, f"{case.id}: the spec's address was contacted"
    exposed = {
        "listener": received.decode(errors="replace"),
        "status": json.dumps(status),
        "events": json.dumps(kube.list_events(involved_name=name)),
        "logs": "\n".join(stack["logs"].lines[log_start:]),
    }
    runtime = operator.app.manager.runtime(CANARY)
    session = runtime.session if runtime is not None else None
    assert session is None or isinstance(session, VaultSession)  # the operator's own session
    grant = session._grant if session is not None else None
    operator_secrets = {minted.token for minted in kube.tokens.minted} | ({grant.token} if grant else set())
    for secret in operator_secrets:
        assert secret not in exposed["listener"], f"{case.id}: an operator token reached the spec's address"
    for where, text in exposed.items():
        for secret in secret_values:
            assert secret not in text, f"{case.id}: a Secret's value reached the {where}"
