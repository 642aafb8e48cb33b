"""bench.access_floor keeps measuring what it says: a tiny run of each kind of level makes exactly the level's
requests per object (counted by the client, in OpenBao's audit log, and in what the emulator holds), its Vault
documents are the operator's, and a client that leaves a request out is caught."""

from __future__ import annotations

import pytest

from bench import access_floor
from bench.access_floor_client import policy_document, role_payload
from bench.access_objects import Workload, vault_name
from bench.access_objects import policy_document as operators_document
from bench.access_objects import role_payload as operators_payload

OBJECTS = 20


def test_the_floor_client_writes_the_operators_documents_from_the_objects_specs() -> None:
    """bench.access_objects's documents are checked against the operator's code (tests/test_bench_access.py)."""
    workload = Workload(40)
    for i in (0, 7):
        policy, role = workload.policy_manifest(i), workload.role_manifest(i)
        namespace = policy["metadata"]["namespace"]
        assert policy_document(namespace, f"p{i}", policy["spec"], "default") == operators_document(
            namespace, f"p{i}", i)
        assert role_payload(namespace, f"r{i}", role["spec"], "default") == operators_payload(
            namespace, f"r{i}", f"app-{i}", vault_name(namespace, f"p{i}"))


@pytest.mark.parametrize("level", ["write", "contract+watch"])
def test_a_tiny_run_makes_exactly_the_levels_requests(level: str) -> None:
    figures = access_floor.one_level(OBJECTS, level, concurrency=4, timeout=120.0)
    assert figures["problems"] == []
    assert figures["direct_write"]["errors"] == 0 and figures["ratio"] > 0 and figures["ratio_cpu"] > 0
    per_object = figures["floor"]["requests_per_object"]
    assert per_object["kube_status_patch"] == 1.0 and per_object["vault_write"] == 1.0
    assert per_object.get("kube_watch_event", 0) == (2.0 if level == "contract+watch" else 0)
    assert figures["check"]["active"] == OBJECTS and figures["check"]["vault_policies"] == OBJECTS // 2
    assert figures["floor"]["cpu_ms_per_object"]["floor"] > 0
    assert "| 20 | " + level in access_floor.summary([figures])


@pytest.mark.parametrize(("level", "skip", "caught"), [
    ("write", "kube_status_patch", "'active': 0"),  # no object shows Ready
    ("contract", "kube_event_post", "'events': 0"),
])
def test_a_client_that_leaves_a_request_out_fails_the_check(level: str, skip: str, caught: str) -> None:
    problems = access_floor.one_level(OBJECTS, level, concurrency=4, timeout=120.0, skip=skip)["problems"]
    assert any(skip.removeprefix("kube_") in p or "requests per object" in p for p in problems)
    assert any(caught in p for p in problems)
