"""The Vault transport's pure parts: proxy settings from the environment, TLS contexts, error texts."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

import aiohttp
import aiohttp.web
import pytest

from vault_access_operator.errors import Reason, VaultUnavailableError
from vault_access_operator.tls import ssl_context
from vault_access_operator.vault import VaultClient, VaultHTTP


def test_proxy_from_the_environment_unless_no_proxy_says_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", "vault.internal,.svc")
    http = VaultHTTP()
    assert http.proxy_for("https://vault.example.com:8200") == "http://proxy.corp:3128"
    assert http.proxy_for("https://vault.internal:8200") is None
    assert http.proxy_for("https://vault.vault.svc:8200") is None
    assert http.proxy_for("http://vault.example.com:8200") is None  # no HTTP_PROXY set


def test_no_proxy_variables_means_direct(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert VaultHTTP().proxy_for("https://vault.example.com:8200") is None


def test_ssl_contexts_are_shared_per_trust_setting() -> None:
    assert ssl_context(True) is ssl_context(True)
    assert ssl_context(False) is False


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("address, text", [
    ("http://127.0.0.1:{closed}", "connection refused"),  # a port picked at run time: the test id stays stable
    ("http://vault.invalid:8200", "name or service not known"),
], ids=["closed-port", "unknown-host"])
def test_unreachable_vault_says_why_in_a_stable_text(address: str, text: str) -> None:
    address = address.format(closed=_closed_port())

    async def health() -> None:
        async with VaultHTTP(timeout=5) as http:
            await VaultClient(address, True, http).health()

    with pytest.raises(VaultUnavailableError) as caught:
        asyncio.run(health())
    assert caught.value.reason == Reason.VAULT_UNREACHABLE
    assert caught.value.message == f"cannot reach Vault at {address}: {text}"


def test_one_pool_for_every_client() -> None:
    async def sessions() -> tuple[aiohttp.ClientSession, aiohttp.ClientSession]:
        async with VaultHTTP() as http:
            return http.session(), http.session()

    first, second = asyncio.run(sessions())
    assert first is second and first.closed


def test_the_running_operator_does_not_need_the_demo_extras() -> None:
    # hvac is the plugin kit's [testing] extra and kmock the devkit's (tests/test_shipped_package.py); the
    # operator's image installs only the main dependencies.
    code = (
        "import sys, vault_access_operator.cli, vault_access_operator.app, vault_access_operator.registry as r;"
        "r.load_providers();"
        "print(sorted(m for m in ('hvac', 'kmock') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_cookies_set_in_front_of_vault_are_neither_kept_nor_sent_back() -> None:
    # A load balancer may set cookies; Vault needs none, and a jar was filtered on every health check.
    async def scenario() -> list[str | None]:
        seen: list[str | None] = []

        async def lookup(request: aiohttp.web.Request) -> aiohttp.web.Response:
            seen.append(request.headers.get("Cookie"))
            response = aiohttp.web.json_response({"data": {}})
            response.set_cookie("AWSALB", "sticky")
            return response

        app = aiohttp.web.Application()
        app.router.add_get("/v1/auth/token/lookup-self", lookup)
        runner = aiohttp.web.AppRunner(app)
        await runner.setup()
        site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            async with VaultHTTP() as http:
                client = VaultClient(f"http://localhost:{port}", True, http)  # a jar keeps no cookie of an IP
                for _ in range(3):
                    await client.lookup_self("token")
        finally:
            await runner.cleanup()
        return seen

    assert asyncio.run(scenario()) == [None, None, None]
