"""Property-based tests of the spec models: no spec crashes the reconciler, every bad spec gets a message.

Specs are what the Kubernetes API hands the operator: JSON (string keys; int64 integers; finite floats).
Much of the spec reaches the operator unchecked by the CRD schema (``spec.auth.<method>`` preserves
unknown fields), so anything JSON can say is fair game.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.faults.fake_runtime import Recorder, run_runtime
from vault_access_operator.context import CoreAuthContext, OperatorIdentity
from vault_access_operator.durations import DURATION_PATTERN
from vault_access_operator.errors import Reason, VaultAccessError
from vault_access_operator.lifecycle import MIN_DELAY
from vault_access_operator.manager import ConnectionManager
from vault_access_operator.registry import load_providers
from vault_access_operator.runtime_deps import RuntimeDeps
from vault_access_operator.status import VaultConnectionStatus
from vault_access_operator.validation import ValidatedConnection, validate_spec

REGISTRY = load_providers()
PROPERTIES = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- strategies ---------------------------------------------------------------------------------

FIELDS = ["address", "tls", "auth", "healthCheckInterval", "defaults", "discovery", "caSecretRef", "skipVerify",
          "name", "namespace", "key", "role", "authPath", "tokenDuration", "audiences", "serviceAccount",
          "renewalStrategy", "jwtSecretRef", "source", "kubernetes", "jwt", "oidc", "aws", "appRole"]
scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
           | st.sampled_from(["", "30s", "0s", "1h", "-1s", "https://vault:8200", "http://", "reauth", "ns/sa"]))
keys = st.sampled_from(FIELDS) | st.text(max_size=10)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4), max_leaves=12
)

VALID_SPECS: list[dict[str, Any]] = [
    {"address": "https://vault.example.com:8200", "auth": {"kubernetes": {"role": "r"}}},
    {"address": "https://127.0.0.1:8200", "healthCheckInterval": "1m30s",
     "tls": {"caSecretRef": {"name": "ca", "namespace": "ns", "key": "ca.crt"}, "skipVerify": False},
     "auth": {"kubernetes": {"role": "r", "authPath": "k8s", "tokenDuration": "1h", "audiences": ["vault"],
                             "serviceAccount": "ns/sa", "renewalStrategy": "reauth"}}},
    {"address": "https://vault:8200", "auth": {"jwt": {"role": "r", "jwtSecretRef": {"name": "s", "key": "t"}}}},
    {"address": "https://vault:8200", "auth": {"oidc": {"role": "r", "audiences": ["a"]}}},
    {"address": "https://vault:8200", "auth": {"aws": {"role": "r"}}, "defaults": {}, "discovery": {"x": 1}},
]
VALID_SPECS = [s for s in VALID_SPECS if next(iter(s["auth"])) in REGISTRY.providers]


def _dict_nodes(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if isinstance(node, dict) else []
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        found += _dict_nodes(child, (*path, key))
    return found


@st.composite
def mutated_specs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid spec with a few random edits: a key set to any value, removed, or added."""
    spec: dict[str, Any] = copy.deepcopy(draw(st.sampled_from(VALID_SPECS)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(_dict_nodes(spec)))
        node: Any = spec
        for part in path:
            node = node[part]
        if node and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(node)))
            if draw(st.booleans()):
                del node[key]
            else:
                node[key] = draw(json_values)
        else:
            node[draw(keys)] = draw(json_values)
    return spec


specs = st.dictionaries(keys, json_values, max_size=6) | mutated_specs()

# --- validation -----------------------------------------------------------------------------------


@PROPERTIES
@given(specs)
def test_validation_accepts_or_explains(raw: dict[str, Any]) -> None:
    try:
        validated = validate_spec(raw, REGISTRY)
    except VaultAccessError as error:  # any other exception fails the test
        assert error.message.strip(), raw
        assert error.reason in (Reason.INVALID_SPEC, Reason.PLUGIN_UNAVAILABLE)
        assert not error.retryable  # only an edit fixes a bad spec: no retry loop
        return
    assert isinstance(validated, ValidatedConnection)
    assert validated.mount and validated.method in REGISTRY.providers


@PROPERTIES
@given(mutated_specs())
def test_validation_is_deterministic(raw: dict[str, Any]) -> None:
    def outcome() -> str:
        try:
            return repr(validate_spec(copy.deepcopy(raw), REGISTRY).spec)
        except VaultAccessError as error:
            return error.message

    assert outcome() == outcome()


# --- the reconciler (ConnectionManager.apply) with a recording status sink ---------------------------


async def _apply(raw: dict[str, Any], recorder: Recorder) -> bool:
    """Apply ``raw``; True when it got a runtime. The runtime's task is cancelled before its first step,
    so no Vault I/O happens (the context is never asked for Kubernetes or HTTP access)."""
    def context(name: str) -> CoreAuthContext:
        return CoreAuthContext(name, OperatorIdentity(), kube=None, session_factory=None)  # type: ignore[arg-type]

    deps = RuntimeDeps(context_factory=context, reporter_factory=recorder.reporter)
    manager = ConnectionManager(REGISTRY, deps)
    try:
        await manager.apply("prop", 1, raw)  # never suspends before returning, so the task has not run yet
        for task in asyncio.all_tasks():
            if task.get_name() == "vaultconnection/prop":
                task.cancel()
        return manager.runtime("prop") is not None
    finally:
        await manager.stop_all(revoke=False)


@PROPERTIES
@given(specs)
def test_the_reconciler_never_raises_and_every_invalid_spec_gets_a_status_message(raw: dict[str, Any]) -> None:
    recorder = Recorder()
    started = asyncio.run(_apply(copy.deepcopy(raw), recorder))
    try:
        validate_spec(copy.deepcopy(raw), REGISTRY)
        rejected = False
    except VaultAccessError:
        rejected = True
    assert started is not rejected
    if not rejected:
        return
    assert len(recorder.statuses) == 1, recorder.statuses
    status = recorder.statuses[0]
    VaultConnectionStatus.model_validate(status)  # the status fits its own schema
    assert status["phase"] == "Error" and status["healthy"] is False and status["message"].strip()
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "False" and ready["reason"] in (Reason.INVALID_SPEC, Reason.PLUGIN_UNAVAILABLE)
    assert ready["message"] == status["message"]
    assert [(kind, reason) for kind, reason, _ in recorder.events] == [("Warning", ready["reason"])]


# --- a validated spec must also be runnable ------------------------------------------------------------


def test_a_healthy_connection_stays_active_on_the_fake_clock() -> None:
    run = run_runtime(REGISTRY, "30s", steps=12)
    assert [s["phase"] for s in run.statuses] == ["Active"]  # a quick first login: its outcome only


@settings(max_examples=50, deadline=None)
@example("100000000000h")
@example("9" * 400 + "s")
@example("1ns")
@example("1ms")
@given(st.from_regex(DURATION_PATTERN, fullmatch=True))
def test_every_interval_the_crd_allows_is_rejected_or_runs_sanely(interval: str) -> None:
    spec = {"address": "https://vault:8200", "auth": {"kubernetes": {"role": "r"}}, "healthCheckInterval": interval}
    try:
        validate_spec(spec, REGISTRY)
    except VaultAccessError as error:
        assert "spec.healthCheckInterval" in error.message
        return
    horizon = 120.0  # seconds of fake time
    run = run_runtime(REGISTRY, interval, seconds=horizon, steps=400)
    assert all(s["phase"] in ("Pending", "Active") for s in run.statuses), [s["message"] for s in run.statuses]
    lookups = sum(1 for what, _ in run.calls if what == "lookup")
    assert lookups <= horizon / MIN_DELAY + 2, f"{lookups} token lookups in {horizon:.0f}s"
