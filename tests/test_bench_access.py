"""bench.access keeps working: its direct client writes what the operator writes, and a tiny run reports every
figure (the benchmark itself runs at 1,000 to 10,000 objects by hand; bench/README.md)."""

from __future__ import annotations

import json

from bench import access, access_phases, access_report
from bench.access_objects import CLUSTER, Workload, policy_document, role_payload, vault_name
from vault_access_operator.access.hcl import owner_record, render_policy
from vault_access_operator.access.policy_models import VaultPolicySpec
from vault_access_operator.access.role_models import RoleStatus
from vault_access_operator.access.role_object import parse_role, role_owner
from vault_access_operator.plugins.kubernetes.role import KubernetesRoleWriter
from vault_access_operator.role_writer import RoleBinding


def test_the_direct_client_writes_the_operators_documents_and_payloads() -> None:
    workload = Workload(40)
    i = 3
    policy = workload.policy_manifest(i)
    namespace, name = policy["metadata"]["namespace"], policy["metadata"]["name"]
    rules = VaultPolicySpec.model_validate(policy["spec"]).rules
    rendered = render_policy(rules, namespace, name, owner_record(CLUSTER, namespace, name, "VaultPolicy"))
    assert policy_document(namespace, name, i) == rendered

    role = parse_role("VaultRole", workload.role_manifest(i), RoleStatus())
    assert role.namespace == namespace  # a role grants only its own namespace's policies
    binding = RoleBinding(kind="VaultRole", namespace=role.namespace, name=role.name,
                          vault_name=vault_name(namespace, role.name), mount="kubernetes",
                          service_accounts=role.accounts, policies=(vault_name(namespace, name),), token_ttl=None,
                          token_max_ttl=None, ownership=role_owner(CLUSTER, role))
    expected = KubernetesRoleWriter().payload(binding, None)
    assert role_payload(namespace, role.name, f"app-{i}", vault_name(namespace, name)) == expected


def test_a_tiny_run_reports_every_figure() -> None:
    figures = access.one_size(40, duration=0.5, edits=2, drift_interval=4.0, timeout=120.0, quiet=2.0)
    for direct in ("direct_write", "direct_read", "direct_write_root"):  # the operator's Vault policy suffices
        assert figures[direct]["errors"] == 0 and figures[direct]["seconds"] > 0
    for phase in ("direct_write", "sync"):
        assert {"openbao_cpu_s", "openbao_share", "emulator_cpu_s", "emulator_share"} <= figures[phase].keys()
    assert figures["sync"]["operator_cpu_s"] > 0 and figures["ratio_initial"] > 0
    assert figures["sync"]["vault_per_object"]["writes"] >= 1  # policies and roles both reached OpenBao
    assert figures["restart"]["settle_s"] is not None
    assert {"writes", "reads", "status_writes", "kube_writes", "cpu_percent_of_core", "rss_mb"} <= \
        figures["steady"].keys()
    for kind in ("policy", "role"):
        assert figures[f"propagation_{kind}"]["seen"] == 2
    assert figures["drift"]["reads"] > 0 and len(figures["drift"]["buckets"]) == 10
    table = access_report.tables([json.loads(json.dumps(figures))])
    assert "| 40 (2) |" in table and "| 40 |" in table


def test_the_drift_window_counts_no_read_from_before_it() -> None:
    """Reads spread evenly over two intervals, the window the second half of the first and half of the next: each
    tenth holds the same count. Rounding toward zero put the tenth before the window into its first bucket (2x)."""
    times = [i * 0.01 for i in range(2_000)]  # 100 per second over 20 s
    counts = access_phases.per_bucket(times, 5.0, 10.0, 10)
    assert counts == [100] * 10
