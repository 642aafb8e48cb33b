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


def test_slim_python_311_base() -> None:
    froms = [args for word, args in instructions() if word == "FROM"]
    assert froms == ["python:3.11-slim"]


def test_runs_as_a_numeric_non_root_user() -> None:
    user = last("USER")
    assert re.fullmatch(r"\d+(:\d+)?", user), "numeric, so runAsNonRoot can verify it"
    assert int(user.split(":")[0]) == 65532
    order = [word for word, _ in instructions()]
    assert order.index("USER") > max(i for i, word in enumerate(order) if word == "RUN"), "nothing runs as root after"


def test_entrypoint_runs_the_operator() -> None:
    assert json.loads(last("ENTRYPOINT")) == ["vault-access-operator", "run"]


def test_installs_this_repository() -> None:
    copies = [args for word, args in instructions() if word == "COPY"]
    copied = {source for args in copies for source in args.split()[:-1]}
    assert {"pyproject.toml", "README.md", "core/", "plugins/"} <= copied
    runs = " ".join(args for word, args in instructions() if word == "RUN")
    assert re.search(r"pip install --no-cache-dir \.(\s|$)", runs)


def test_dockerignore_lets_only_the_package_sources_in() -> None:
    lines = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")]
    assert lines[0] == "*"
    assert {"!pyproject.toml", "!README.md", "!core/", "!plugins/"} <= set(lines)


def test_exposes_the_ports_the_chart_uses() -> None:
    assert set(last("EXPOSE").split()) == {"8080", "9090"}
