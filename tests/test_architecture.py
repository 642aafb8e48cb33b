"""The import rules of docs/architecture.md, checked on the source with ``ast``.

Each test names the offending file, line and import, so that a failure says what to move.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "vault_access_operator"
PUBLIC = f"{PACKAGE}.plugin"
KIT = f"{PACKAGE}.testing"

#: The layers, lowest first: a module imports from its own layer or a lower one. Modules of core/ not
#: named here are core services (layer 1); core/testing/ stands outside (rules of its own, below).
CONTRACT = 0
SERVICE = 1
RUNTIME = 2
APP = 3
CLI = 4
LAYERS: dict[str, int] = {
    **dict.fromkeys(
        ("errors", "clip", "fields", "durations", "provider", "contract", "hookspecs", "models", "spec_model",
         "tenancy_spec", "access_spec", "bodies", "role_writer"),
        CONTRACT,
    ),
    # The connection registry sits beside the manager: it hands other controllers the runtimes' sessions.
    **dict.fromkeys(("runtime", "runtime_login", "runtime_deps", "manager", "connections", "connection_handle",
                     "borrowed"), RUNTIME),
    **dict.fromkeys(("app", "app_entry", "operator_config", "connection_reporters", "handlers", "startup"), APP),
    **dict.fromkeys(("cli", "cli_extensions", "crd", "apidocs"), CLI),
}
#: What importing the public plugin module must never load: the operator's machinery.
RUNTIME_MODULES = ("runtime", "manager", "app", "handlers", "cli", "startup", "context", "session", "vault", "kube")


def _imports(path: Path, package: str) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``, ``package`` being the file's own package."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names = [f"{module}.{alias.name}" for alias in node.names] if not node.module else [module]
            for name in names:
                yield node.lineno, name


def _package_of(path: Path, source: Path, package: str) -> str:
    """The package a file under ``source`` belongs to (a module's and an ``__init__``'s are both its folder)."""
    return ".".join([*([package] if package else []), *path.relative_to(source).parent.parts])


def _core_name(module: str) -> str | None:
    """``runtime`` for ``vault_access_operator.runtime.X``; None for other packages, testing and plugins."""
    parts = module.split(".")
    if parts[0] != PACKAGE or len(parts) < 2 or parts[1] in ("plugins", "testing", "plugin"):
        return None
    return parts[1]


def _violations_outside_api(folder: Path, allowed: tuple[str, ...], package: str = "") -> list[str]:
    """Imports of the operator's package, outside ``allowed``, by the files under ``folder`` (a plugin's source)."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        own = _package_of(path, folder, package)
        own_plugin = own.split(".")[:3]  # vault_access_operator.plugins.<name>: a built-in plugin's own package
        for line, module in _imports(path, own):
            if not module.startswith(PACKAGE) or module.split(".")[:3] == own_plugin:
                continue
            if not any(module == a or module.startswith(a + ".") for a in allowed):
                found.append(f"{path.relative_to(folder.parent)}:{line} imports {module}")
    return found


def test_built_in_plugins_import_only_the_public_plugin_module() -> None:
    found = _violations_outside_api(ROOT / "plugins", (PUBLIC,), f"{PACKAGE}.plugins")
    assert not found, f"plugins may import only {PUBLIC} (docs/architecture.md):\n" + "\n".join(found)


def test_the_example_plugin_imports_only_the_public_module_and_the_kit() -> None:
    example = ROOT / "examples" / "vault-access-operator-userpass"
    found = _violations_outside_api(example / "src", (PUBLIC,))
    found += _violations_outside_api(example / "tests", (PUBLIC, KIT))
    assert not found, f"the example plugin may import only {PUBLIC} (and {KIT} in tests):\n" + "\n".join(found)


def test_the_check_names_an_offending_import(tmp_path: Path) -> None:
    plugin = tmp_path / "acme" / "__init__.py"
    plugin.parent.mkdir()
    plugin.write_text(
        "from vault_access_operator.plugin import AuthProvider\nfrom . import own\n"
        "from vault_access_operator.models import SpecModel\n"
    )
    found = _violations_outside_api(tmp_path, (PUBLIC,))
    assert [f.rsplit(" imports ", 1)[1] for f in found] == ["vault_access_operator.models"]
    assert found[0].endswith("acme/__init__.py:3 imports vault_access_operator.models")


def _core_files() -> Iterator[tuple[Path, str]]:
    for path in sorted((ROOT / "core").glob("*.py")):
        yield path, path.stem


def test_core_does_not_import_the_test_kit() -> None:
    found = [
        f"core/{path.name}:{line} imports {module}"
        for path, name in _core_files()
        if name != "demo"  # the demo runs the emulator and OpenBao: it is the harness's user
        for line, module in _imports(path, PACKAGE)
        if module == KIT or module.startswith(KIT + ".")
    ]
    assert not found, "only core/testing/ itself and the demo may import the test kit:\n" + "\n".join(found)


def test_each_layer_imports_only_its_own_and_lower_layers() -> None:
    found = []
    for path, name in _core_files():
        if name in ("__init__", "plugin"):
            continue  # the facades: checked below
        layer = LAYERS.get(name, SERVICE)
        for line, module in _imports(path, PACKAGE):
            target = _core_name(module)
            if target is not None and LAYERS.get(target, SERVICE) > layer:
                found.append(f"core/{path.name}:{line} (layer {layer}) imports {module} (layer {LAYERS[target]})")
    assert not found, "a lower layer imports a higher one (docs/architecture.md):\n" + "\n".join(found)


def test_the_public_plugin_module_loads_no_runtime_module() -> None:
    direct = [
        f"core/plugin.py:{line} imports {module}"
        for line, module in _imports(ROOT / "core" / "plugin.py", PACKAGE)
        if _core_name(module) in RUNTIME_MODULES
    ]
    assert not direct, "\n".join(direct)
    code = (
        f"import sys, {PUBLIC}; "
        f"print(' '.join(sorted(m for m in sys.modules if m.startswith('{PACKAGE}.'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    assert PUBLIC in loaded
    heavy = [m for m in loaded if _core_name(m) in RUNTIME_MODULES]
    assert not heavy, f"importing {PUBLIC} loads the operator's runtime: {heavy}"


def test_the_package_root_exports_only_the_version() -> None:
    import vault_access_operator

    assert vault_access_operator.__all__ == ["__version__"]
