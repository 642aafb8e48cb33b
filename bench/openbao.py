"""A dev-mode OpenBao with a file audit device (OpenBao only allows audit devices from its config file)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import hvac
import requests

from vault_access_operator.testing.openbao import bao_binary
from vault_access_operator.testing.ports import free_port_pair
from vault_access_operator.testing.process import kill_on_exit, terminate

from .audit import AuditLog


class AuditedOpenBao:
    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="bench-openbao-"))
        self.port = free_port_pair()  # dev mode also binds port + 1
        self.audit = AuditLog(self.workdir / "audit.log")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> AuditedOpenBao:
        config = self.workdir / "audit.hcl"
        config.write_text(f'audit "file" "bench" {{\n  options {{\n    file_path = "{self.audit.path}"\n  }}\n}}\n')
        command = [bao_binary(), "server", "-dev", "-dev-root-token-id=root", "-dev-no-store-token",
                   f"-dev-listen-address=127.0.0.1:{self.port}", f"-config={config}"]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BAO_", "VAULT_"))}
        env["HOME"] = str(self.workdir)
        with open(self.workdir / "bao.log", "ab") as log:
            self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                         cwd=self.workdir, start_new_session=True)
        kill_on_exit(self.proc)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/v1/sys/health", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"OpenBao did not start; see {self.workdir / 'bao.log'}")

    def client(self) -> hvac.Client:
        return hvac.Client(url=self.url, token="root")

    def stop(self) -> None:
        if self.proc is not None:
            terminate(self.proc)
            self.proc = None
        shutil.rmtree(self.workdir, ignore_errors=True)
