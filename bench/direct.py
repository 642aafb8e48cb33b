"""The limit: N kubernetes-auth logins done directly, as fast as a client can (run as its own process).

Each login does what a login costs the operator outside its own bookkeeping: a TokenRequest for the
service account's JWT (Kubernetes API) and ``PUT auth/kubernetes/login`` (Vault, which sends a TokenReview
back to the Kubernetes API). Two clients (``--client``): ``threads`` (the default), a thread pool with one hvac
client and one HTTP session each, kept alive, not reading proxy settings from the environment on every request;
``asyncio`` (bench/direct_aio.py), one kept-alive aiohttp session per server and ``--concurrency`` workers, which spends
less client CPU per request (bench/README.md, session 13); bench.scale uses it by default.

    python -m bench.direct --vault URL --kube URL --logins N --concurrency C [--client threads|asyncio]
        -> one JSON line

With ``--lookups-for SECONDS --interval SECONDS`` it is the direct client of a health check instead: it logs in
N times, prints ``{"ready": true}``, waits for a line on stdin, then looks each token up once per interval
(``GET auth/token/lookup-self``, the operator's health check), spread evenly over the interval as the
operator's checks are, for SECONDS; then it prints a JSON line with the lookups made and the CPU they cost this
process (the logins before and the revocations after it are not counted) and revokes its tokens.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import sys
import threading
import time
from typing import Any

import hvac
import requests

from . import direct_aio
from .stack import ROLE

CLIENTS = ("threads", "asyncio")
_local = threading.local()


def _clients(vault: str, kube: str) -> tuple[hvac.Client, requests.Session]:
    if not hasattr(_local, "vault"):
        session = requests.Session()
        session.trust_env = False  # else requests scans os.environ for proxies on every request
        _local.vault = hvac.Client(url=vault, session=session)
        _local.kube = requests.Session()
        _local.kube.trust_env = False
    return _local.vault, _local.kube


def login_once(vault: str, kube: str) -> str:
    """One login; returns the token."""
    client, session = _clients(vault, kube)
    answer = session.post(f"{kube}{direct_aio.TOKEN_PATH}", json=direct_aio.TOKEN_REQUEST, timeout=30)
    answer.raise_for_status()
    token: str = client.auth.kubernetes.login(role=ROLE, jwt=answer.json()["status"]["token"],
                                              use_token=False)["auth"]["client_token"]
    return token


def run(vault: str, kube: str, logins: int, concurrency: int) -> dict[str, Any]:
    errors = 0
    started, cpu = time.perf_counter(), time.process_time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        for future in concurrent.futures.as_completed([pool.submit(login_once, vault, kube) for _ in range(logins)]):
            if future.exception() is not None:
                errors += 1
    return {"client": "threads", "logins": logins, "concurrency": concurrency,
            "seconds": time.perf_counter() - started, "errors": errors, "cpu_seconds": time.process_time() - cpu}


def _lookups(vault: str, tokens: list[tuple[float, str]], start: float, until: float,
             interval: float) -> tuple[int, int]:
    """Look up each (offset, token) at ``start`` + offset + k * interval until ``until``; (done, failed)."""
    client = _clients(vault, "")[0]
    schedule = sorted(tokens)
    done = failed = rounds = 0
    while True:
        for offset, token in schedule:
            due = start + rounds * interval + offset
            if due >= until:
                return done, failed
            if (wait := due - time.monotonic()) > 0:
                time.sleep(wait)
            client.token = token
            try:
                client.auth.token.lookup_self()
                done += 1
            except hvac.exceptions.VaultError:
                failed += 1
        rounds += 1


def lookups(vault: str, kube: str, tokens: int, concurrency: int, seconds: float, interval: float) -> None:
    """Log in ``tokens`` times, wait for a line on stdin, health-check every token for ``seconds``, print the
    figures, then revoke the tokens."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        held = list(pool.map(lambda _: login_once(vault, kube), range(tokens)))
    print(json.dumps({"ready": True}), flush=True)
    sys.stdin.readline()
    spread = [(interval * i / tokens, token) for i, token in enumerate(held)]
    cpu, start = time.process_time(), time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(lambda j: _lookups(vault, spread[j::concurrency], start, start + seconds, interval),
                                range(concurrency)))
    figures = {"lookups": sum(r[0] for r in results), "errors": sum(r[1] for r in results),
               "cpu_seconds": time.process_time() - cpu, "seconds": time.monotonic() - start,
               "concurrency": concurrency, "client": "threads"}
    print(json.dumps(figures), flush=True)  # before the revocations: the caller's window ends here

    def revoke(token: str) -> None:
        client = _clients(vault, "")[0]
        client.token = token
        client.auth.token.revoke_self()

    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(revoke, held))  # leave OpenBao as the operator's runs leave it


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vault", required=True)
    parser.add_argument("--kube", required=True)
    parser.add_argument("--logins", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--lookups-for", type=float, default=None, help="seconds of health checks (see above)")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between two checks of a token")
    parser.add_argument("--client", choices=CLIENTS, default="threads", help="threads (hvac) or asyncio "
                        "(aiohttp, bench/direct_aio.py), for the logins and the health checks")
    args = parser.parse_args()
    if args.lookups_for is None and args.client == "asyncio":
        print(json.dumps(asyncio.run(direct_aio.run_async(args.vault, args.kube, args.logins, args.concurrency))))
    elif args.lookups_for is None:
        print(json.dumps(run(args.vault, args.kube, args.logins, args.concurrency)))
    elif args.client == "asyncio":
        asyncio.run(direct_aio.lookups_async(args.vault, args.kube, args.logins, args.concurrency, args.lookups_for,
                                             args.interval))
    else:
        lookups(args.vault, args.kube, args.logins, args.concurrency, args.lookups_for, args.interval)


if __name__ == "__main__":
    main()
