"""requirements.lock: the image's Python dependencies, each pinned with its hashes (pip --require-hashes)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
# The image: CPython 3.11 on Linux (x86_64 and aarch64 resolve alike).
IMAGE_ENVIRONMENT = {"python_version": "3.11", "python_full_version": "3.11.16", "sys_platform": "linux",
                     "platform_system": "Linux", "os_name": "posix", "implementation_name": "cpython",
                     "platform_python_implementation": "CPython"}


def lock_entries() -> dict[str, tuple[str, list[str]]]:
    """{canonical name: (pinned version, [hashes])} from the lock, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "requirements.lock").read_text())
    entries: dict[str, tuple[str, list[str]]] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, *options = line.split()
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s;]+)", requirement)
        assert match, f"not pinned with ==: {requirement}"
        hashes = [o.removeprefix("--hash=") for o in options if o.startswith("--hash=")]
        assert len(hashes) == len(options), f"{requirement}: only --hash options belong here, got {options}"
        entries[canonicalize_name(match[1])] = (match[2], hashes)
    return entries


def project() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]  # type: ignore[no-any-return]


def runtime_requirements() -> list[Requirement]:
    found = [Requirement(text) for text in project()["dependencies"]]  # type: ignore[attr-defined]
    return [r for r in found if r.marker is None or r.marker.evaluate(IMAGE_ENVIRONMENT)]


def test_every_entry_is_pinned_with_sha256_hashes() -> None:
    entries = lock_entries()
    assert len(entries) > 10
    for name, (_, hashes) in entries.items():
        assert hashes, f"{name} has no --hash (pip --require-hashes refuses the whole lock)"
        assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), name


def test_the_lock_covers_every_runtime_dependency_at_an_allowed_version() -> None:
    entries = lock_entries()
    for requirement in runtime_requirements():
        name = canonicalize_name(requirement.name)
        assert name in entries, f"{requirement.name} (pyproject.toml) is missing from requirements.lock: refresh it"
        version = entries[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"requirements.lock pins {name}=={version}, outside pyproject.toml's {requirement}: refresh it")


def direct_entries() -> set[str]:
    """Lock entries the project itself requires (uv's ``# via vault-access-operator (pyproject.toml)``)."""
    found: set[str] = set()
    current: str | None = None
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if match := re.match(r"([A-Za-z0-9._-]+)==", line):
            current = canonicalize_name(match[1])
        elif current and re.fullmatch(r"#\s+(via\s+)?vault-access-operator \(pyproject\.toml\)", line.strip()):
            found.add(current)
    return found


def test_only_runtime_dependencies_are_locked_directly() -> None:
    """Not the test or testing extras: what the project asks for directly is its runtime dependencies
    (cryptography, say, is in both an extra and the lock, but only because kopf needs it)."""
    assert direct_entries() == {canonicalize_name(r.name) for r in runtime_requirements()}
    assert canonicalize_name(str(project()["name"])) not in lock_entries()
