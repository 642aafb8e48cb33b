"""Type-check the package as it is installed: ``.venv/bin/python -m tests.typecheck``.

mypy cannot see through the editable install's import hook, and core/ and plugins/ are not laid out
as ``vault_access_operator`` on disk; a tree of links under .mypy_cache gives it that layout, next to the
development kit (devkit/vault_access_operator_devkit). The tests (tests/) and the benchmarks (bench/) are
checked with them, from the repository's root, against that tree. Settings are pyproject.toml's [tool.mypy].
Paths in the output are the repository's (core/..., plugins/..., devkit/..., tests/..., bench/...).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".mypy_cache"
PACKAGE = "vault_access_operator"
DEVKIT = "vault_access_operator_devkit"


def link_tree() -> Path:
    """``<cache>/src/vault_access_operator``: links to core/'s entries, with plugins/ as its ``plugins``;
    ``<cache>/src/vault_access_operator_devkit``: a link to the devkit's package."""
    source = CACHE / "src"
    shutil.rmtree(source, ignore_errors=True)
    package = source / PACKAGE
    package.mkdir(parents=True)
    for entry in (ROOT / "core").iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    (package / "plugins").symlink_to(ROOT / "plugins")
    (source / DEVKIT).symlink_to(ROOT / "devkit" / DEVKIT)
    return source


def run_mypy() -> subprocess.CompletedProcess[str]:
    source = link_tree()
    command = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
               "--cache-dir", str(CACHE), "-p", PACKAGE, "-p", DEVKIT, "-p", "tests", "-p", "bench"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "MYPYPATH": str(source)})
    output = (result.stdout.replace(f"{source.relative_to(ROOT)}/", "").replace(f"{DEVKIT}/", f"devkit/{DEVKIT}/")
              .replace(f"{PACKAGE}/plugins/", "plugins/").replace(f"{PACKAGE}/", "core/"))
    return subprocess.CompletedProcess(result.args, result.returncode, output, result.stderr)


if __name__ == "__main__":
    outcome = run_mypy()
    print(outcome.stdout + outcome.stderr, end="")
    sys.exit(outcome.returncode)
