"""Files generated from the chart, and the test helpers that check them.

    python -m tests.docs.generate chart-readme   # rewrites the values table of charts/vault-access-operator/README.md
    python -m tests.docs.generate manifest       # rewrites docs/manifests/vault-access-operator.yaml

The chart README's values table comes from the ``# --`` comments of values.yaml (helm-docs' convention): every
key has one, or sits under a mapping that has one (a row for the whole mapping), so a value nobody documented
cannot be added. The manifest is what the chart installs with its default values, for installing without Helm.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts/vault-access-operator"
VALUES = CHART / "values.yaml"
CHART_README = CHART / "README.md"
MANIFEST = ROOT / "docs/manifests/vault-access-operator.yaml"
RELEASE, NAMESPACE = "vault-access-operator", "vault-access-operator-system"
TABLE_START, TABLE_END = "<!-- values table: generated from values.yaml -->", "<!-- end of values table -->"

_KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_]+):(?:\s|$)")
_COMMENT = re.compile(r"^(?P<indent> *)# ?(?P<text>.*)$")


@dataclasses.dataclass(frozen=True)
class ValueDoc:
    """One row of the values table: a key path, its default (as JSON) and its ``# --`` description."""

    key: str
    default: str
    description: str


def value_comments(text: str) -> dict[str, str]:
    """``dotted.key -> description`` for every key preceded by a ``# --`` comment (continued by ``#`` lines)."""
    found: dict[str, str] = {}
    stack: list[tuple[int, str]] = []  # (indent, key) of the mappings the current line is inside
    pending: list[str] | None = None
    for line in text.splitlines():
        comment = _COMMENT.match(line)
        if comment:
            body = comment["text"]
            if body.startswith("-- "):
                pending = [body[3:].strip()]
            elif pending is not None:
                pending.append(body.strip())
            continue
        key = _KEY.match(line)
        if not key:
            if line.strip():
                pending = None  # a list item or a continued value: a comment above it documents no key
            continue
        indent = len(key["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = ".".join([*(k for _, k in stack), key["key"]])
        stack.append((indent, key["key"]))
        if pending is not None:
            found[path] = " ".join(pending)
        pending = None
    return found


def value_docs(text: str) -> list[ValueDoc]:
    """The rows of the values table, in values.yaml's order; ValueError names a key without a description."""
    comments, values = value_comments(text), yaml.safe_load(text)
    rows: list[ValueDoc] = []
    missing: list[str] = []

    def walk(mapping: dict[str, Any], prefix: str) -> None:
        for key, value in mapping.items():
            path = f"{prefix}{key}"
            below = [c for c in comments if c.startswith(path + ".")]
            if isinstance(value, dict) and value and below:  # a section: its keys have rows of their own
                if path in comments:
                    rows.append(ValueDoc(path, "", comments[path]))
                walk(value, path + ".")
            elif path in comments:
                rows.append(ValueDoc(path, json.dumps(value, separators=(", ", ": ")), comments[path]))
            elif isinstance(value, dict) and value:
                walk(value, path + ".")
            else:
                missing.append(path)

    walk(values, "")
    if missing:
        raise ValueError("values.yaml: no '# --' comment documents " + ", ".join(missing))
    return rows


def values_table(text: str) -> str:
    lines = ["| Key | Default | Description |", "|---|---|---|"]
    for row in value_docs(text):
        default = f"`{row.default}`" if row.default else ""
        description = row.description.replace("|", "\\|")
        lines.append(f"| `{row.key}` | {default} | {description} |")
    return "\n".join(lines)


def chart_readme(current: str, values_text: str) -> str:
    """``current`` with the text between the table markers replaced by the table of ``values_text``."""
    head, start, rest = current.partition(TABLE_START)
    _, end, tail = rest.partition(TABLE_END)
    if not (start and end):
        raise ValueError(f"{CHART_README}: the markers {TABLE_START!r} and {TABLE_END!r} are missing")
    return f"{head}{TABLE_START}\n{values_table(values_text)}\n{TABLE_END}{tail}"


_KIND_ORDER = ["CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role",
               "RoleBinding", "Service", "Deployment", "PodDisruptionBudget"]


def manifest() -> str:
    """What ``helm template --include-crds`` gives for the default values, in install order."""
    with helm.Chart.load(CHART) as loaded:
        crds = [doc for entry in loaded.crds for doc in yaml.safe_load_all(entry["data"]) if doc]
        rendered = loaded.render({}, name=RELEASE, namespace=NAMESPACE, is_install=True)
    objects = [doc for path, text in rendered.items() if path.endswith(".yaml")
               for doc in yaml.safe_load_all(text) if doc]

    def order(obj: dict[str, Any]) -> tuple[int, str, str]:
        kind = obj["kind"]
        rank = _KIND_ORDER.index(kind) if kind in _KIND_ORDER else len(_KIND_ORDER)
        return rank, obj["metadata"].get("namespace", ""), obj["metadata"]["name"]

    header = ("# vault-access-operator without Helm: the chart's objects for its default values, CRDs first.\n"
              "# Generated by `python -m tests.docs.generate manifest` (helm template --include-crds of\n"
              "# charts/vault-access-operator, release vault-access-operator,\n"
              "# namespace vault-access-operator-system).\n"
              "# Do not edit: change the chart and regenerate. docs/deploy.md, \"Running without Helm\".\n")
    body = "---\n".join(yaml.safe_dump(obj, sort_keys=False, width=120) for obj in sorted(crds + objects, key=order))
    return header + "---\n" + body


def main(argv: list[str]) -> int:
    if argv == ["chart-readme"]:
        CHART_README.write_text(chart_readme(CHART_README.read_text(), VALUES.read_text()))
    elif argv == ["manifest"]:
        MANIFEST.parent.mkdir(parents=True, exist_ok=True)
        MANIFEST.write_text(manifest())
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
