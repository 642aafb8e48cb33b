"""Process-wide tuning of the `run` command: uvloop where installed (the collector: test_gc_policy.py)."""

from __future__ import annotations

import asyncio
import sys

import pytest
import uvloop

from vault_access_operator.tuning import event_loop_factory


def test_the_loop_is_uvloops_where_it_is_installed() -> None:
    loop = event_loop_factory()()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


def test_without_uvloop_the_loop_is_asyncios(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop -> ImportError
    loop = event_loop_factory()()
    try:
        assert isinstance(loop, asyncio.BaseEventLoop) and not isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
