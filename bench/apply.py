"""Creates VaultConnections as an apply client would: its own process, several requests in flight.

Run from the benchmark process, whose own thread would otherwise spend its GIL time (shared with the
Kubernetes API emulator) sending one create after another: the burst figure then measured the
benchmark's client, not the operator.

    python -m bench.apply --kube URL --names-from FILE --spec JSON --concurrency C
      -> one JSON line: {name: time.monotonic() when its create was answered}
    python -m bench.apply --kube URL --objects-from FILE --concurrency C
      (any kind: FILE has one JSON object a line, {"url": collection path, "body": the object})
      -> one JSON line: {namespace/name: time.monotonic()}

``time.monotonic()`` is the machine's CLOCK_MONOTONIC, so the caller can compare it with its own.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import threading
import time
from typing import Any

import requests

from vault_access_operator_devkit.kube_resources import VAULTCONNECTIONS

_local = threading.local()


def _session() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
        _local.session.trust_env = False  # else requests scans os.environ for proxies on every request
    return _local.session  # type: ignore[no-any-return]


def create_one(kube: str, name: str, spec: dict[str, Any]) -> float:
    body = {"apiVersion": VAULTCONNECTIONS.api_version, "kind": VAULTCONNECTIONS.kind,
            "metadata": {"name": name}, "spec": spec}
    _session().post(kube + VAULTCONNECTIONS.url(), json=body, timeout=30).raise_for_status()
    return time.monotonic()


def post_one(kube: str, url: str, body: dict[str, Any]) -> float:
    _session().post(kube + url, json=body, timeout=30).raise_for_status()
    return time.monotonic()


def apply(kube: str, names: list[str], spec: dict[str, Any], concurrency: int) -> dict[str, float]:
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = {name: pool.submit(create_one, kube, name, spec) for name in names}
        return {name: future.result() for name, future in futures.items()}


def apply_objects(kube: str, objects: list[dict[str, Any]], concurrency: int) -> dict[str, float]:
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = {f"{o['body']['metadata'].get('namespace', '')}/{o['body']['metadata']['name']}":
                   pool.submit(post_one, kube, o["url"], o["body"]) for o in objects}
        return {key: future.result() for key, future in futures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kube", required=True)
    parser.add_argument("--names-from", help="a file with one VaultConnection name per line")
    parser.add_argument("--spec", help="the spec of every connection, as JSON")
    parser.add_argument("--objects-from", help="a file with one {url, body} JSON object per line (any kind)")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    if args.objects_from:
        with open(args.objects_from) as handle:
            objects = [json.loads(line) for line in handle if line.strip()]
        print(json.dumps(apply_objects(args.kube, objects, args.concurrency)))
        return
    with open(args.names_from) as handle:
        names = [line.strip() for line in handle if line.strip()]
    print(json.dumps(apply(args.kube, names, json.loads(args.spec), args.concurrency)))


if __name__ == "__main__":
    main()
