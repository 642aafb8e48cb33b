"""The limit: N kubernetes-auth logins done directly, as fast as a client can (run as its own process).

Each login does what a login costs the operator outside its own bookkeeping: a TokenRequest for the
service account's JWT (Kubernetes API) and ``PUT auth/kubernetes/login`` (Vault, which sends a TokenReview
back to the Kubernetes API). Threads with one hvac client and one HTTP session each, kept alive, not
reading proxy settings from the environment on every request.

    python -m bench.direct --vault URL --kube URL --logins N --concurrency C   -> one JSON line
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import threading
import time

import hvac
import requests

from .stack import OPERATOR_NS, OPERATOR_SA, ROLE

_local = threading.local()


def _clients(vault: str, kube: str) -> tuple[hvac.Client, requests.Session]:
    if not hasattr(_local, "vault"):
        session = requests.Session()
        session.trust_env = False  # else requests scans os.environ for proxies on every request
        _local.vault = hvac.Client(url=vault, session=session)
        _local.kube = requests.Session()
        _local.kube.trust_env = False
    return _local.vault, _local.kube


def login_once(vault: str, kube: str) -> None:
    client, session = _clients(vault, kube)
    url = f"{kube}/api/v1/namespaces/{OPERATOR_NS}/serviceaccounts/{OPERATOR_SA}/token"
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
            "spec": {"audiences": ["vault"], "expirationSeconds": 3600}}
    answer = session.post(url, json=body, timeout=30)
    answer.raise_for_status()
    client.auth.kubernetes.login(role=ROLE, jwt=answer.json()["status"]["token"])


def run(vault: str, kube: str, logins: int, concurrency: int) -> dict[str, float]:
    errors = 0
    started, cpu = time.perf_counter(), time.process_time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        for future in concurrent.futures.as_completed([pool.submit(login_once, vault, kube) for _ in range(logins)]):
            if future.exception() is not None:
                errors += 1
    return {"logins": logins, "concurrency": concurrency, "seconds": time.perf_counter() - started, "errors": errors,
            "cpu_seconds": time.process_time() - cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vault", required=True)
    parser.add_argument("--kube", required=True)
    parser.add_argument("--logins", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    print(json.dumps(run(args.vault, args.kube, args.logins, args.concurrency)))


if __name__ == "__main__":
    main()
