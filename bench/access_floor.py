"""The contract's floor: how fast can the leanest client of the operator's per-object requests sync bench.access's
N objects, against the direct client in the same run?

For each level of ``--levels`` (bench.access_floor_client says what each requests per object), a fresh OpenBao and
API emulator (bench.stack), then, as bench.access does:

- **direct**: the direct client (bench.access_direct, 32 kept-alive threads, a token with the operator's Vault
  policies) writes the N/2 policy documents and N/2 role payloads under its own names;
- **floor**: the N objects of bench.access_objects created in the emulator, unsynced; the floor client (its own
  process, a token with the same policies) lists them and makes the level's requests for each: from its first
  LIST to its last status PATCH answered. ratio = direct write time / floor time; the same by CPU seconds (the
  client's and OpenBao's, as bench.access reckons the operator's) and by all CPU seconds (the emulator's too: the
  wall ratio at equal shares of the cores, which contention skews); CPU ms per object of the client, OpenBao and
  the emulator (this process); requests per object as the client counted them, and as OpenBao's audit log and the
  emulator's objects show them (``check``: every object Active, its finalizer, its event, its Vault object).

One JSON line per level, then a table on stderr.

    python -m bench.access_floor --objects 3000 --rounds 2 > floor.json  # every level, twice over
    python -m bench.access_floor --objects 10000 --levels write,contract+watch --client threads
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from vault_access_operator_devkit.kube_resources import VAULTPOLICIES, VAULTROLES

from .access import _direct
from .access_cpu import CpuMeter
from .access_floor_client import FINALIZER, LEVELS
from .access_objects import CLUSTER, MOUNT, Workload, direct_files, vault_name
from .access_watch import audit_counts
from .stack import Stack

#: What each level asks per object of the API server and of Vault, as the client counts them.
EXPECTED = {
    "write": {"kube_status_patch": 1, "vault_write": 1},
    "readback": {"kube_status_patch": 1, "vault_write": 1, "vault_read": 1},
    "contract": {"kube_finalizer_patch": 1, "kube_status_patch": 1, "kube_event_post": 1, "vault_write": 1,
                 "vault_read": 1},
}
EXPECTED["contract+watch"] = {**EXPECTED["contract"], "kube_watch_event": 2}
#: The floor client's two ways, by --client: one event loop, or threads (each its own kept-alive sessions).
CLIENTS = {"asyncio": "bench.access_floor_client", "threads": "bench.access_floor_threads"}


def check(stack: Stack, workload: Workload, level: str) -> dict[str, Any]:
    """What the emulator and OpenBao hold after the level: objects Active, with our finalizer, events posted,
    Vault policies and roles under the objects' names."""
    found = {"active": 0, "finalizer": 0, "events": 0, "vault_policies": 0, "vault_roles": 0}
    for spec in (VAULTPOLICIES, VAULTROLES):
        for obj in stack.kube.call("GET", spec.url())["items"]:
            found["active"] += (obj.get("status") or {}).get("phase") == "Active"
            found["finalizer"] += FINALIZER in (obj["metadata"].get("finalizers") or [])
    events = stack.kube.call("GET", "/api/v1/events")["items"]
    found["events"] = sum(e.get("reason") == "Synced" and (e.get("involvedObject") or {}).get("kind") in
                          ("VaultPolicy", "VaultRole") for e in events)
    client = stack.bao.client()
    policies = set(client.sys.list_acl_policies()["data"]["keys"])
    found["vault_policies"] = sum(vault_name(ns, name) in policies for ns, name in workload.policies())
    roles = set(client.list(f"auth/{MOUNT}/role")["data"]["keys"])
    found["vault_roles"] = sum(vault_name(ns, name) in roles for ns, name in workload.roles())
    return found


def one_level(count: int, level: str, concurrency: int, timeout: float, client_kind: str = "asyncio",
              skip: str = "") -> dict[str, Any]:
    """One level's run on a fresh stack: the direct client's write, then the floor client's (``skip``: a request
    it leaves out, for tests); the figures, and what :func:`verify` finds amiss in them."""
    workload = Workload(count)
    figures: dict[str, Any] = {"objects": count, "level": level, "concurrency": concurrency, "client": client_kind}
    with Stack() as stack, tempfile.TemporaryDirectory(prefix="bench-floor-") as scratch:
        client = stack.bao.client()
        work_file, token_file = direct_files(client, workload, Path(scratch))
        figures["direct_write"] = _direct(stack, str(work_file), "write", str(token_file))
        workload.create(stack.kube)
        assert stack.bao.proc is not None
        mark = stack.bao.audit.mark()
        meter = CpuMeter({"openbao": stack.bao.proc.pid})
        command = [sys.executable, "-m", CLIENTS[client_kind], "--kube", stack.kube.url, "--vault",
                   stack.bao.url, "--token-from", str(token_file), "--level", level, "--concurrency",
                   str(concurrency), "--cluster", CLUSTER, "--mount", MOUNT, *(["--skip", skip] if skip else [])]
        result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True,
                                           timeout=timeout).stdout)
        floor = {"seconds": round(result["seconds"], 3), "errors": result["errors"],
                 **meter.stop({"floor": result["cpu_seconds"]})}
        if result["errors"]:
            floor["first_errors"] = result["first_errors"]
        vault = audit_counts(stack.bao.audit, mark)
        floor["answer_ms"] = result.get("answer_ms", {})  # mean per request, by what (the asyncio client's)
        floor["requests_per_object"] = {k: round(v / count, 3) for k, v in result["requests"].items()}
        floor["audit_per_object"] = {k: round(vault[k] / count, 3) for k in ("requests", "writes", "reads")}
        floor["cpu_ms_per_object"] = {p: round(floor[f"{p}_cpu_s"] * 1000 / count, 3)
                                      for p in ("floor", "openbao", "emulator")}
        figures["floor"] = floor
        figures["check"] = check(stack, workload, level)
    direct = figures["direct_write"]
    figures["ratio"] = round(direct["seconds"] / floor["seconds"], 3) if floor["seconds"] else 0.0
    spent = floor["floor_cpu_s"] + floor["openbao_cpu_s"]  # as bench.access._cpu_ratio reckons the operator's
    figures["ratio_cpu"] = round((direct["direct_cpu_s"] + direct["openbao_cpu_s"]) / spent, 3) if spent else 0.0
    # By all CPU, the emulator's too: the wall ratio the two runs would show with the same share of the cores
    # (every process here is CPU-bound on the same two cores; other work on the machine skews the wall ratio).
    direct_all = sum(direct[f"{p}_cpu_s"] for p in ("direct", "openbao", "emulator"))
    floor_all = sum(floor[f"{p}_cpu_s"] for p in ("floor", "openbao", "emulator"))
    figures["ratio_all_cpu"] = round(direct_all / floor_all, 3) if floor_all else 0.0
    figures["machine_share"] = {"direct": round(sum(direct[f"{p}_share"] for p in ("direct", "openbao", "emulator")),
                                                3),
                                "floor": round(sum(floor[f"{p}_share"] for p in ("floor", "openbao", "emulator")), 3)}
    figures["problems"] = verify(figures)
    return figures


def verify(figures: dict[str, Any]) -> list[str]:
    """What differs from the level's contract: requests per object as the client counted them (exactly the
    level's, no other), Vault writes and reads in OpenBao's audit log, and what the emulator and OpenBao hold."""
    level, count, floor = figures["level"], figures["objects"], figures["floor"]
    problems = [f"{floor['errors']} requests failed: {floor.get('first_errors')}"] if floor["errors"] else []
    asked = {k: v for k, v in floor["requests_per_object"].items() if k not in ("kube_list_page", "kube_watch_open")}
    if asked != EXPECTED[level]:
        problems.append(f"requests per object {asked}, the level {level} makes {EXPECTED[level]}")
    audit = {"writes": 1.0, "reads": 0.0 if level == "write" else 1.0}
    if {k: floor["audit_per_object"][k] for k in audit} != audit:
        problems.append(f"OpenBao's audit log: {floor['audit_per_object']} per object, expected {audit}")
    contract = count if level.startswith("contract") else 0
    held = {"active": count, "finalizer": contract, "events": contract, "vault_policies": count // 2,
            "vault_roles": count // 2}
    if figures["check"] != held:
        problems.append(f"the emulator and OpenBao hold {figures['check']}, expected {held}")
    return problems


def summary(lines: list[dict[str, Any]]) -> str:
    """The JSON lines as bench/README.md's table."""
    rows = ["| objects | level (client) | direct s | floor s | ratio (by CPU; by all CPU) | machine share direct, "
            "floor | CPU ms/object floor / OpenBao / emulator | requests per object |",
            "|---|---|---|---|---|---|---|---|"]
    for f in lines:
        floor, cpu = f["floor"], f["floor"]["cpu_ms_per_object"]
        asked = ", ".join(f"{k.removeprefix('kube_')} {v:g}" for k, v in floor["requests_per_object"].items()
                          if k != "kube_watch_open")
        rows.append(f"| {f['objects']} | {f['level']} ({f['client']}) | {f['direct_write']['seconds']:.2f} | "
                    f"{floor['seconds']:.2f} | {f['ratio']:.2f} ({f['ratio_cpu']:.2f}; {f['ratio_all_cpu']:.2f}) | "
                    f"{f['machine_share']['direct']:.2f}, {f['machine_share']['floor']:.2f} | {cpu['floor']:.2f} / "
                    f"{cpu['openbao']:.2f} / {cpu['emulator']:.2f} | {asked} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=3000, help="objects in all (even: half policies)")
    parser.add_argument("--levels", default=",".join(LEVELS), help=f"comma-separated, of {', '.join(LEVELS)}")
    parser.add_argument("--concurrency", type=int, default=32, help="the floor client's workers (the direct "
                        "client's threads are 32, as in bench.access)")
    parser.add_argument("--client", choices=sorted(CLIENTS), default="asyncio", help="the floor client's way: "
                        "asyncio + aiohttp (the faster here, bench/README.md) or threads + requests")
    parser.add_argument("--rounds", type=int, default=1, help="run the levels this many times over, in turn (the "
                        "machine's noise shows in the spread)")
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args(argv)
    levels = args.levels.split(",")
    if unknown := set(levels) - set(LEVELS):
        parser.error(f"--levels: unknown {', '.join(sorted(unknown))}; give some of {', '.join(LEVELS)}")
    started, lines = time.monotonic(), []
    for level in levels * args.rounds:
        lines.append(one_level(args.objects, level, args.concurrency, args.timeout, args.client))
        print(json.dumps(lines[-1]), flush=True)
    print(summary(lines), file=sys.stderr)
    for figures in lines:
        for problem in figures["problems"]:
            print(f"{figures['level']}: {problem}", file=sys.stderr)
    print(f"took {time.monotonic() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
