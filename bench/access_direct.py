"""The limit for access objects: N ACL policies written (or read) directly, as fast as a client can.

Threads with one kept-alive HTTP session each, not reading proxy settings from the environment per request,
``PUT sys/policies/acl/<name>`` with the same documents the operator writes. Run as its own process so its
CPU is its own.

    python -m bench.access_direct --vault URL --names-from FILE --mode write|read --concurrency C
      -> one JSON line
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import threading
import time

import requests

_local = threading.local()


def _session() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
        _local.session.trust_env = False
        _local.session.headers["X-Vault-Token"] = "root"
    return _local.session  # type: ignore[no-any-return]


def policy_document(name: str) -> str:
    """What the operator writes for the benchmark's policy ``name`` (one rule), in the same size class."""
    return f'# managed by the benchmark\npath "secret/data/{name}/*" {{\n  capabilities = ["read", "list"]\n}}\n'


def one(vault: str, name: str, mode: str) -> None:
    url = f"{vault}/v1/sys/policies/acl/{name}"
    if mode == "write":
        _session().put(url, json={"policy": policy_document(name)}, timeout=30).raise_for_status()
    else:
        _session().get(url, timeout=30).raise_for_status()


def run(vault: str, names: list[str], mode: str, concurrency: int) -> dict[str, float]:
    errors = 0
    started, cpu = time.perf_counter(), time.process_time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        for future in concurrent.futures.as_completed([pool.submit(one, vault, n, mode) for n in names]):
            if future.exception() is not None:
                errors += 1
    return {"objects": len(names), "concurrency": concurrency, "seconds": time.perf_counter() - started,
            "errors": errors, "cpu_seconds": time.process_time() - cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vault", required=True)
    parser.add_argument("--names-from", required=True)
    parser.add_argument("--mode", choices=["write", "read"], default="write")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with open(args.names_from) as handle:
        names = [line.strip() for line in handle if line.strip()]
    print(json.dumps(run(args.vault, names, args.mode, args.concurrency)))


if __name__ == "__main__":
    main()
