"""Every property test runs under the shared-machine profile: no timing health check, no deadline."""

from __future__ import annotations

import ast
from pathlib import Path

from hypothesis import HealthCheck, settings

TESTS = Path(__file__).resolve().parents[1]


def test_the_shared_machine_profile_is_loaded() -> None:
    profile = settings.default
    assert profile is not None
    assert profile.deadline is None
    assert HealthCheck.too_slow in profile.suppress_health_check


def test_no_test_brings_a_deadline_or_the_too_slow_check_back() -> None:
    offenders = []
    for path in TESTS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "settings":
                keywords = {keyword.arg: keyword.value for keyword in node.keywords}
                deadline = keywords.get("deadline")
                if deadline is not None and not (isinstance(deadline, ast.Constant) and deadline.value is None):
                    offenders.append(f"{path.relative_to(TESTS)}:{node.lineno} sets a deadline")
                checks = keywords.get("suppress_health_check")
                if checks is not None and "too_slow" not in ast.unparse(checks):
                    offenders.append(f"{path.relative_to(TESTS)}:{node.lineno} re-enables HealthCheck.too_slow")
    assert not offenders, "; ".join(offenders)
