"""A redactor that records every text it is asked to mask, for tests that count masking work."""

from __future__ import annotations

from vault_access_operator.redact import Redactor


class CountingRedactor(Redactor):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def __call__(self, text: str) -> str:
        self.texts.append(text)
        return super().__call__(text)
