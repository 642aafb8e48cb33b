"""Keeps secrets out of logs, status and events.

Two layers: exact values registered at runtime (tokens, JWTs the operator handled) with the
forms they travel in (:mod:`secret_index`), and shapes of secret-looking text that arrives from
elsewhere, an exception from a library that echoes a header for instance (:mod:`secret_shapes`).
Both are linear in the text on any input.
"""

from __future__ import annotations

import logging
import threading

from .secret_index import LINE_BREAKS, SHORT, SecretIndex
from .secret_shapes import Span, Work, secret_shapes

MASK = "***"
MIN_LENGTH = SHORT  # shorter values are never registered; below LONG only whole words are masked
# Libraries whose DEBUG output prints credentials (botocore: signed headers and STS response bodies).
NOISY_LOGGERS = ("botocore", "boto3", "urllib3", "hvac")
# ``extra`` for a log call whose arguments are masked already (a status message): the filter keeps them.
ALREADY_REDACTED = {"vao_redacted": True}
#: Values this long or longer (line breaks not counted: a service-account JWT, key JSON) are indexed only when a
#: text at least as long is first masked: every form they travel in is at least as long as the value, so no
#: shorter text can hold one. Indexing a JWT's forms cost about 0.14 ms per login (bench/README.md, session 10),
#: and a healthy login masks only short texts (the status details), so most JWTs are forgotten unindexed.
DEFER_FROM = 256
#: Short texts found free of secret shapes, kept (up to this many) so that the same text is not scanned again: the
#: status details of every login ("<namespace>/<service account>", "TokenRequest") are the same few texts, and
#: their two scans were most of masking them. Only clean texts are kept: nothing secret-shaped stays in memory.
SHAPE_FREE_KEPT = 512


class Redactor:
    """Masks registered secret values (and their encoded forms) and secret-shaped text.

    Values are counted: several connections may hold the same one (a shared Secret), and it stays
    masked until the last of them forgets it. A call is linear in the text whatever it holds and
    whatever values are registered (the first call on a text of :data:`DEFER_FROM` characters or more also
    indexes the long values registered since, once); ``work`` counts what the scans examined, so tests can
    bound it.
    """

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._index = SecretIndex()
        self._pending: set[str] = set()  # registered values of DEFER_FROM characters or more, not indexed yet
        self._shape_free: set[str] = set()  # texts shorter than DEFER_FROM without a secret shape (SHAPE_FREE_KEPT)
        self._lock = threading.Lock()
        self.work = Work()

    def remember(self, value: str | None) -> None:
        if not value or len(value) < MIN_LENGTH:  # short values would mask ordinary words
            return
        with self._lock:
            self._counts[value] = self._counts.get(value, 0) + 1
            if self._counts[value] == 1:
                if len(value.translate(LINE_BREAKS)) >= DEFER_FROM:
                    self._pending.add(value)
                else:
                    self._index.add(value)

    def forget(self, value: str | None) -> None:
        with self._lock:
            count = self._counts.get(value or "", 0)
            if count > 1:
                self._counts[value or ""] = count - 1
            elif count == 1:
                assert value is not None
                del self._counts[value]
                if value in self._pending:
                    self._pending.discard(value)
                else:
                    self._index.remove(value)

    def __len__(self) -> int:
        return len(self._counts)

    @property
    def indexed(self) -> int:
        """Forms held by the index (every value's derived forms included): 0 once all are forgotten."""
        return len(self._index)

    @property
    def pending(self) -> int:
        """Long values registered and not indexed yet (see :data:`DEFER_FROM`)."""
        return len(self._pending)

    def masked_spans(self, text: str) -> list[Span]:
        """The parts of ``text`` to mask, overlapping ones merged, in order."""
        with self._lock:
            if self._pending and len(text) >= DEFER_FROM:  # it may hold a long value: index them now, once
                for value in self._pending:
                    self._index.add(value)
                self._pending.clear()
            spans = self._index.find(text, self.work)
        if text not in self._shape_free:  # the shapes depend on the text alone
            shaped = secret_shapes(text, self.work)
            if shaped:
                spans += shaped
            elif len(text) < DEFER_FROM:
                if len(self._shape_free) >= SHAPE_FREE_KEPT:
                    self._shape_free.clear()
                self._shape_free.add(text)
        return _union(spans, self.work)

    def __call__(self, text: str) -> str:
        pieces, kept_until = [], 0
        for start, end in self.masked_spans(text):  # the text is built once, whatever the number of spans
            pieces += [text[kept_until:start], MASK]
            kept_until = end
        pieces.append(text[kept_until:])
        return "".join(pieces)


def _union(spans: list[Span], work: Work) -> list[Span]:
    # Two secrets that overlap (one's end is the other's start) become one masked stretch.
    work.units += len(spans)
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


REDACTOR = Redactor()


class RedactingFilter(logging.Filter):
    """A logging filter that renders each record's message and masks secrets in it."""

    def __init__(self, redactor: Redactor = REDACTOR) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = message if getattr(record, "vao_redacted", False) else self._redactor(message)
        if record.exc_info:
            # Tracebacks can quote locals and headers: render them now, masked.
            formatter = logging.Formatter()
            clean += "\n" + self._redactor(formatter.formatException(record.exc_info))
            record.exc_info = None
            record.exc_text = None
        record.msg, record.args = clean, None
        record.vao_redacted = True  # the filters of the other handlers need not mask it again
        return True


def install_log_redaction(redactor: Redactor = REDACTOR) -> None:
    """Attach the filter to every root handler (and to future records via the root logger)."""
    root = logging.getLogger()
    for name in NOISY_LOGGERS:
        noisy = logging.getLogger(name)
        if noisy.level == logging.NOTSET:  # unless someone configured it on purpose
            noisy.setLevel(logging.INFO)
    redacting = RedactingFilter(redactor)
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(redacting)
