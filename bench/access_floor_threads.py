"""bench.access_floor_client's requests made by threads instead of asyncio: ``--concurrency`` threads, each with its
own kept-alive ``requests`` session for the API server and one for Vault (as bench.access_direct does), the watch
streams (level ``contract+watch``) read by a thread each. Same arguments and JSON line as bench.access_floor_client:
bench.access_floor runs it with ``--client threads`` to compare the two ways.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import threading
import time
from collections import Counter
from typing import Any

import requests

from .access_floor_client import GROUP, KINDS, LEVELS, PAGE, Call, calls_for

_local = threading.local()


class ThreadedFloor:
    def __init__(self, kube: str, vault: str, token: str, level: str, cluster: str, mount: str) -> None:
        self.urls = {"kube": kube, "vault": vault}
        self.headers = {"kube": {"Authorization": "Bearer floor", "Content-Type": "application/json"},
                        "vault": {"X-Vault-Token": token}}
        self.level, self.cluster, self.mount = level, cluster, mount
        self.counts: Counter[str] = Counter()  # += from many threads: under the lock
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.last_status = 0.0

    def session(self, target: str) -> requests.Session:
        sessions: dict[str, requests.Session] = _local.__dict__.setdefault("sessions", {})
        if target not in sessions:
            sessions[target] = requests.Session()
            sessions[target].trust_env = False
            sessions[target].headers.update(self.headers[target])
        return sessions[target]

    def call(self, call: Call) -> None:
        response = self.session(call.target).request(call.method, self.urls[call.target] + call.path,
                                                     data=call.body, headers=call.headers, timeout=60)
        with self.lock:
            self.counts[call.what] += 1
            if response.status_code >= 300:
                self.errors.append(f"{call.what} {call.path}: HTTP {response.status_code}")

    def one(self, plural: str, obj: dict[str, Any]) -> None:
        for call in calls_for(self.level, plural, obj, self.cluster, self.mount):
            self.call(call)
        with self.lock:
            self.last_status = max(self.last_status, time.perf_counter())

    def list_all(self, plural: str) -> tuple[list[dict[str, Any]], str]:
        items: list[dict[str, Any]] = []
        token, version = "", ""
        while True:
            params = {"limit": str(PAGE), **({"continue": token} if token else {})}
            self.counts["kube_list_page"] += 1
            page = self.session("kube").get(f"{self.urls['kube']}{GROUP}/{plural}", params=params, timeout=60).json()
            items += page["items"]
            version = version or page["metadata"]["resourceVersion"]
            token = page["metadata"].get("continue") or ""
            if not token:
                return items, version

    def watch(self, plural: str, version: str, stop: threading.Event) -> None:
        params = {"watch": "true", "resourceVersion": version, "allowWatchBookmarks": "true"}
        with self.lock:
            self.counts["kube_watch_open"] += 1
        with requests.get(f"{self.urls['kube']}{GROUP}/{plural}", params=params, stream=True,
                          headers=self.headers["kube"], timeout=(10, None)) as response:
            for line in response.iter_lines():
                if stop.is_set():
                    return
                if line:
                    json.loads(line)
                    with self.lock:
                        self.counts["kube_watch_event"] += 1


def run(kube: str, vault: str, token: str, level: str, concurrency: int, cluster: str, mount: str,
        drain: float) -> dict[str, Any]:
    floor = ThreadedFloor(kube, vault, token, level, cluster, mount)
    started, cpu = time.perf_counter(), time.process_time()
    work: list[tuple[str, dict[str, Any]]] = []
    stop = threading.Event()
    for plural in KINDS:
        items, version = floor.list_all(plural)
        work += [(plural, obj) for obj in items]
        if level == "contract+watch":  # daemon threads: a stream blocked in a read ends with the process
            threading.Thread(target=floor.watch, args=(plural, version, stop), daemon=True).start()
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        for future in [pool.submit(floor.one, plural, obj) for plural, obj in work]:
            future.result()
    seconds = floor.last_status - started
    expected, seen, since = 2 * len(work) if level == "contract+watch" else 0, -1, time.monotonic()
    while floor.counts["kube_watch_event"] < expected and time.monotonic() - since < drain:
        if floor.counts["kube_watch_event"] != seen:
            seen, since = floor.counts["kube_watch_event"], time.monotonic()
        time.sleep(0.01)
    cpu_seconds = time.process_time() - cpu
    stop.set()
    return {"level": level, "objects": len(work), "concurrency": concurrency, "seconds": seconds,
            "cpu_seconds": cpu_seconds, "errors": len(floor.errors), "first_errors": floor.errors[:5],
            "requests": dict(sorted(floor.counts.items()))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kube", required=True)
    parser.add_argument("--vault", required=True)
    parser.add_argument("--token-from", required=True)
    parser.add_argument("--level", choices=LEVELS, required=True)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--cluster", default="default")
    parser.add_argument("--mount", default="kubernetes")
    parser.add_argument("--drain", type=float, default=10.0)
    args = parser.parse_args(argv)
    with open(args.token_from) as handle:
        token = handle.read().strip()
    print(json.dumps(run(args.kube, args.vault, token, args.level, args.concurrency, args.cluster, args.mount,
                         args.drain)))


if __name__ == "__main__":
    main()
