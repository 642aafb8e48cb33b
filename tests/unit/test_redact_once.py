"""A failure's message is masked once on its way to status, event and log, and the log keeps it masked."""

from __future__ import annotations

import logging

import pytest

from tests.faults.fake_runtime import Recorder
from tests.support.counting_redactor import CountingRedactor
from vault_access_operator.errors import VaultUnavailableError
from vault_access_operator.redact import MASK, RedactingFilter
from vault_access_operator.status import Observation

SECRET = "s3cr3t-value-0123456789"


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.mark.asyncio
async def test_a_failure_is_masked_once_for_status_event_and_log() -> None:
    redactor, recorder, lines = CountingRedactor(), Recorder(), Lines()
    redactor.remember(SECRET)
    lines.addFilter(RedactingFilter(redactor))
    logger = logging.getLogger("vault_access_operator.reporting")
    logger.addHandler(lines)
    try:
        reporter = recorder.reporter("conn", Observation(generation=1, method="kubernetes"), redactor)
        await reporter.failed(VaultUnavailableError(f"Vault said {SECRET} " + "x " * 5000), failures=1)
    finally:
        logger.removeHandler(lines)
    assert len(redactor.texts) == 1  # not once for status, again for the event, again for the log line
    message = f"Vault said {MASK} "
    assert recorder.statuses[-1]["message"].startswith(message)
    assert recorder.events[0][2].startswith(message) and len(recorder.events[0][2]) <= 4096 + 40
    assert len(lines.lines) == 1 and SECRET not in lines.lines[0] and message in lines.lines[0]


def test_a_record_goes_through_the_filters_of_several_handlers_masked_once() -> None:
    redactor = CountingRedactor()
    redactor.remember(SECRET)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token %s", (SECRET,), None)
    for _ in range(3):  # three handlers, each with the filter
        RedactingFilter(redactor).filter(record)
    assert record.getMessage() == f"token {MASK}" and len(redactor.texts) == 1
