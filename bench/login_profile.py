"""Where the operator's CPU goes in a restart of N connections: bench/cputime.py over the new process's logins.

    python -m bench.login_profile --connections 1000 --rounds 2 --out /tmp/login-profile [--old REV]

One stack (API emulator, OpenBao, N connections brought Active by a first operator); then ``--rounds`` restarts,
each a new operator under the CPU-time profiler from its start until its last connection is Active. Each round
writes ``OUT/round-<i>[-old].txt`` (the profile) and prints the operator's CPU per login with its start-up
included. With ``--old REV`` the rounds alternate between the working tree and that commit (bench.compare's
extraction), so the two profiles come from the same minutes.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vault_access_operator.testing.process import kill_on_exit
from vault_access_operator_devkit.kube import FakeKube

from .compare import extract
from .observe import StatusWatcher
from .runner import WARMUP, create, exit_cleanly_on_sigterm, freeze_heap, names, quiesce, start_operator, wait_active
from .stack import OPERATOR_NS, OPERATOR_SA, OperatorProcess, Stack


class ProfiledOperator(OperatorProcess):
    """The operator run under bench.cputime (``code``: another build's package folder, first on the path)."""

    def __init__(self, kube: FakeKube, out: Path, code: str | None) -> None:
        super().__init__(kube)
        self.out, self.code = out, code

    def start(self) -> ProfiledOperator:
        env = {**os.environ, "KUBECONFIG": str(self.kube.kubeconfig_path()), "OPERATOR_NAMESPACE": OPERATOR_NS,
               "OPERATOR_SERVICE_ACCOUNT": OPERATOR_SA, "HOME": str(self.workdir),
               "PYTHONPATH": os.pathsep.join(p for p in (self.code, str(Path(__file__).resolve().parent.parent)) if p)}
        command = [sys.executable, "-m", "bench.login_profile", "--child", str(self.out), "run", "--standalone",
                   "--metrics-port", "0"]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        kill_on_exit(self.proc)
        return self

    def write_profile(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGUSR2)
        deadline = time.monotonic() + 30
        while not self.out.exists() and time.monotonic() < deadline:
            time.sleep(0.1)


def _full_stacks(out: str) -> None:
    """The child: bench.cputime, but every stack kept whole and written (folded, one per line) next to OUT."""
    from collections import Counter
    from types import FrameType

    from . import cputime

    stacks: Counter[str] = Counter()
    plain = cputime._sample

    def sample(signum: int, frame: FrameType | None) -> None:
        plain(signum, frame)
        chain: list[str] = []
        while frame is not None:
            chain.append(cputime._name(frame))
            frame = frame.f_back
        stacks[";".join(reversed(chain))] += 1

    def write(path: str) -> None:
        with open(path + ".folded", "w") as folded:
            folded.write("".join(f"{stack} {n}\n" for stack, n in stacks.most_common()))
        plain_write(path)

    plain_write = cputime._write
    cputime._sample, cputime._write = sample, write
    sys.argv = [sys.argv[0], out, *sys.argv[3:]]
    cputime.main()


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        _full_stacks(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True, help="directory for the profiles")
    parser.add_argument("--old", default=None, help="alternate with this commit's build")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    exit_cleanly_on_sigterm()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-login-profile-") as scratch:
        builds: dict[str, str | None] = {"": None}
        if args.old:
            builds["-old"] = str(extract(args.old, Path(scratch)))
        with Stack() as stack:
            watcher = StatusWatcher(stack.kube).start()
            operator: OperatorProcess = start_operator(stack, watcher, "30s")
            try:
                wait_active(watcher, set(create(stack, names(args.connections), "30s")), operator, args.timeout)
                for i in range(args.rounds):
                    for suffix, code in builds.items():
                        operator.stop()
                        quiesce(stack)
                        watcher.reset()
                        freeze_heap()
                        profiled = ProfiledOperator(stack.kube, args.out / f"round-{i}{suffix}.txt", code)
                        operator = profiled.start()
                        spawned = time.monotonic()
                        last = wait_active(watcher, {*names(args.connections), WARMUP}, operator, args.timeout)
                        cpu = operator.sample().cpu_seconds
                        profiled.write_profile()
                        print(f"round {i}{suffix or ' (working tree)'}: {last - spawned:.1f} s, operator "
                              f"{1000 * cpu / (args.connections + 1):.2f} ms CPU per login (start-up included)",
                              flush=True)
            finally:
                watcher.stop()
                operator.stop()


if __name__ == "__main__":
    main()
