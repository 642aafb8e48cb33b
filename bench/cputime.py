"""Runs the operator command under a profiler that samples on CPU time, not wall-clock time.

    python -m bench.cputime OUT_FILE run --standalone ...   (then: kill -USR1 PID; ...; kill -USR2 PID)

Every 2 ms of the process's CPU (``ITIMER_PROF``: user + system, all threads) the event loop's thread notes its
Python stack. A wall-clock sampler (py-spy, bench.profiled) on a loaded host counts a thread that the kernel
preempted (say, right after a socket write woke OpenBao) as busy in that frame: py-spy put 35 to 42% of a
steady operator's busy samples in aiohttp's socket write (sessions 7 and 8) while /proc said 94% of its CPU was
user time, and this profiler 7 to 8%.
Here a frame is sampled only for the CPU spent; time spent in C (the event loop, a system call) lands on the
next Python frame run. SIGUSR1 starts a phase (clears the counts); SIGUSR2 writes OUT_FILE: inclusive and
exclusive shares of the samples by function, then the commonest stacks.
"""

from __future__ import annotations

import signal
import sys
from collections import Counter
from types import FrameType

INTERVAL = 0.002
_inclusive: Counter[str] = Counter()
_exclusive: Counter[str] = Counter()
_stacks: Counter[str] = Counter()
_taken = [0]


def _name(frame: FrameType) -> str:
    code = frame.f_code
    return f"{code.co_name} ({'/'.join(code.co_filename.split('/')[-2:])}:{code.co_firstlineno})"


def _sample(signum: int, frame: FrameType | None) -> None:
    if frame is None:
        return
    _taken[0] += 1
    _exclusive[_name(frame)] += 1
    chain: list[str] = []
    at: FrameType | None = frame
    while at is not None:
        chain.append(_name(at))
        at = at.f_back
    _inclusive.update(set(chain))
    _stacks[";".join(reversed(chain[:12]))] += 1


def _clear(signum: int, frame: FrameType | None) -> None:
    for counts in (_inclusive, _exclusive, _stacks):
        counts.clear()
    _taken[0] = 0


def _write(path: str) -> None:
    total = max(_taken[0], 1)
    lines = [f"samples {_taken[0]} (one per {INTERVAL * 1000:g} ms of CPU)", "--- inclusive"]
    lines += [f"{n * 100 / total:5.1f}% {name}" for name, n in _inclusive.most_common(150)]
    lines += ["--- exclusive"] + [f"{n * 100 / total:5.1f}% {name}" for name, n in _exclusive.most_common(80)]
    lines += ["--- stacks (outermost first, 12 deep)"] + [f"{n} {stack}" for stack, n in _stacks.most_common(60)]
    with open(path, "w") as out:
        out.write("\n".join(lines) + "\n")


def main() -> None:
    path = sys.argv[1]
    signal.signal(signal.SIGPROF, _sample)
    signal.signal(signal.SIGUSR1, _clear)
    signal.signal(signal.SIGUSR2, lambda signum, frame: _write(path))
    signal.setitimer(signal.ITIMER_PROF, INTERVAL, INTERVAL)
    from vault_access_operator.cli import main as cli

    sys.argv = ["vault-access-operator", *sys.argv[2:]]
    cli()


if __name__ == "__main__":
    main()
