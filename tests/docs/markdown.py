"""What a guide quotes: its inline code spans (with the table column they sit in) and its fenced blocks.

Just enough Markdown for these docs: fences (```lang), pipe tables (a header row, then a |---| row),
inline code spans. Every item keeps its file and line, so a failing check can say where to look.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_FENCE = re.compile(r"^\s*```(?P<lang>[\w+-]*)")
_SPAN = re.compile(r"(?<!`)`(?P<text>[^`\n]+)`(?!`)")
_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}")


def user_docs() -> list[Path]:
    """Every guide a user reads, so that a new one is checked without anyone listing it here."""
    found = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")), *sorted((ROOT / "charts").glob("*/README.md"))]
    return [path for path in found if path.name != "api-reference.md"]  # generated from the models


@dataclasses.dataclass(frozen=True)
class Span:
    """An inline code span; ``column`` is its table column's header ("" outside a table)."""

    doc: str
    line: int
    text: str
    column: str = ""
    row: tuple[str, ...] = ()  # the other cells of its table row, with their headers: "header=cell"


@dataclasses.dataclass(frozen=True)
class Problem:
    """Something a guide quotes that the code does not have."""

    doc: str
    line: int
    token: str
    why: str

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}: `{self.token}`: {self.why}"


@dataclasses.dataclass(frozen=True)
class Block:
    doc: str
    line: int  # of the first line inside the fence
    lang: str
    text: str


@dataclasses.dataclass(frozen=True)
class Doc:
    name: str  # relative to the repository root
    text: str

    @classmethod
    def read(cls, path: Path) -> Doc:
        return cls(str(path.relative_to(ROOT)), path.read_text())

    def blocks(self) -> Iterator[Block]:
        lang: str | None = None
        start = 0
        body: list[str] = []
        for number, line in enumerate(self.text.splitlines(), 1):
            fence = _FENCE.match(line)
            if fence and lang is None:
                lang, start, body = fence["lang"], number + 1, []
            elif fence and lang is not None:
                yield Block(self.name, start, lang, "\n".join(body))
                lang = None
            elif lang is not None:
                body.append(line)

    def spans(self) -> Iterator[Span]:
        """Inline code outside fences; in a table, with the header of its column."""
        header: list[str] = []
        in_fence = False
        lines = self.text.splitlines()
        for number, line in enumerate(lines, 1):
            if _FENCE.match(line):
                in_fence = not in_fence
                continue
            if in_fence:
                continue
            is_row = line.lstrip().startswith("|")
            if is_row and number < len(lines) and _SEPARATOR.match(lines[number]):
                header = [_plain(cell) for cell in _cells(line)]
                continue
            if not is_row:
                header = []
            if is_row and header and not _SEPARATOR.match(line):
                cells = _cells(line)
                row = tuple(f"{h}={c}" for h, c in zip(header, cells, strict=False))
                for index, cell in enumerate(cells):
                    column = header[index] if index < len(header) else ""
                    for match in _SPAN.finditer(cell):
                        yield Span(self.name, number, match["text"], column, row)
            elif not _SEPARATOR.match(line):
                for match in _SPAN.finditer(line):
                    yield Span(self.name, number, match["text"])


def _cells(row: str) -> list[str]:
    text = row.strip().strip("|")
    cells, current, in_code = [], "", False
    index = 0
    while index < len(text):  # a | inside `code` or escaped (\|) does not end a cell
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] == "|":
            current += "|"
            index += 2
            continue
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code:
            cells.append(current.strip())
            current = ""
        else:
            current += char
        index += 1
    cells.append(current.strip())
    return cells


def _plain(cell: str) -> str:
    return re.sub(r"[`*_]", "", cell).strip()
