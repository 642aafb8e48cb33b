"""bench.access's JSON lines (stdin) as the Markdown tables of bench/README.md.

    python -m bench.access --objects 1000,3000 > out.json && python -m bench.access_report < out.json
"""

from __future__ import annotations

import json
import sys
from typing import Any


def _cpu(phase: dict[str, Any], names: tuple[str, ...]) -> str:
    return " / ".join(f"{phase[f'{n}_cpu_s']:.1f} ({100 * phase[f'{n}_share']:.0f}%)" for n in names)


def _seconds(phase: dict[str, Any] | None) -> str:
    return f"{phase['seconds']:.2f} s" if phase else "-"


def _confirmed(restart: dict[str, Any]) -> str:
    if "confirmed_s" not in restart:  # runs before bench.access measured it
        return ""
    return f"{restart['confirmed_s']} s ({restart['confirmed_over_direct_read']}) / "


def _edit(p: dict[str, Any]) -> str:
    edits = max(1, p["edits"])
    return (f"{1000 * p['p50_s']:.0f} / {1000 * p['p99_s']:.0f} ms, {p['vault_writes'] / edits:.2f} Vault + "
            f"{p['kube_writes'] / edits:.2f} Kubernetes writes" if p["p50_s"] is not None else "not seen")


def tables(runs: list[dict[str, Any]]) -> str:
    lines = [
        "| objects (namespaces) | direct write / read (write as root; client) | operator sync | ratio (by CPU) | "
        "sync CPU-s: operator / OpenBao / emulator (share of the cores) | direct-write CPU-s: client / OpenBao / "
        "emulator | Vault requests per object (writes, reads) | Kubernetes writes per object (status) |",
        "|---|---|---|---|---|---|---|---|"]
    for r in runs:
        s, w = r["sync"], r["direct_write"]
        lines.append(
            f"| {r['objects']:,} ({r['namespaces']}) | {w['seconds']:.2f} / {r['direct_read']['seconds']:.2f} s "
            f"({_seconds(r.get('direct_write_root'))}; {r.get('direct_client', 'threads')}) | "
            f"{s['seconds']:.1f} s | {r['ratio_initial']:.2f} ({r.get('ratio_initial_cpu', 0):.2f}) | "
            f"{_cpu(s, ('operator', 'openbao', 'emulator'))} | "
            f"{_cpu(w, ('direct', 'openbao', 'emulator'))} | {s['vault_requests_per_object']:.2f} "
            f"({s['vault_per_object']['writes']:.2f}, {s['vault_per_object']['reads']:.2f}) | "
            f"{s['kube_writes_per_object']:.2f} ({s['status_writes_per_object']:.2f}) |")
    lines += ["", "| objects | restart: Vault writes / reads / status writes | restart confirmed / settled "
              "(x direct read) | steady: Vault writes / reads, Kubernetes writes | steady CPU (% of a core) | "
              "RSS after sync / steady | policy edit p50 / p99, writes per edit | role edit p50 / p99, writes per "
              "edit | drift: interval, reads per object, max / mean bucket |", "|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        rs, st, d = r["restart"], r["steady"], r.get("drift")
        drift = (f"{d['interval_s']:g} s, {d['reads_per_object']:.2f}, {d['max_over_mean']}" if d else "—")
        lines.append(
            f"| {r['objects']:,} | {rs['writes']} / {rs['reads']} / {rs['status_writes']} | {_confirmed(rs)}"
            f"{rs['settle_s']} s ({rs['settle_over_direct_read']}) | "
            f"{st['writes']} / {st['reads']}, {st['kube_writes']} | "
            f"{st['cpu_percent_of_core']:.2f} | {r['sync']['rss_mb']:.0f} / {st['rss_mb']:.0f} MB | "
            f"{_edit(r['propagation_policy'])} | {_edit(r['propagation_role'])} | {drift} |")
    return "\n".join(lines)


def main() -> None:
    runs = [json.loads(line) for line in sys.stdin if line.startswith("{")]
    print(tables(runs))


if __name__ == "__main__":
    main()
