"""Every guide quotes only what the code has: flags, fields, defaults, reasons, metrics, messages, manifests.

One test per guide (every Markdown file a user reads, found by glob: a new guide is checked too). A failure
lists each problem as doc:line: `token`: why.
"""

from __future__ import annotations

import pytest

from tests.docs.checks import check_doc
from tests.docs.markdown import ROOT, Doc, user_docs


@pytest.mark.parametrize("path", user_docs(), ids=[str(p.relative_to(ROOT)) for p in user_docs()])
def test_doc_quotes_only_what_the_code_has(path) -> None:  # type: ignore[no-untyped-def]
    problems = check_doc(Doc.read(path))
    assert not problems, "\n".join(map(str, problems))


def test_the_checks_have_something_to_check() -> None:
    """The guides as they are give each check plenty to look at: a parser change cannot make them pass by
    finding nothing (figures of 2026-11: 86 messages, 58 reasons, 42 field rows, 122 chart keys, 10 manifests)."""
    from tests.docs.blocks import _yaml_documents
    from tests.docs.known import crd_schemas

    docs = [Doc.read(path) for path in user_docs()]
    spans = [span for doc in docs for span in doc.spans()]
    column = [span.column.lower() for span in spans]
    assert sum("message" in c for c in column) >= 60
    assert column.count("reason") >= 40
    assert column.count("key") >= 80
    assert sum(s.column.lower() == "field" and any(c.startswith("Default=") for c in s.row) for s in spans) >= 30
    manifests = [item for doc in docs for block in doc.blocks() if block.lang == "yaml"
                 for item in _yaml_documents(block) if isinstance(item, dict) and item.get("kind") in crd_schemas()]
    assert len(manifests) >= 8
