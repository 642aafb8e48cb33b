"""The emulator's JSON patch: the same result as jsonpatch on a deep copy, without changing or copying the original."""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vault_access_operator_devkit.kube_patch import json_patch

STORED: dict[str, Any] = {
    "metadata": {"name": "vc", "finalizers": ["a", "b"], "labels": {"x": "1"}},
    "spec": {"address": "http://vault:8200", "auth": {"kubernetes": {"role": "r", "audiences": ["vault"]}}},
    "status": {"phase": "Pending", "conditions": [{"type": "Ready", "status": "False"}]},
}

CASES = [
    [{"op": "add", "path": "/status", "value": {"phase": "Active"}}],
    [{"op": "remove", "path": "/metadata/finalizers/0"}],
    [{"op": "replace", "path": "/spec/auth/kubernetes/audiences/0", "value": "other"}],
    [{"op": "add", "path": "/metadata/finalizers/-", "value": "c"}],
    [{"op": "test", "path": "/metadata/name", "value": "vc"}, {"op": "remove", "path": "/metadata/labels/x"}],
    # later operations change what earlier ones added or moved: those containers must be owned too
    [{"op": "add", "path": "/extra", "value": {"list": []}}, {"op": "add", "path": "/extra/list/-", "value": 1}],
    [{"op": "move", "from": "/spec/auth", "path": "/moved"}, {"op": "remove", "path": "/moved/kubernetes/role"}],
    [{"op": "copy", "from": "/status/conditions", "path": "/copied"},
     {"op": "replace", "path": "/copied/0/status", "value": "True"}],
]


@pytest.mark.parametrize("operations", CASES)
def test_same_result_as_jsonpatch_and_the_stored_object_is_untouched(operations: list[dict[str, Any]]) -> None:
    stored, before = copy.deepcopy(STORED), copy.deepcopy(STORED)
    expected = jsonpatch.apply_patch(copy.deepcopy(STORED), operations)
    assert json_patch(stored, operations) == expected
    assert stored == before


def test_what_a_patch_does_not_change_stays_shared() -> None:
    stored = copy.deepcopy(STORED)
    patched = json_patch(stored, [{"op": "add", "path": "/status", "value": {"phase": "Active"}}])
    assert patched is not stored
    assert patched["spec"] is stored["spec"] and patched["metadata"] is stored["metadata"]


def test_a_failed_test_operation_raises_and_changes_nothing() -> None:
    stored, before = copy.deepcopy(STORED), copy.deepcopy(STORED)
    with pytest.raises(jsonpatch.JsonPatchTestFailed):
        json_patch(stored, [{"op": "remove", "path": "/metadata/finalizers/0"},
                            {"op": "test", "path": "/metadata/name", "value": "other"}])
    assert stored == before


POINTERS = st.sampled_from(["/status", "/status/phase", "/status/conditions/0", "/status/conditions/-",
                            "/metadata/finalizers/1", "/metadata/labels/y", "/spec/auth/kubernetes", "/new"])
OPERATIONS: st.SearchStrategy[list[dict[str, Any]]] = st.lists(st.fixed_dictionaries({
    "op": st.sampled_from(["add", "remove", "replace", "move", "copy"]),
    "path": POINTERS, "from": POINTERS,
    "value": st.one_of(st.integers(), st.text(max_size=3), st.just({"k": [1]}), st.just([]))}), max_size=4)


@given(OPERATIONS)
def test_any_patch_matches_jsonpatch_or_fails_as_it_does(operations: list[dict[str, Any]]) -> None:
    stored, before = copy.deepcopy(STORED), copy.deepcopy(STORED)
    try:
        expected: Any = jsonpatch.apply_patch(copy.deepcopy(STORED), operations)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as e:
        expected = type(e)
    try:
        result: Any = json_patch(stored, operations)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as e:
        result = type(e)
    assert result == expected
    assert stored == before
