"""bench.direct's asyncio client (``--client asyncio``): the same logins and health checks as its threads' client,
on one kept-alive aiohttp session per server (bench.aio_http), which spends less client CPU per request
(bench/README.md, session 13, "the direct clients")."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import aiohttp

from . import aio_http
from .stack import OPERATOR_NS, OPERATOR_SA, ROLE

TOKEN_PATH = f"/api/v1/namespaces/{OPERATOR_NS}/serviceaccounts/{OPERATOR_SA}/token"
TOKEN_REQUEST = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                 "spec": {"audiences": ["vault"], "expirationSeconds": 3600}}
_JSON = {"Content-Type": "application/json"}


async def _login(kube: aiohttp.ClientSession, vault: aiohttp.ClientSession) -> str | None:
    """One login (a TokenRequest, then Vault's kubernetes login): its token, None if either request failed."""
    status, answer = await aio_http.send(kube, "POST", TOKEN_PATH, json.dumps(TOKEN_REQUEST))
    if status >= 300:
        return None
    jwt = json.loads(answer)["status"]["token"]
    status, answer = await aio_http.send(vault, "POST", "/v1/auth/kubernetes/login",
                                         json.dumps({"role": ROLE, "jwt": jwt}))
    return str(json.loads(answer)["auth"]["client_token"]) if status < 300 else None


async def _logins(vault_url: str, kube_url: str, logins: int, concurrency: int) -> list[str | None]:
    """``logins`` logins, ``concurrency`` in flight: each one's token, or None where it failed."""
    tokens: list[str | None] = []
    async with aio_http.session(kube_url, _JSON, concurrency) as kube, \
            aio_http.session(vault_url, _JSON, concurrency) as vault:

        async def one(_: int) -> None:
            tokens.append(await _login(kube, vault))

        await aio_http.each(range(logins), concurrency, one)
    return tokens


async def run_async(vault: str, kube: str, logins: int, concurrency: int) -> dict[str, Any]:
    """The timed logins: bench.direct.run's figures."""
    started, cpu = time.perf_counter(), time.process_time()
    tokens = await _logins(vault, kube, logins, concurrency)
    return {"client": "asyncio", "logins": logins, "concurrency": concurrency,
            "seconds": time.perf_counter() - started, "errors": tokens.count(None),
            "cpu_seconds": time.process_time() - cpu}


async def lookups_async(vault_url: str, kube_url: str, tokens: int, concurrency: int, seconds: float,
                        interval: float) -> None:
    """bench.direct.lookups on asyncio: log in ``tokens`` times, print ready, wait for a line on stdin, look each
    token up once per interval (spread evenly, ``concurrency`` workers) for ``seconds``, print the figures, revoke."""
    held = [t for t in await _logins(vault_url, kube_url, tokens, concurrency) if t is not None]
    print(json.dumps({"ready": True}), flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    spread = sorted((interval * i / len(held), token) for i, token in enumerate(held))
    done = failed = 0
    async with aio_http.session(vault_url, {}, concurrency) as vault:
        loop = asyncio.get_running_loop()
        cpu, start = time.process_time(), loop.time()

        async def worker(share: list[tuple[float, str]]) -> None:
            nonlocal done, failed
            rounds = 0
            while True:
                for offset, token in share:
                    due = start + rounds * interval + offset
                    if due >= start + seconds:
                        return
                    await asyncio.sleep(max(0.0, due - loop.time()))
                    status, _ = await aio_http.send(vault, "GET", "/v1/auth/token/lookup-self",
                                                    headers={"X-Vault-Token": token})
                    done, failed = (done + 1, failed) if status < 300 else (done, failed + 1)
                rounds += 1

        await asyncio.gather(*(worker(spread[j::concurrency]) for j in range(concurrency)))
        figures = {"lookups": done, "errors": failed + tokens - len(held), "cpu_seconds": time.process_time() - cpu,
                   "seconds": loop.time() - start, "concurrency": concurrency, "client": "asyncio"}
        print(json.dumps(figures), flush=True)  # before the revocations: the caller's window ends here

        async def revoke(token: str) -> None:
            await aio_http.send(vault, "POST", "/v1/auth/token/revoke-self", headers={"X-Vault-Token": token})

        await aio_http.each(held, concurrency, revoke)  # leave OpenBao as the operator's runs leave it
