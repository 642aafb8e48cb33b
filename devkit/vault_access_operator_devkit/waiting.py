"""Polling helper for assertions about things that happen in other threads/processes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.05, message: str = "") -> T:
    """Call `predicate` until it returns something truthy; return that value.

    An AssertionError raised by the predicate counts as "not yet" (so asserts can be used
    inside it); any other exception propagates at once. On timeout: TimeoutError with the
    last falsy value or assertion message.
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            value = predicate()
            if value:
                return value
            last = value
        except AssertionError as e:
            last = e
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{message or 'condition not met'} within {timeout}s (last: {last!r})")
        time.sleep(interval)
