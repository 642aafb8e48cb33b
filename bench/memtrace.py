"""Runs the operator command with a memory report on demand (for measuring only; the operator is not changed).

    MEMTRACE_FRAMES=1 python -m bench.memtrace OUT_DIR run --standalone ...   (then: kill -USR1 PID)

Each SIGUSR1 writes OUT_DIR/mem-<pid>-<n>.txt: RSS, the C allocator's view (glibc ``mallinfo2``: bytes in use
against bytes held), the live objects by type (``gc.get_objects``, frozen ones included), and, with
``MEMTRACE_FRAMES`` > 0, tracemalloc's top allocation sites by line and by file (``MEMTRACE_FRAMES`` frames
each; tracemalloc costs CPU and memory of its own, so RSS figures are taken from runs without it).
A full ``gc.collect()`` runs first, so the report shows what is alive, not what waits for the collector.
``MEMTRACE_PEAK=1`` (with frames) keeps OUT/peak-<pid>.txt: the allocation sites at the highest traced memory.
``MEMTRACE_WHAT_IF=NAME`` applies a what-if of bench/whatif.py first. With ``MEMTRACE_TRIM=1`` the report
ends with the RSS after glibc's ``malloc_trim(0)`` (which it then keeps).
"""

from __future__ import annotations

import collections
import ctypes
import gc
import os
import signal
import sys
import tempfile
import threading
import time
import tracemalloc
import types
from pathlib import Path
from types import FrameType

OUT = Path(".")
_dumps = 0
_TOP = 40


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def _malloc_line() -> str:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        info = libc.mallinfo2()
    except (OSError, AttributeError):
        return "malloc: mallinfo2 not available"
    mb = 1024 * 1024
    return (f"malloc (all arenas): heaps {info.arena / mb:.1f} MB, mmapped {info.hblkhd / mb:.1f} MB, "
            f"in use {info.uordblks / mb:.1f} MB, free in heaps {info.fordblks / mb:.1f} MB")


def _pymalloc_lines() -> list[str]:
    """The summary of ``sys._debugmallocstats`` (it writes to the C stderr: borrowed for the call)."""
    with tempfile.TemporaryFile("w+") as capture:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            os.dup2(capture.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        capture.seek(0)
        text = capture.read()
    wanted = ("arenas highwater mark", "arenas allocated current", "bytes in allocated blocks",
              "bytes in available blocks", "unused pools")
    return ["pymalloc: " + " ".join(line.split()) for line in text.splitlines() if any(w in line for w in wanted)]


def _status() -> str:
    wanted = ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads")
    lines = Path(f"/proc/{os.getpid()}/status").read_text().splitlines()
    return ", ".join(line.replace("\t", " ") for line in lines if line.split(":")[0] in wanted)


def _kinds_of(objects: list[object]) -> list[str]:
    """Which code the live frames, coroutines, generators and tracebacks belong to (the top ones)."""
    where: collections.Counter[str] = collections.Counter()
    for obj in objects:
        code: object = None
        if isinstance(obj, types.CoroutineType):
            code = obj.cr_code
        elif isinstance(obj, types.GeneratorType):
            code = obj.gi_code
        elif isinstance(obj, types.AsyncGeneratorType):
            code = obj.ag_code
        elif isinstance(obj, types.FrameType):
            code = obj.f_code
        elif isinstance(obj, types.TracebackType):
            code = obj.tb_frame.f_code
        if isinstance(code, types.CodeType):
            where[f"{type(obj).__name__} {code.co_qualname} ({Path(code.co_filename).name}:{code.co_firstlineno})"] += 1
    return [f"\nlive frames, coroutines, generators, tracebacks by code (top {_TOP}):",
            *(f"{count:>9}  {name}" for name, count in where.most_common(_TOP))]


def report() -> str:
    before = _status()
    collected = gc.collect()  # cyclic garbage the collector had not reached yet
    lines = [f"before gc.collect(): {before}; it found {collected} unreachable objects", _status(),
             _malloc_line(), *_pymalloc_lines(), f"python blocks allocated: {sys.getallocatedblocks()}",
             f"gc: counts {gc.get_count()}, frozen {gc.get_freeze_count()}"]
    by_type = collections.Counter(type(o).__qualname__ + " (" + type(o).__module__ + ")" for o in gc.get_objects())
    lines.append(f"\nlive container objects by type (top {_TOP}, total {sum(by_type.values())}):")
    lines += [f"{count:>9}  {name}" for name, count in by_type.most_common(_TOP)]
    lines += _kinds_of(gc.get_objects())
    if tracemalloc.is_tracing():
        current, peak = tracemalloc.get_traced_memory()
        lines.append(f"\ntracemalloc: current {current / 2**20:.1f} MB, peak {peak / 2**20:.1f} MB")
        snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        for key in ("filename", "lineno"):
            lines.append(f"\ntop {_TOP} by {key}:")
            for stat in snapshot.statistics(key)[:_TOP]:
                frame = stat.traceback[0]
                where = f"{frame.filename}:{frame.lineno}" if key == "lineno" else frame.filename
                lines.append(f"{stat.size / 1024:>10.0f} KB {stat.count:>9}  {where}")
        if tracemalloc.get_traceback_limit() > 1:
            lines.append(f"\ntop {_TOP // 2} by traceback:")
            for stat in snapshot.statistics("traceback")[:_TOP // 2]:
                lines.append(f"{stat.size / 1024:>10.0f} KB {stat.count:>9}")
                lines += ["        " + line for line in stat.traceback.format()]
    if os.environ.get("MEMTRACE_TRIM") == "1":  # what glibc gives back of the free memory in its heaps
        trimmed = ctypes.CDLL("libc.so.6").malloc_trim(0)
        lines.append(f"\nafter malloc_trim(0) (returned {trimmed}): {_status()}")
    return "\n".join(lines) + "\n"


def _dump(signum: int, frame: FrameType | None) -> None:
    global _dumps
    _dumps += 1
    try:  # an exception here would surface in whatever the operator was doing
        (OUT / f"mem-{os.getpid()}-{_dumps}.txt").write_text(report())
    except Exception as error:
        print(f"bench.memtrace: could not write the report: {error!r}", file=sys.stderr)


def _watch_peak(step_mb: float = 2.0) -> None:
    """With tracemalloc on: each time the traced memory exceeds its highest yet by ``step_mb``, write
    OUT/peak-<pid>.txt with the top allocation sites at that moment (what the transient peak is made of)."""
    highest = 0.0
    while True:
        time.sleep(0.5)
        current = tracemalloc.get_traced_memory()[0] / 2**20
        if current < highest + step_mb:
            continue
        highest = current
        snapshot = tracemalloc.take_snapshot()
        lines = [f"traced {current:.1f} MB at {time.strftime('%H:%M:%S')}: {_status()}"]
        for stat in snapshot.statistics("lineno")[:_TOP]:
            frame = stat.traceback[0]
            lines.append(f"{stat.size / 1024:>10.0f} KB {stat.count:>9}  {frame.filename}:{frame.lineno}")
        (OUT / f"peak-{os.getpid()}.txt").write_text("\n".join(lines) + "\n")


def main() -> None:
    global OUT
    OUT = Path(sys.argv[1])
    OUT.mkdir(parents=True, exist_ok=True)
    frames = int(os.environ.get("MEMTRACE_FRAMES", "0"))
    if frames > 0:
        tracemalloc.start(frames)
        if os.environ.get("MEMTRACE_PEAK") == "1":
            threading.Thread(target=_watch_peak, daemon=True).start()
    signal.signal(signal.SIGUSR1, _dump)
    if os.environ.get("MEMTRACE_WHAT_IF"):  # an experimental change as well (bench/whatif.py)
        from .whatif import apply

        apply(os.environ["MEMTRACE_WHAT_IF"])
    from vault_access_operator.cli import main as cli

    sys.argv = ["vault-access-operator", *sys.argv[2:]]
    cli()


if __name__ == "__main__":
    main()
