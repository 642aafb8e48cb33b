"""The Dockerfile (no container engine here: it is checked by reading it)."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [(word.upper(), rest.strip()) for word, _, rest in
            (line.partition(" ") for line in lines if line and not line.startswith("#"))]


def last(name: str) -> str:
    return [args for word, args in instructions() if word == name][-1]


def test_every_base_image_is_pinned_by_digest() -> None:
    """A tag moves; a digest names one image. The base is slim Python 3.11 on Debian bookworm."""
    froms = [args for word, args in instructions() if word == "FROM"]
    assert froms, "no FROM line"
    for base in froms:
        assert re.fullmatch(r"\S+@sha256:[0-9a-f]{64}( AS \S+)?", base, re.IGNORECASE), base
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim-bookworm@sha256:[0-9a-f]{64}", froms[-1])


def test_runs_as_a_numeric_non_root_user() -> None:
    user = last("USER")
    assert re.fullmatch(r"\d+(:\d+)?", user), "numeric, so runAsNonRoot can verify it"
    assert int(user.split(":")[0]) == 65532
    order = [word for word, _ in instructions()]
    assert order.index("USER") > max(i for i, word in enumerate(order) if word == "RUN"), "nothing runs as root after"


def test_entrypoint_runs_the_operator() -> None:
    assert json.loads(last("ENTRYPOINT")) == ["vault-access-operator", "run"]


def test_installs_the_hashed_lock_then_this_repository_without_resolving() -> None:
    copies = [args for word, args in instructions() if word == "COPY"]
    copied = {source for args in copies for source in args.split()[:-1]}
    assert {"requirements.lock", "pyproject.toml", "README.md", "core/", "plugins/"} <= copied
    installs = [command for word, args in instructions() if word == "RUN"
                for command in re.split(r"\s*&&\s*", args) if command.startswith("pip install")]
    assert installs == [
        "pip install --no-cache-dir --require-hashes -r requirements.lock",
        # --no-deps: nothing beyond the lock; --no-build-isolation: no unpinned build backend download.
        "pip install --no-cache-dir --no-deps --no-build-isolation .",
    ]


def test_dockerignore_lets_only_the_package_sources_in() -> None:
    lines = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")]
    assert lines[0] == "*"
    assert {"!pyproject.toml", "!README.md", "!core/", "!plugins/", "!requirements.lock"} <= set(lines)


def test_exposes_the_ports_the_chart_uses() -> None:
    assert set(last("EXPOSE").split()) == {"8080", "9090"}
