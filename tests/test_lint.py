"""ruff and mypy are part of the test suite: a lint or type error fails it, with the tools' own output."""

from __future__ import annotations

import subprocess
import sys

from tests.typecheck import ROOT, run_mypy


def test_ruff_finds_nothing() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_finds_nothing() -> None:
    result = run_mypy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout
