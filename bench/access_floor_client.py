"""The leanest client of the operator's per-object contract: bench.access_floor's "floor client", its own process.

No kopf, no pydantic, no operator code: asyncio + aiohttp, one kept-alive session for the API server and one for
Vault. It LISTs the VaultPolicies and VaultRoles (pages of 500, as kopf does), then ``--concurrency`` workers take
the objects one by one and make the requests of one contract level, at the operator's Vault paths with the
operator's documents (rendered from each object's spec, as the operator does; bench.access_objects has them):

- ``write``: the Vault write, then the status merge patch (phase Active, Ready and Synced) — the least any
  operator must do;
- ``readback``: + issue 14's read-back (a GET of what was written), after the write;
- ``contract``: + the finalizer merge patch before the write, and the Synced event after the read-back;
- ``contract+watch``: as ``contract``, and a watch stream on each kind is open from the LIST's resourceVersion to
  the end, every event decoded (each PATCH comes back as a MODIFIED event, which an operator must read).

Time: from the first LIST to the last status PATCH answered. CPU: this process's, over the same span and the
watch's draining of the echoes still on their way after it (``--drain``). Imports are outside both.

    python -m bench.access_floor_client --kube URL --vault URL --token-from FILE --level L [--concurrency C]
      -> one JSON line: seconds, cpu_seconds, objects, errors, requests by what they were
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter, defaultdict
from typing import Any, NamedTuple

import aiohttp

from . import aio_http

LEVELS = ("write", "readback", "contract", "contract+watch")
GROUP = "/apis/vault.platform.io/v1alpha1"
KINDS = {"vaultpolicies": "VaultPolicy", "vaultroles": "VaultRole"}
FINALIZER = "vault.platform.io/finalizer"  # core/handlers.py's, as kopf writes it
PAGE = 500  # kopf's settings.watching.chunk_size in the operator (core/handlers.py)
MERGE = {"Content-Type": "application/merge-patch+json"}


def policy_document(namespace: str, name: str, spec: dict[str, Any], cluster: str) -> str:
    """The ACL document of a VaultPolicy: the operator's ownership header, then its rules (core/access/hcl.py)."""
    header = (f"# managed-by: vault-access-operator\n# cluster: {cluster}\n# k8s-resource: {namespace}/{name}\n"
              "# k8s-kind: VaultPolicy\n\n")
    rules = [f'path "{rule["path"]}" {{\n  capabilities = [{", ".join(json.dumps(c) for c in rule["capabilities"])}]'
             "\n}\n" for rule in spec.get("rules") or []]
    return header + "\n".join(rules)


def role_payload(namespace: str, name: str, spec: dict[str, Any], cluster: str) -> dict[str, Any]:
    """What plugins/kubernetes/role.py writes for a VaultRole (its policies by their Vault names)."""
    return {"bound_service_account_names": list(spec.get("serviceAccounts") or []),
            "bound_service_account_namespaces": [namespace],
            "token_policies": [f"vao.{cluster}.{namespace}.{ref['name']}" for ref in spec.get("policies") or []],
            "token_ttl": 0, "token_max_ttl": 0,
            "alias_metadata": {"managed-by": "vault-access-operator", "cluster": cluster,
                               "k8s-resource": f"{namespace}/{name}", "k8s-kind": "VaultRole"}}


def vault_write(plural: str, obj: dict[str, Any], cluster: str, mount: str) -> tuple[str, dict[str, Any]]:
    """(path under /v1, body) of the object's Vault write, under its own Vault name."""
    meta, spec = obj["metadata"], obj.get("spec") or {}
    namespace, name = meta["namespace"], meta["name"]
    vault_name = f"vao.{cluster}.{namespace}.{name}"
    if plural == "vaultpolicies":
        return f"sys/policies/acl/{vault_name}", {"policy": policy_document(namespace, name, spec, cluster)}
    return f"auth/{mount}/role/{vault_name}", role_payload(namespace, name, spec, cluster)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Call(NamedTuple):
    """One request of an object's pass: to the API server ("kube") or Vault, its body already encoded."""

    target: str
    method: str
    path: str
    what: str  # what it counts as (bench.access_floor.EXPECTED)
    body: str | None = None
    headers: dict[str, str] | None = None


def calls_for(level: str, plural: str, obj: dict[str, Any], cluster: str, mount: str) -> list[Call]:
    """The requests of ``level`` for one object, in the order one pass of the operator makes them; the status
    PATCH last (the object shows Ready when it is answered)."""
    meta = obj["metadata"]
    namespace, name = meta["namespace"], meta["name"]
    path = f"{GROUP}/namespaces/{namespace}/{plural}/{name}"
    contract = level.startswith("contract")
    vault_path, body = vault_write(plural, obj, cluster, mount)
    calls: list[Call] = []
    if contract:
        finalizers = {"metadata": {"finalizers": [FINALIZER]}}
        calls.append(Call("kube", "PATCH", path, "kube_finalizer_patch", json.dumps(finalizers), MERGE))
    calls.append(Call("vault", "PUT", f"/v1/{vault_path}", "vault_write", json.dumps(body)))
    if level != "write":
        calls.append(Call("vault", "GET", f"/v1/{vault_path}", "vault_read"))
    now = _now()
    if contract:
        involved = {"apiVersion": obj["apiVersion"], "kind": KINDS[plural], "name": name, "namespace": namespace,
                    "uid": meta.get("uid"), "resourceVersion": meta.get("resourceVersion")}
        event = {"apiVersion": "v1", "kind": "Event",
                 "metadata": {"name": f"{name}.{time.time_ns():x}", "namespace": namespace},
                 "involvedObject": involved, "reason": "Synced", "message": f"wrote {vault_path}",
                 "type": "Normal", "source": {"component": "vault-access-operator"}, "firstTimestamp": now,
                 "lastTimestamp": now, "count": 1, "reportingComponent": "vault-access-operator"}
        calls.append(Call("kube", "POST", f"/api/v1/namespaces/{namespace}/events", "kube_event_post",
                          json.dumps(event)))
    conditions = [{"type": kind, "status": "True", "reason": "Succeeded", "message": "",
                   "lastTransitionTime": now, "observedGeneration": meta.get("generation")}
                  for kind in ("Ready", "Synced")]
    status = {"status": {"phase": "Active", "conditions": conditions, "lastSyncedAt": now}}
    calls.append(Call("kube", "PATCH", f"{path}/status", "kube_status_patch", json.dumps(status), MERGE))
    return calls


class FloorClient:
    def __init__(self, kube: aiohttp.ClientSession, vault: aiohttp.ClientSession, level: str, cluster: str,
                 mount: str, skip: str = "") -> None:
        self.kube, self.vault, self.level, self.skip = kube, vault, level, skip
        self.cluster, self.mount = cluster, mount
        self.counts: Counter[str] = Counter()  # requests made, by what they were; watch events decoded
        self.errors: list[str] = []
        self.waited: dict[str, float] = defaultdict(float)  # send to answer read, s by what
        self.last_status = 0.0

    async def list_all(self, plural: str) -> tuple[list[dict[str, Any]], str]:
        """Every object of the kind, in pages of PAGE; the resourceVersion of the first page (a watch's start)."""
        items: list[dict[str, Any]] = []
        token, version = "", ""
        while True:
            params = {"limit": str(PAGE), **({"continue": token} if token else {})}
            self.counts["kube_list_page"] += 1
            async with self.kube.get(f"{GROUP}/{plural}", params=params) as response:
                page = json.loads(await response.read())
            items += page["items"]
            version = version or page["metadata"]["resourceVersion"]
            token = page["metadata"].get("continue") or ""
            if not token:
                return items, version

    async def one(self, plural: str, obj: dict[str, Any]) -> None:
        """The level's requests for one object, one after another (as one pass of the operator makes them)."""
        for call in calls_for(self.level, plural, obj, self.cluster, self.mount):
            if call.what == self.skip:
                continue
            self.counts[call.what] += 1
            session = self.kube if call.target == "kube" else self.vault
            sent = time.perf_counter()
            status, _ = await aio_http.send(session, call.method, call.path, call.body, call.headers)
            if status >= 300:
                self.errors.append(f"{call.what} {call.path}: HTTP {status}")
            self.waited[call.what] += time.perf_counter() - sent
        self.last_status = time.perf_counter()

    async def watch(self, plural: str, version: str) -> None:
        """Read and decode every event of the kind's watch stream from ``version`` until cancelled."""
        params = {"watch": "true", "resourceVersion": version, "allowWatchBookmarks": "true"}
        self.counts["kube_watch_open"] += 1
        async with self.kube.get(f"{GROUP}/{plural}", params=params, timeout=aiohttp.ClientTimeout()) as response:
            async for line in response.content:
                if line.strip() and json.loads(line).get("type") != "BOOKMARK":
                    self.counts["kube_watch_event"] += 1


async def run(kube_url: str, vault_url: str, token: str, level: str, concurrency: int, cluster: str, mount: str,
              drain: float, skip: str = "") -> dict[str, Any]:
    limit = concurrency + 4  # connections: the workers', and the watch streams beside them
    async with aio_http.session(kube_url, {"Authorization": "Bearer floor", "Content-Type": "application/json"},
                                limit) as kube, \
            aio_http.session(vault_url, {"X-Vault-Token": token}, limit) as vault:
        client = FloorClient(kube, vault, level, cluster, mount, skip)
        started, cpu = time.perf_counter(), time.process_time()
        work: list[tuple[str, dict[str, Any]]] = []
        watches: list[asyncio.Task[None]] = []
        for plural in KINDS:
            items, version = await client.list_all(plural)
            work += [(plural, obj) for obj in items]
            if level == "contract+watch":
                watches.append(asyncio.create_task(client.watch(plural, version)))
        await aio_http.each(work, concurrency, lambda item: client.one(*item))
        seconds = client.last_status - started
        # Echoes of the last patches may still be on their way: read them (two per object: finalizer, status),
        # or until ``drain`` s pass without one.
        expected, seen, since = 2 * len(work) if watches else 0, -1, time.monotonic()
        while client.counts["kube_watch_event"] < expected and time.monotonic() - since < drain:
            if client.counts["kube_watch_event"] != seen:
                seen, since = client.counts["kube_watch_event"], time.monotonic()
            await asyncio.sleep(0.01)
        cpu_seconds = time.process_time() - cpu
        for task in watches:
            task.cancel()
        await asyncio.gather(*watches, return_exceptions=True)
    return {"level": level, "objects": len(work), "concurrency": concurrency, "seconds": seconds,
            "cpu_seconds": cpu_seconds, "errors": len(client.errors), "first_errors": client.errors[:5],
            "requests": dict(sorted(client.counts.items())),
            "answer_ms": {k: round(1000 * v / client.counts[k], 2) for k, v in sorted(client.waited.items())}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kube", required=True, help="the API server's URL (plain HTTP: the emulator)")
    parser.add_argument("--vault", required=True)
    parser.add_argument("--token-from", required=True, help="a file holding the Vault token")
    parser.add_argument("--level", choices=LEVELS, required=True)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--cluster", default="default", help="the operator's --cluster-name (in Vault names)")
    parser.add_argument("--mount", default="kubernetes", help="the auth mount the roles go to")
    parser.add_argument("--drain", type=float, default=10.0, help="seconds to wait for a watch echo still due")
    parser.add_argument("--skip", default="", help="leave out one request of each object's pass, named as counted "
                        "(kube_status_patch, vault_read, ...): proof in tests that bench.access_floor.verify notices")
    args = parser.parse_args(argv)
    with open(args.token_from) as handle:
        token = handle.read().strip()
    print(json.dumps(asyncio.run(run(args.kube, args.vault, token, args.level, args.concurrency, args.cluster,
                                     args.mount, args.drain, args.skip))))


if __name__ == "__main__":
    main()
