"""The limit for access objects: the same Vault writes as the operator's (or reads of them), as fast as a client can.

Two clients (``--client``): ``threads``, a thread pool with one kept-alive ``requests`` session per thread, not
reading proxy settings from the environment per request; ``asyncio``, one kept-alive aiohttp session with
``--concurrency`` workers (bench.aio_http, the request code of bench.access_floor_client), which spends less
client CPU per request (bench/README.md, session 13, "the direct clients"). The work comes from a JSON file of
``[path, body]`` pairs (bench.access_objects.Workload.direct_writes: ACL policies and kubernetes
roles): ``write`` PUTs each body at ``/v1/<path>``, ``read`` GETs each path.
Run as its own process so its CPU is its own.

    python -m bench.access_direct --vault URL --work-from FILE [--token-from FILE] --mode write|read --concurrency C
        [--client asyncio|threads]   -> one JSON line
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import threading
import time
from typing import Any

import aiohttp
import requests

from . import aio_http

CLIENTS = ("asyncio", "threads")
_local = threading.local()


def _session(token: str) -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
        _local.session.trust_env = False
        _local.session.headers["X-Vault-Token"] = token
    return _local.session  # type: ignore[no-any-return]


def one(vault: str, token: str, path: str, body: dict[str, Any], mode: str) -> None:
    url = f"{vault}/v1/{path}"
    if mode == "write":
        _session(token).put(url, json=body, timeout=30).raise_for_status()
    else:
        _session(token).get(url, timeout=30).raise_for_status()


def run(vault: str, token: str, work: list[tuple[str, dict[str, Any]]], mode: str,
        concurrency: int) -> dict[str, Any]:
    """The threads' client: the work on a pool of ``concurrency`` threads."""
    errors = 0
    started, cpu = time.perf_counter(), time.process_time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [pool.submit(one, vault, token, path, body, mode) for path, body in work]
        for future in concurrent.futures.as_completed(futures):
            if future.exception() is not None:
                errors += 1
    return {"client": "threads", "objects": len(work), "concurrency": concurrency,
            "seconds": time.perf_counter() - started, "errors": errors, "cpu_seconds": time.process_time() - cpu}


async def run_async(vault: str, token: str, work: list[tuple[str, dict[str, Any]]], mode: str,
                    concurrency: int) -> dict[str, Any]:
    """The asyncio client: one session, ``concurrency`` requests in flight; each body encoded when it is sent,
    as the threads' client does."""
    errors = 0
    started, cpu = time.perf_counter(), time.process_time()
    async with aio_http.session(vault, {"X-Vault-Token": token, "Content-Type": "application/json"},
                                concurrency) as client:

        async def one_async(item: tuple[str, dict[str, Any]]) -> None:
            nonlocal errors
            path, body = item
            try:
                if mode == "write":
                    status, _ = await aio_http.send(client, "PUT", f"/v1/{path}", json.dumps(body))
                else:
                    status, _ = await aio_http.send(client, "GET", f"/v1/{path}")
            except aiohttp.ClientError:
                status = 0
            errors += status >= 300 or status == 0

        await aio_http.each(work, concurrency, one_async)
    return {"client": "asyncio", "objects": len(work), "concurrency": concurrency,
            "seconds": time.perf_counter() - started, "errors": errors, "cpu_seconds": time.process_time() - cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vault", required=True)
    parser.add_argument("--work-from", required=True, help="a JSON file: a list of [path, body]")
    parser.add_argument("--token-from", default=None, help="a file holding the Vault token (default: root)")
    parser.add_argument("--mode", choices=["write", "read"], default="write")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--client", choices=CLIENTS, default="threads", help="threads (requests) or asyncio "
                        "(aiohttp); bench.access picks its default")
    args = parser.parse_args()
    with open(args.work_from) as handle:
        work = [(str(path), dict(body)) for path, body in json.load(handle)]
    token = "root"
    if args.token_from:
        with open(args.token_from) as handle:
            token = handle.read().strip()
    if args.client == "asyncio":
        print(json.dumps(asyncio.run(run_async(args.vault, token, work, args.mode, args.concurrency))))
    else:
        print(json.dumps(run(args.vault, token, work, args.mode, args.concurrency)))


if __name__ == "__main__":
    main()
