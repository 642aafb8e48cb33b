"""The real kubectl (Debian's kubernetes-client) pointed at the API emulator through a kubeconfig."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from vault_access_operator_devkit.kube import FakeKube

INSTALL_HINT = ("kubectl is not installed and could not be installed: install Debian's kubernetes-client "
                "package (as root: apt-get update && apt-get install -y kubernetes-client)")


def _install() -> str | None:
    """apt-get install kubernetes-client, when this process may (root with apt-get)."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None
    subprocess.run("apt-get update -qq && apt-get install -y -qq kubernetes-client", shell=True,
                   capture_output=True, timeout=900, check=False)
    return shutil.which("kubectl")


@pytest.fixture(scope="session")
def kubectl_binary() -> str:
    """kubectl from PATH, installed once if missing. In CI (CI=true) a missing kubectl fails the tests."""
    found = shutil.which("kubectl") or _install()
    if found is None:
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail(INSTALL_HINT)
        pytest.skip(INSTALL_HINT)
    return found


class Kubectl:
    """Runs kubectl against one emulator, with its own kubeconfig and discovery cache."""

    def __init__(self, binary: str, kubeconfig: Path, home: Path) -> None:
        self.binary = binary
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
                    "KUBECONFIG": str(kubeconfig), "KUBECACHEDIR": str(home / "cache")}

    def __call__(self, *args: str, stdin: str | None = None, check: bool = True,
                 timeout: float = 60) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([self.binary, *args], input=stdin, env=self.env, capture_output=True,
                                text=True, timeout=timeout, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} exited {result.returncode}:\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result

    def start(self, *args: str) -> subprocess.Popen[str]:
        """kubectl in the background (wait, get -w): the caller stops it."""
        return subprocess.Popen([self.binary, *args], env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)


@pytest.fixture
def kubectl(kubectl_binary: str, fake_kube: FakeKube, tmp_path: Path) -> Iterator[Kubectl]:
    yield Kubectl(kubectl_binary, fake_kube.write_kubeconfig(tmp_path / "kubeconfig"), tmp_path)
