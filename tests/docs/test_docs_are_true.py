"""Every guide quotes only what the code has: flags, fields, defaults, reasons, metrics, messages, manifests.

One test per guide (every Markdown file a user reads, found by glob: a new guide is checked too). A failure
lists each problem as doc:line: `token`: why.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs import known
from tests.docs.blocks import yaml_documents
from tests.docs.checks import check_doc
from tests.docs.markdown import ROOT, Doc, user_docs
from vault_access_operator.errors import Reason


@pytest.mark.parametrize("path", user_docs(), ids=[str(p.relative_to(ROOT)) for p in user_docs()])
def test_doc_quotes_only_what_the_code_has(path: Path) -> None:
    problems = check_doc(Doc.read(path))
    assert not problems, "\n".join(map(str, problems))


def test_the_checks_have_something_to_check() -> None:
    """The guides as they are give each check plenty to look at: a parser change cannot make them pass by
    finding nothing (figures of 2026-11: 86 messages, 58 reasons, 42 field rows, 122 chart keys, 10 manifests)."""
    docs = [Doc.read(path) for path in user_docs()]
    spans = [span for doc in docs for span in doc.spans()]
    column = [span.column.lower() for span in spans]
    assert sum("message" in c for c in column) >= 60
    assert column.count("reason") >= 40
    assert column.count("key") >= 80
    assert sum(s.column.lower() == "field" and any(c.startswith("Default=") for c in s.row) for s in spans) >= 30
    kinds = known.crd_schemas()
    manifests = [item for doc in docs for block in doc.blocks() if block.lang == "yaml"
                 for item in yaml_documents(block) if isinstance(item, dict) and item.get("kind") in kinds]
    assert len(manifests) >= 8


def test_every_reason_flag_and_metric_is_documented() -> None:
    """The other way round: what the operator can report or accept is named in some guide (the devkit's
    `demo` command is documented in devkit/README.md)."""
    quoted: set[str] = set()
    for path in user_docs():
        doc = Doc.read(path)
        for span in doc.spans():
            quoted.add(span.text.strip())
            quoted.update(re.findall(r"-{1,2}[a-z][\w-]*", span.text))
        for block in doc.blocks():
            quoted.update(re.findall(r"-{1,2}[a-z][\w-]*|\w+", block.text))
    missing = [f"reason {r.value}" for r in Reason if r.value not in quoted]
    for command, flags in known.cli_flags().items():
        if command != "demo":
            missing += [f"`vault-access-operator {command}` option {f}" for f in sorted(flags - quoted - {"--help"})]
    missing += [f"metric {m}" for m in sorted(known.metric_names() - quoted) if not m.endswith(("_bucket", "_sum",
                                                                                                   "_count"))]
    assert not missing, "named in no guide: " + ", ".join(missing)
