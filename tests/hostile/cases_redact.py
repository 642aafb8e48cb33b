"""Hostile-input rows for masking and clipping: texts of any length end as short, clear status messages."""

from __future__ import annotations

from tests.hostile.case import HostileCase

_EYJ_NAME = "eyJ" * 40_000  # 120,000 characters: froze the operator for ~27 s with the quadratic JWT pattern

CASES: list[HostileCase] = [
    HostileCase(
        id="redact-120k-eyJ-unknown-field-in-kubernetes-block",
        spec={"address": "{listener}", "auth": {"kubernetes": {"role": "operator", _EYJ_NAME: "x"}}},
        reason="InvalidSpec",
        message="...(120000 characters) is not a known field",
    ),
    HostileCase(
        id="redact-120k-eyJ-auth-method-name",
        spec={"address": "{listener}", "auth": {_EYJ_NAME: {"role": "operator"}}},
        reason="InvalidSpec",
        message="spec.auth must be keyed by an auth method name: letters, digits, _ and - (at most 63 characters)",
    ),
    HostileCase(
        id="redact-thousand-unknown-fields",
        spec={
            "address": "{listener}",
            "auth": {"kubernetes": {"role": "operator", **{f"f{i}-" + "eyJ" * 100: i for i in range(1000)}}},
        },
        reason="InvalidSpec",
        message="; and 990 more problems",
    ),
]
