"""Response bodies are read with a size cap, and error texts reach messages clipped.

A real HTTP server (pytest-httpserver) stands in for a Vault, a Kubernetes API and an IMDS that
answer with megabytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import aiohttp
import kopf
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from vault_access_operator.errors import LoginDeniedError, VaultUnavailableError
from vault_access_operator.kube import KubeClient, KubeError
from vault_access_operator.plugins.aws_iam.imds import Imds, ImdsError
from vault_access_operator.provider import LoginRequest
from vault_access_operator.vault import VaultClient, VaultHTTP

FIVE_MB = 5_000_000
SHORT_MESSAGE = 4096
HEALTHY = {"initialized": True, "sealed": False, "version": "2.0.0"}


def _chunked(request: Request) -> Response:
    def body() -> Iterator[bytes]:  # no Content-Length: the cap must hold while reading
        for _ in range(FIVE_MB // 50_000):
            yield b"x" * 50_000

    return Response(body(), status=200, content_type="application/json")


@pytest.mark.asyncio
@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
async def test_a_vault_answer_over_1_mib_is_an_error_and_the_pool_goes_on(
    httpserver: HTTPServer, streamed: bool
) -> None:
    big = httpserver.expect_request("/big/v1/sys/health")
    if streamed:
        big.respond_with_handler(_chunked)
    else:
        big.respond_with_data(b"{" + b" " * FIVE_MB + b"}", content_type="application/json")
    httpserver.expect_request("/fine/v1/sys/health").respond_with_json(HEALTHY)
    async with VaultHTTP() as http:
        with pytest.raises(VaultUnavailableError) as caught:
            await VaultClient(httpserver.url_for("/big"), True, http).health()
        assert "answered with more than 1 MiB" in caught.value.message
        assert len(caught.value.message) < SHORT_MESSAGE
        health = await VaultClient(httpserver.url_for("/fine"), True, http).health()  # same pool, same host
        assert health.version == "2.0.0"


@pytest.mark.asyncio
async def test_a_100_kb_vault_error_text_is_clipped(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/auth/kubernetes/login").respond_with_json(
        {"errors": ["permission denied " * 6000]}, status=403
    )
    httpserver.expect_request("/v1/sys/health").respond_with_data("oops " * 20_000, status=500)
    async with VaultHTTP() as http:
        vault = VaultClient(httpserver.url_for("/"), True, http)
        with pytest.raises(LoginDeniedError) as denied:
            await vault.login(LoginRequest(mount="kubernetes", body={"role": "r", "jwt": "x"}))
        assert denied.value.message.startswith("permission denied permission denied")
        assert denied.value.message.endswith("more characters)")
        assert len(denied.value.message) < SHORT_MESSAGE
        with pytest.raises(VaultUnavailableError) as unavailable:
            await vault.health()
        assert unavailable.value.message.endswith("answered sys/health with HTTP 500: HTTP 500")


def _kube(httpserver: HTTPServer) -> KubeClient:
    return KubeClient(kopf.ConnectionInfo(server=httpserver.url_for("/")))


@pytest.mark.asyncio
async def test_a_kubernetes_answer_over_4_mib_is_an_error(httpserver: HTTPServer) -> None:
    secret = {"data": {"key": "x" * FIVE_MB}}
    httpserver.expect_request("/api/v1/namespaces/ns/secrets/big").respond_with_data(json.dumps(secret))
    httpserver.expect_request("/api/v1/namespaces/ns/secrets/fine").respond_with_json({"data": {"key": "dmFsdWU="}})
    kube = _kube(httpserver)
    try:
        with pytest.raises(KubeError) as caught:
            await kube.read_secret("ns", "big", "key")
        assert caught.value.message == (
            "the Kubernetes API answered GET /api/v1/namespaces/ns/secrets/big with more than 4 MiB (HTTP 200)"
        )
        assert await kube.read_secret("ns", "fine", "key") == "value"
    finally:
        await kube.close()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body", ["oops " * 20_000, json.dumps({"message": "too many " * 12_000})], ids=["text", "json"]
)
async def test_a_100_kb_kubernetes_error_text_is_clipped(httpserver: HTTPServer, body: str) -> None:
    httpserver.expect_request("/api/v1/namespaces/ns/secrets/s").respond_with_data(body, status=500)
    kube = _kube(httpserver)
    try:
        with pytest.raises(KubeError) as caught:
            await kube.read_secret("ns", "s", "key")
        assert caught.value.message.startswith("Kubernetes API error 500 while reading Secret ns/s: ")
        assert caught.value.message.endswith("more characters)")
        assert len(caught.value.message) < SHORT_MESSAGE
    finally:
        await kube.close()


@pytest.mark.asyncio
async def test_an_imds_answer_over_64_kib_is_an_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/latest/api/token", method="PUT").respond_with_data("imds-session-token")
    httpserver.expect_request("/latest/meta-data/placement/region").respond_with_data("x" * FIVE_MB)
    async with aiohttp.ClientSession() as session:
        imds = Imds(session, httpserver.url_for("/"), lambda token: None)
        with pytest.raises(ImdsError, match="answered with more than 64 KiB"):
            await imds.region()
