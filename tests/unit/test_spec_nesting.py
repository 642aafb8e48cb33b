"""Deep and large free-form blocks: an InvalidSpec status, never a RecursionError (issue 12)."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest

from tests.faults.fake_runtime import Recorder
from tests.unit.test_spec_properties import _apply
from vault_access_operator.errors import ConfigError, Reason
from vault_access_operator.registry import load_providers
from vault_access_operator.shape import MAX_BLOCK_DEPTH, MAX_SPEC_VALUES, shape_problem, spec_key
from vault_access_operator.validation import validate_spec

REGISTRY = load_providers()


def nested(levels: int, leaf: Any = 1) -> Any:
    """``levels`` maps inside each other, built without recursion."""
    value = leaf
    for _ in range(levels):
        value = {"a": value}
    return value


def spec_with(where: str, block: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"address": "https://v:8200", "auth": {"kubernetes": {"role": "r"}}}
    if where == "auth":
        spec["auth"]["kubernetes"]["extra"] = block
    else:
        spec[where] = block
    return spec


DEEP = [("defaults", 1000), ("defaults", 100_000), ("discovery", 1000), ("auth", 1000), ("auth", 100_000)]
MESSAGES = {
    "defaults": "spec.defaults is nested more than 10 levels deep (at spec.defaults.a.a.a...): flatten it",
    "discovery": "spec.discovery is nested more than 10 levels deep (at spec.discovery.a.a.a...): flatten it",
    "auth": "spec.auth.kubernetes is nested more than 10 levels deep (at spec.auth.kubernetes.extra.a.a...): "
    "flatten it",
}


@pytest.mark.parametrize(("where", "levels"), DEEP)
def test_deep_blocks_are_an_invalid_spec(where: str, levels: int) -> None:
    with pytest.raises(ConfigError) as caught:
        validate_spec(spec_with(where, nested(levels)), REGISTRY)
    assert caught.value.message == MESSAGES[where]


@pytest.mark.parametrize(("where", "levels"), [("defaults", 1000), ("auth", 100_000)])
def test_the_reconciler_reports_a_deep_spec_on_status(where: str, levels: int) -> None:
    recorder = Recorder()
    started = asyncio.run(_apply(spec_with(where, nested(levels)), recorder))
    assert not started
    [status] = recorder.statuses
    assert status["message"] == MESSAGES[where]
    assert [(kind, reason) for kind, reason, _ in recorder.events] == [("Warning", Reason.INVALID_SPEC)]


def test_the_limit_is_ten_levels_inside_each_block() -> None:
    # A map at level 10 is fine (the block itself is level 1); one more is refused.
    assert shape_problem(spec_with("defaults", nested(MAX_BLOCK_DEPTH))) is None
    assert shape_problem(spec_with("defaults", nested(MAX_BLOCK_DEPTH + 1))) is not None
    assert shape_problem(spec_with("auth", nested(MAX_BLOCK_DEPTH - 1))) is None  # kubernetes: level 1, extra: 2
    assert shape_problem(spec_with("auth", nested(MAX_BLOCK_DEPTH))) is not None
    lists: Any = 1
    for _ in range(MAX_BLOCK_DEPTH + 1):
        lists = [lists]
    assert "spec.discovery is nested more than 10 levels" in (shape_problem(spec_with("discovery", lists)) or "")


def test_wide_and_wordy_specs_are_refused() -> None:
    wide = spec_with("defaults", {f"k{i}": i for i in range(MAX_SPEC_VALUES)})
    assert shape_problem(wide) == (
        "spec has more than 2000 values (fields and list items): remove what is not needed")
    wordy = spec_with("defaults", {"text": "x" * 600_000})
    assert shape_problem(wordy) == "spec holds more than 512 KiB of text: remove what is not needed"
    # A long unknown field name is not a shape problem: the operator names the field (clipped elsewhere).
    long_name = spec_with("auth", None)
    long_name["auth"]["kubernetes"] = {"role": "r", "eyJ" * 40_000: 1}
    assert shape_problem(long_name) is None
    with pytest.raises(ConfigError) as caught:
        validate_spec(long_name, REGISTRY)
    assert caught.value.message == "spec.auth.kubernetes." + "eyJ" * 21 + "e...(120000 characters) is not a known field"


def test_many_problems_are_cut_to_the_first_ten() -> None:
    typos = {"address": "https://v", "auth": {"kubernetes": {"role": "r", **{f"x{i}": 1 for i in range(30)}}}}
    with pytest.raises(ConfigError) as caught:
        validate_spec(typos, REGISTRY)
    assert caught.value.message.count("is not a known field") == 10
    assert caught.value.message.endswith("; and 20 more problems")


def test_the_spec_key_ignores_map_order_and_sees_every_difference() -> None:
    one: dict[str, Any] = {"address": "https://v", "auth": {"kubernetes": {"role": "r", "audiences": ["a", "b"]}}}
    reordered = {"auth": {"kubernetes": {"audiences": ["a", "b"], "role": "r"}}, "address": "https://v"}
    assert spec_key(one) == spec_key(reordered)
    variants = [copy.deepcopy(one) for _ in range(5)]
    variants[0]["auth"]["kubernetes"]["audiences"] = ["b", "a"]
    variants[1]["auth"]["kubernetes"]["role"] = "s"
    variants[2]["defaults"] = {"x": 1}
    variants[3]["defaults"] = {"x": "1"}
    variants[4]["defaults"] = {"x": 1.0}
    keys = {spec_key(v) for v in [one, *variants]}
    assert len(keys) == 6
    assert spec_key(nested(100_000)) != spec_key(nested(100_001))


def test_a_huge_auth_method_name_is_refused_and_kept_off_the_status() -> None:
    spec = {"address": "https://v:8200", "auth": {"eyJ" * 40_000: {"role": "r"}}}
    with pytest.raises(ConfigError) as caught:
        validate_spec(spec, REGISTRY)
    assert caught.value.message == (
        "spec.auth must be keyed by an auth method name: letters, digits, _ and - (at most 63 characters)")
    recorder = Recorder()
    assert not asyncio.run(_apply(spec, recorder))
    [status] = recorder.statuses
    assert "eyJeyJ" not in str(status)
