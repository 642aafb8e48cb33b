"""Unit tests of the restart-rounds harness (bench.restart_rounds) and the confirmed count it polls."""

from __future__ import annotations

from collections import Counter

from bench.access_confirmed import count_confirmed
from bench.restart_rounds import round_figures

EXPOSITION = """# HELP vault_access_operator_access_objects Access objects by phase.
# TYPE vault_access_operator_access_objects gauge
vault_access_operator_access_objects{kind="VaultPolicy",phase="Active"} 1499.0
vault_access_operator_access_objects{kind="VaultRole",phase="Active"} 1500.0
vault_access_operator_access_objects{kind="VaultRole",phase="Error"} 1.0
vault_access_operator_access_objects_created{kind="VaultRole",phase="Active"} 1.7e+09
vault_access_operator_access_objects_total 99.0
process_cpu_seconds_total 12.5
"""


def test_the_confirmed_count_sums_the_metrics_samples_and_nothing_else() -> None:
    assert count_confirmed(EXPOSITION) == 3000
    assert count_confirmed("") == 0


def test_a_round_reports_the_benchmark_process_cpu_per_object_and_the_commoner_requests() -> None:
    restart = {"confirmed_s": 4.2, "settle_s": 4.3, "cpu_ms_per_object_at_confirmed": 1.1, "writes": 0,
               "reads": 0, "status_writes": 0, "kube_writes": 2}
    figures = round_figures(3000, wall=5.0, bench_cpu=0.6, restart=restart,
                            requests=Counter({"GET vaultpolicies": 150, "GET vaultroles": 150, "POST events": 2}))
    assert figures["bench_ms_per_object"] == 0.2
    assert figures["bench_share_of_core"] == 0.12
    assert figures["kube_requests"] == {"GET vaultpolicies": 150, "GET vaultroles": 150}
    assert (figures["confirmed_s"], figures["vault_writes"], figures["status_writes"]) == (4.2, 0, 0)
