"""The system under test: fake Kubernetes API (in this process), audited OpenBao, the operator as a child process."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from vault_access_operator.testing.process import kill_on_exit, terminate
from vault_access_operator_devkit import vault_setup
from vault_access_operator_devkit.kube import FakeKube

from .openbao import AuditedOpenBao
from .procstat import ProcSample, sample

OPERATOR_NS = "vault-access-operator-system"
OPERATOR_SA = "vault-access-operator-controller-manager"
ROLE = "operator"
#: The Vault policy the operator's role gets when access objects are benchmarked (VaultPolicies).
ACCESS_POLICY = 'path "sys/policies/acl/*" { capabilities = ["create", "read", "update", "delete", "list"] }'


class Stack:
    """FakeKube + OpenBao with kubernetes auth trusting it (role ``operator``, token TTL ``ttl``); with
    ``access``, the role's tokens may also manage Vault policies (``ACCESS_POLICY``)."""

    def __init__(self, ttl: str = "1h", max_ttl: str = "768h", access: bool = False) -> None:
        self.ttl, self.max_ttl, self.access = ttl, max_ttl, access
        self.kube = FakeKube()
        self.bao = AuditedOpenBao()

    def __enter__(self) -> Stack:
        self.kube.start()
        self.kube.create_service_account(OPERATOR_NS, OPERATOR_SA)
        self.bao.start()
        client = self.bao.client()
        vault_setup.enable_kubernetes_auth(client, self.kube.url)
        policies: tuple[str, ...] = ("default",)
        if self.access:
            vault_setup.write_policy(client, "operator-access", ACCESS_POLICY)
            policies = ("default", "operator-access")
        vault_setup.create_kubernetes_role(client, ROLE, [OPERATOR_SA], [OPERATOR_NS], ttl=self.ttl,
                                           max_ttl=self.max_ttl, policies=policies)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.bao.stop()
        self.kube.stop()


class OperatorProcess:
    """``vault-access-operator run --standalone`` against the fake API, as its own process (own RSS and CPU)."""

    def __init__(self, kube: FakeKube, profile: Path | None = None, what_if: str | None = None,
                 metrics_port: int = 0, memtrace: Path | None = None) -> None:
        self.kube = kube
        self.metrics_port = metrics_port  # 0: no /metrics (bench.access_confirmed reads it)
        self.profile = profile  # a directory: run under bench.profiled (CPU profile of every thread)
        # Run under bench.whatif with this change (and the one BENCH_WHAT_IF names for every process, if any).
        self.what_if = ",".join(w for w in (what_if, os.environ.get("BENCH_WHAT_IF")) if w) or None
        self.memtrace = memtrace  # a directory: run under bench.memtrace (memory reports on SIGUSR1)
        self.code_first: Path | None = None  # another build's package folder, first on the child's PYTHONPATH
        self.workdir = Path(tempfile.mkdtemp(prefix="bench-operator-"))
        self.log_path = self.workdir / "operator.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> OperatorProcess:
        env = {**os.environ, "KUBECONFIG": str(self.kube.kubeconfig_path()), "OPERATOR_NAMESPACE": OPERATOR_NS,
               "OPERATOR_SERVICE_ACCOUNT": OPERATOR_SA, "HOME": str(self.workdir)}
        command = [str(Path(sys.executable).parent / "vault-access-operator"), "run", "--standalone",
                   "--metrics-port", str(self.metrics_port)]
        if self.profile is not None or self.what_if is not None or self.memtrace is not None:
            env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
            launcher = (["bench.profiled", str(self.profile)] if self.profile else
                        ["bench.memtrace", str(self.memtrace)] if self.memtrace else
                        ["bench.whatif", str(self.what_if)])
            command = [sys.executable, "-m", *launcher, *command[1:]]
        if self.code_first is not None:
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(self.code_first), env.get("PYTHONPATH")) if p)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        kill_on_exit(self.proc)
        return self

    def profile_phase(self, start: bool) -> None:
        """Under bench.profiled: start a profiled phase (clear) or end it (write OUT/phase-<n>.txt)."""
        if self.profile is not None and self.proc is not None:
            self.proc.send_signal(signal.SIGUSR1 if start else signal.SIGUSR2)
            time.sleep(0.2)

    def memory_report(self, wait: float = 300.0) -> Path | None:
        """Under bench.memtrace: ask for a memory report and return its file once written (None if not)."""
        if self.memtrace is None or self.proc is None:
            return None
        before = set(self.memtrace.glob("mem-*.txt"))
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            new = set(self.memtrace.glob("mem-*.txt")) - before
            if new:
                time.sleep(0.5)  # written in one go, but give it a moment to close
                return new.pop()
            time.sleep(0.2)
        return None

    def sample(self) -> ProcSample:
        return sample(self.pid)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 60.0) -> None:
        """SIGINT (kopf's graceful stop: tokens are revoked), then SIGKILL after ``timeout``."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            deadline = time.monotonic() + timeout
            while self.proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
        terminate(self.proc, signal.SIGKILL)
        self.proc = None
        shutil.rmtree(self.workdir, ignore_errors=True)  # its log: log_tail() is read before this on failures

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
