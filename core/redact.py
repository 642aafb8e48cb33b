"""Keeps secrets out of logs, status and events.

Two layers: exact values registered at runtime (tokens, JWTs the operator handled), and
patterns for secret-looking text that arrives from elsewhere (an exception from a library
that echoes a header, for instance).
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "***"
_MIN_LENGTH = 8
_PATTERNS = [
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),  # JWT / JWS
    re.compile(r"\b(?:hv[sbr]|s|b|r)\.[A-Za-z0-9_-]{20,}"),  # Vault and OpenBao tokens
    re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),  # AWS access key ids
    re.compile(r"(?i)(signature=|x-amz-signature[=:]\s*|x-amz-security-token[=:]\s*)[A-Za-z0-9%/+=_-]+"),
    re.compile(r"(?i)(x-vault-token[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"),
    re.compile(r"(<(?:SecretAccessKey|SessionToken)>)[^<]+"),  # STS responses in library debug logs
    re.compile(r"(?i)([\"']?(?:secret_?access_?key|session_?token|secret_id|client_token)[\"']?\s*[:=]\s*[\"']?)"
               r"[^\s\"',}]+"),
]
# Libraries whose DEBUG output prints credentials (botocore: signed headers and STS response bodies).
NOISY_LOGGERS = ("botocore", "boto3", "urllib3", "hvac")


class Redactor:
    """Masks registered secret values and secret-shaped text.

    Values are counted: several connections may hold the same one (a shared Secret), and it stays
    masked until the last of them forgets it. Matching costs one dict lookup per position of the
    text, whatever the number of values (a thousand connections hold a thousand tokens).
    """

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._by_prefix: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def remember(self, value: str | None) -> None:
        if value and len(value) >= _MIN_LENGTH:  # short values would mask ordinary words
            with self._lock:
                self._counts[value] = self._counts.get(value, 0) + 1
                self._by_prefix.setdefault(value[:_MIN_LENGTH], set()).add(value)

    def forget(self, value: str | None) -> None:
        with self._lock:
            count = self._counts.get(value or "", 0)
            if count > 1:
                self._counts[value or ""] = count - 1
            elif count == 1:
                assert value is not None
                del self._counts[value]
                same_prefix = self._by_prefix[value[:_MIN_LENGTH]]
                same_prefix.discard(value)
                if not same_prefix:
                    del self._by_prefix[value[:_MIN_LENGTH]]

    def __len__(self) -> int:
        return len(self._counts)

    def __call__(self, text: str) -> str:
        with self._lock:
            if self._by_prefix:
                found = {
                    value
                    for start in range(len(text) - _MIN_LENGTH + 1)
                    for value in self._by_prefix.get(text[start : start + _MIN_LENGTH], ())
                    if text.startswith(value, start)
                }
            else:
                found = set()
        for value in sorted(found, key=len, reverse=True):  # a longer value may contain a shorter one
            text = text.replace(value, MASK)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
        return text


REDACTOR = Redactor()


class RedactingFilter(logging.Filter):
    """A logging filter that renders each record's message and masks secrets in it."""

    def __init__(self, redactor: Redactor = REDACTOR) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self._redactor(message)
        if record.exc_info:
            # Tracebacks can quote locals and headers: render them now, masked.
            formatter = logging.Formatter()
            clean += "\n" + self._redactor(formatter.formatException(record.exc_info))
            record.exc_info = None
            record.exc_text = None
        record.msg, record.args = clean, None
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
