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
