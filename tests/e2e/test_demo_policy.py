"""``./dev demo`` end to end: the VaultConnection turns Active, then a VaultPolicy, read back from OpenBao."""

from __future__ import annotations

import pytest

from vault_access_operator_devkit.demo import run_demo


def test_the_demo_shows_a_policy_active_and_in_openbao(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_demo(timeout=30) == 0
    printed = capsys.readouterr().out
    assert "The VaultConnection is Active" in printed and "The VaultPolicy is Active" in printed
    # Printed from OpenBao (root token): the operator's header and the rule, {{namespace}} filled in.
    assert "bao policy read vao.default.demo.app-read" in printed
    assert "# k8s-resource: demo/app-read\n" in printed and 'path "secret/data/demo/*" {' in printed
    # Then a VaultRole: the workload's login reads its namespace's secret and is denied another one.
    assert "The VaultRole is Active" in printed
    assert "role vao.default.demo.app at auth/kubernetes" in printed
    assert "secret/data/demo/greeting: ok: {'message': 'hello from Vault'}" in printed
    assert "secret/data/payments/db: permission denied" in printed
