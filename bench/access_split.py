"""The operator's CPU in an access sync, split by phase: reads bench.access_sync's ``--cpu-profile`` stacks.

    python -m bench.access_split OUT.txt.folded [MORE.folded ...] [--cpu-ms MS]

Each whole stack (outermost first) goes to the first phase whose markers it holds (all of them, in any frame);
several files (runs of one build) are summed; ``--cpu-ms`` (the runs' ``operator_ms_per_object``) turns the
shares into µs per object. The samples add up to less than /proc's CPU (several 2 ms ticks inside one call in C
give one sample), so the rows are shares.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

#: (phase, markers): a stack is in the first phase all of whose markers are in its frames (substrings).
PHASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("start-up (imports, set-up)", ("_find_and_load (<frozen importlib",)),
    ("pass: status build (previous/next status, status_body)",
     ("report (access/pass_report.py", "_status (access/status_writer.py")),
    ("pass: status build (previous/next status, status_body)",
     ("report (access/pass_report.py", "status_body (core/conditions.py")),
    ("pass: status PATCH", ("report (access/pass_report.py", "patch_status (core/kube.py")),
    ("pass: Synced event POST", ("report (access/pass_report.py", "post (core/events.py")),
    ("pass: report, the rest", ("report (access/pass_report.py",)),
    ("pass: Vault write", ("_pass (access/controller.py", "write (core/borrowed.py")),
    ("pass: Vault read (read-back, role's reads)", ("_pass (access/controller.py", "read (core/borrowed.py")),
    ("pass: name snapshot (LIST)", ("_pass (access/controller.py", "access/name_snapshot.py")),
    ("pass: render and hash", ("_pass (access/controller.py", "access/hcl.py")),
    ("pass: render and hash", ("_pass (access/controller.py", "role_writer.py")),
    ("pass: compare (HCL parse, same rules)", ("_pass (access/controller.py", "access/hcl_parse.py")),
    ("pass: parse the object (spec, status models)", ("_pass (access/controller.py", "policy_object (access/")),
    ("pass: parse the object (spec, status models)", ("_pass (access/controller.py", "role_object (access/")),
    ("pass: parse the object (spec, status models)", ("_pass (access/controller.py", "parse_role (access/")),
    ("pass: role's policy references", ("_pass (access/controller.py", "access/role_refs.py")),
    ("pass: role's policy references", ("_pass (access/controller.py", "access/policy_reads.py")),
    ("pass: metrics", ("_pass (access/controller.py", "access_metrics.py")),
    ("pass: the body decoded (for_pass)", ("_pass (access/controller.py", "for_pass (access/tracked.py")),
    ("pass: the rest", ("_pass (access/controller.py",)),
    ("the run loop outside the pass", ("_run (access/pass_scheduler.py",)),
    ("our on.event entry (observe: body kept, wake-up)", ("worker (reactor/queueing.py", "core/handlers.py")),
    ("kopf: finalizer (and its own) PATCH", ("worker (reactor/queueing.py", "patch_obj (clients/patching.py")),
    ("kopf: per watch event (causes, handler machinery)", ("worker (reactor/queueing.py",)),
    ("kopf: watch streams", ("watcher (reactor/queueing.py",)),
    ("event loop: HTTP bodies sent and answers read", ("write_bytes (aiohttp",)),
    ("event loop: HTTP bodies sent and answers read", ("data_received (aiohttp",)),
    ("event loop: HTTP bodies sent and answers read", ("aiohttp/connector.py",)),
)


def split(files: list[Path]) -> tuple[Counter[str], int]:
    counts: Counter[str] = Counter()
    total = 0
    for line in (line for folded in files for line in folded.read_text().splitlines()):
        stack, _, number = line.rpartition(" ")
        samples = int(number)
        total += samples
        phase = next((name for name, markers in PHASES if all(m in stack for m in markers)), "other")
        counts[phase] += samples
    return counts, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folded", type=Path, nargs="+")
    parser.add_argument("--cpu-ms", type=float, help="the run's operator CPU ms per object: adds µs per object")
    args = parser.parse_args()
    counts, total = split(args.folded)
    order = [name for name, _ in PHASES] + ["other"]
    for name in dict.fromkeys(order):
        share = counts[name] / total
        per_object = f" {share * args.cpu_ms * 1000:6.0f} µs" if args.cpu_ms else ""
        print(f"{100 * share:5.1f}%{per_object}  {name}")
    print(f"{total} samples")


if __name__ == "__main__":
    main()
