"""Runs the operator command under a sampling profiler that sees every thread (no py-spy needed).

    python -m bench.profiled OUT_DIR run --standalone ...   (then: kill -USR1 PID; ...; kill -USR2 PID)

Every 5 ms a background thread takes the Python stack of every other thread and keeps the ones that are
not waiting (on a socket, a selector, a lock, a queue or a sleep). SIGUSR1 starts a phase (clears the
counts); SIGUSR2 writes OUT_DIR/phase-<n>.txt: the share of busy samples per library (a thread waiting for
the GIL counts as busy: it wants the CPU) and the top functions. Unlike cProfile this does not inflate code
made of many small calls.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from .sampling import Samples, describe

_samples = Samples()
_dumps = 0
OUT = Path(".")


def _sampler(interval: float = 0.005) -> None:
    me = threading.get_ident()
    while True:
        time.sleep(interval)
        _samples.take(sys._current_frames(), skip=me)


def _clear(signum: int, frame: FrameType | None) -> None:
    _samples.clear()


def _dump(signum: int, frame: FrameType | None) -> None:
    global _dumps
    _dumps += 1
    try:  # an exception here would surface in whatever the operator was doing
        (OUT / f"phase-{_dumps}.txt").write_text(describe(_samples))
    except Exception as error:
        print(f"bench.profiled: could not write the profile: {error!r}", file=sys.stderr)


def main() -> None:
    global OUT
    OUT = Path(sys.argv[1])
    OUT.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGUSR1, _clear)
    signal.signal(signal.SIGUSR2, _dump)
    threading.Thread(target=_sampler, name="bench-sampler", daemon=True).start()
    from vault_access_operator.cli import main as cli

    sys.argv = ["vault-access-operator", *sys.argv[2:]]
    cli()


if __name__ == "__main__":
    main()
