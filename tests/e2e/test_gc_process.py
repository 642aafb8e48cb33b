"""The `run` command applies the garbage-collector policy (core/gc_policy.py), and VAO_GC_STATS measures it in
the real operator process: counts and durations only, nothing of the login's."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import OPERATOR_NS, OPERATOR_SA
from tests.e2e.helpers import k8s_spec, wait_phase
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube

SUMMARY = re.compile(r"Garbage collector since start-up: (\d+) objects frozen at start-up, "
                     r"thresholds \((\d+), 10, 10\); generation 0: \d+ collections, \d+ ms of CPU "
                     r"\(longest pause [\d.]+ ms\), \d+ objects freed; "
                     r"generation 1: .*; generation 2: [^;]*$")
COLLECTION = re.compile(r"\d+\.\d{3} [012] \d+\.\d{3} \d+\.\d{3} \d+")


@pytest.mark.parametrize(("setting", "young_threshold"), [(None, 10_000), ("off", 700)])
def test_the_run_command_tunes_the_collector_unless_told_not_to_and_measures_it(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, tmp_path: Path, setting: str | None, young_threshold: int
) -> None:
    stats = tmp_path / "gc.txt"
    env = {**os.environ, "KUBECONFIG": str(fake_kube.kubeconfig_path()), "OPERATOR_NAMESPACE": OPERATOR_NS,
           "OPERATOR_SERVICE_ACCOUNT": OPERATOR_SA, "HOME": str(tmp_path), "VAO_GC_STATS": str(stats)}
    env.pop("VAO_GC_TUNING", None)
    env.pop("VAO_GC_YOUNG_THRESHOLD", None)
    if setting is not None:
        env["VAO_GC_TUNING"] = setting
    command = [str(Path(sys.executable).parent / "vault-access-operator"), "run", "--standalone", "--metrics-port", "0"]
    log_path = tmp_path / "operator.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            name = f"gc-{setting or 'on'}"
            fake_kube.create_vaultconnection(name, k8s_spec(vault_k8s.url))
            wait_phase(fake_kube, name, "Active", timeout=30)
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(30)
    text = log_path.read_text()
    assert process.returncode == 0, text[-2000:]
    summaries = [line for line in text.splitlines() if "Garbage collector since start-up" in line]
    assert len(summaries) == 1, text[-2000:]
    match = SUMMARY.search(summaries[0])
    assert match is not None, summaries[0]
    frozen, threshold = int(match[1]), int(match[2])
    assert threshold == young_threshold
    assert (frozen > 0) == (setting is None)  # tuned: start-up's objects frozen; off: nothing frozen
    # One line per collection, numbers only: nothing of the login (token, accessor) can be in it.
    lines = stats.read_text().splitlines()
    assert all(COLLECTION.fullmatch(line) for line in lines), lines[:5]
