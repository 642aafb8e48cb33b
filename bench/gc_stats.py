"""Sums up a ``VAO_GC_STATS`` file: the operator's garbage collections per generation (core/gc_policy.py).

    VAO_GC_STATS=/tmp/gc.txt python -m bench.access_sync --objects 3000    # the operator inherits the setting
    python -m bench.gc_stats /tmp/gc.txt [--since UNIX_TIME] [--until UNIX_TIME]

Each line of the file is one collection: unix time, generation, CPU ms, wall ms, objects freed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def summarise(path: Path, since: float = 0.0, until: float = float("inf")) -> dict[str, Any]:
    """Per generation: collections, CPU ms, longest pause ms, objects freed; and the CPU in all collections."""
    generations: dict[str, dict[str, float]] = {
        str(number): {"collections": 0, "cpu_ms": 0.0, "longest_ms": 0.0, "freed": 0} for number in range(3)}
    for line in path.read_text().splitlines():
        at, generation, cpu, wall, freed = line.split()
        if not since <= float(at) <= until:
            continue
        cost = generations[generation]
        cost["collections"] += 1
        cost["cpu_ms"] = round(cost["cpu_ms"] + float(cpu), 1)
        cost["longest_ms"] = max(cost["longest_ms"], float(wall))
        cost["freed"] += int(freed)
    return {"generations": generations, "cpu_ms": round(sum(cost["cpu_ms"] for cost in generations.values()), 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path)
    parser.add_argument("--since", type=float, default=0.0)
    parser.add_argument("--until", type=float, default=float("inf"))
    args = parser.parse_args(argv)
    print(json.dumps(summarise(args.path, args.since, args.until), indent=1))


if __name__ == "__main__":
    main()
