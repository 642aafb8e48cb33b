"""pytest fixtures for the gcp plugin tests: the Google double wired in through the environment (as the
operator is configured), the Vault gcp double in front of a real OpenBao, and a plugin-kit context.

Load them from a test module: ``pytest_plugins = ["tests.support.gcp_fixtures"]``.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.support.gcp_env import isolate_google_env, point_at
from tests.support.gcp_google import GoogleDouble
from tests.support.gcp_metadata import Instance
from tests.support.gcp_vault_double import GcpVaultDouble
from vault_access_operator.testing import RecordingAuthContext
from vault_access_operator.testing.openbao import OpenBaoServer

NAMESPACE = "vault-access-operator-system"
SERVICE_ACCOUNT = "vault-access-operator-controller-manager"


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[GoogleDouble]:
    """The Google double with one account ``vault-access-operator`` allowed to sign for itself, no instance."""
    isolate_google_env(monkeypatch, tmp_path)
    double = GoogleDouble().start()
    account = double.add_account("vault-access-operator")
    double.grant(account.email)
    point_at(double, monkeypatch)
    yield double
    double.stop()


@pytest.fixture
def on_gke(google: GoogleDouble) -> Instance:
    """The metadata server answers for a node whose (Workload Identity) account is ``vault-access-operator``."""
    google.instance = Instance(account=next(iter(google.accounts)))
    return google.instance


@pytest.fixture
def gcp_vault(google: GoogleDouble, openbao: OpenBaoServer) -> Iterator[GcpVaultDouble]:
    double = GcpVaultDouble(google, openbao).start()
    openbao.client().sys.create_or_update_policy("vault-access-operator", 'path "sys/policies/acl" {\n'
                                                 '  capabilities = ["list"]\n}')
    yield double
    double.stop()


@pytest_asyncio.fixture
async def gcp_ctx() -> AsyncIterator[RecordingAuthContext]:
    ctx = RecordingAuthContext(connection_name="vault-gcp", now=datetime.datetime.now(datetime.UTC),
                               operator_namespace=NAMESPACE, operator_service_account=SERVICE_ACCOUNT)
    yield ctx
    await ctx.aclose()
