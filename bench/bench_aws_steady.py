"""Logins and renewals per aws connection in steady state, through the real operator.

    python -m bench.bench_aws_steady [--connections 20] [--ttl 6] [--duration 60]   (from the repo root)

Runs the operator (in-process) against the Kubernetes API emulator, with IRSA credentials
from botocore's chain against moto STS and the Vault auth/aws test double in front of a real
OpenBao dev server (real tokens and renewals). Every connection's role has a short token TTL
and a max TTL of ten TTLs; after the duration the script reads each connection's status.

How to read it: the operator should renew about every 2/3 of the TTL (renewals per TTL about
1.5) and log in again only when renewal cannot help (here at the max TTL: one login per ten
TTLs), never once per reconcile or health check. "logins per hour at a 1 h TTL" scales the
measured logins per TTL to a production TTL: the target is at most 1 per token lifetime.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from tests.support.aws_context import isolate_aws_env
from tests.support.aws_helpers import AwsEnv
from tests.support.aws_moto import MotoAws, allow_unsigned_web_identity, shared_moto
from tests.support.aws_vault_double import AwsVaultDouble
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import run_operator
from vault_access_operator_devkit.waiting import wait_for

NS, SA = "vault-access-operator-system", "vault-access-operator-controller-manager"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--ttl", type=float, default=6.0, help="token TTL in seconds")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of steady state to observe")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the Vault double's request log
    monkeypatch = pytest.MonkeyPatch()
    with TemporaryDirectory() as tmp, OpenBaoServer("dev") as bao, FakeKube() as kube, allow_unsigned_web_identity():
        isolate_aws_env(monkeypatch, Path(tmp))
        moto: MotoAws = shared_moto()
        moto.reset()
        role_arn = moto.create_role("vault-access-operator-role")
        with AwsVaultDouble(sts_endpoint=moto.url, upstream=bao) as double:
            double.add_role("bench", auth_type="iam", bound_iam_principal_arn=role_arn, ttl=f"{args.ttl:g}s",
                            max_ttl=f"{args.ttl * 10:g}s")
            moto.signatures(True)
            AwsEnv(monkeypatch, Path(tmp)).irsa(role_arn, moto.url, region="us-west-2")
            kube.create_service_account(NS, SA)
            identity = OperatorIdentity(namespace=NS, service_account=SA, token_file="/nonexistent")
            with run_operator(kube.connection_info(), identity=identity, backoff=Backoff(0.5, 5.0)) as running:
                names = [f"aws-{i}" for i in range(args.connections)]
                for name in names:
                    kube.create_vaultconnection(name, {"address": double.url, "healthCheckInterval": "30s",
                                                       "auth": {"aws": {"role": "bench"}}})
                started = time.monotonic()
                wait_for(lambda: all(_status(kube, n).get("phase") == "Active" for n in names), timeout=120)
                print(f"{args.connections} aws connections Active in {time.monotonic() - started:.1f}s")
                metrics = running.app.metrics.registry
                base = {n: _counts(metrics, n) for n in names}
                time.sleep(args.duration)
                after = {n: _counts(metrics, n) for n in names}
                active = sum(_status(kube, n).get("phase") == "Active" for n in names)
    monkeypatch.undo()
    _report(args, base, after, active)


def _status(kube: FakeKube, name: str) -> dict[str, Any]:
    return (kube.get_vaultconnection(name) or {}).get("status") or {}


def _counts(metrics: CollectorRegistry, name: str) -> tuple[float, float]:
    """(successful logins, successful renewals) of one connection, from the operator's own metrics."""
    labels = {"connection": name, "method": "aws", "result": "success"}
    return (metrics.get_sample_value("vault_access_operator_logins_total", labels) or 0.0,
            metrics.get_sample_value("vault_access_operator_renewals_total", labels) or 0.0)


def _report(args: argparse.Namespace, base: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]],
            active: int) -> None:
    ttls = args.duration / args.ttl
    logins = sum(after[n][0] - base[n][0] for n in base) / len(base)
    renewals = sum(after[n][1] - base[n][1] for n in base) / len(base)
    print(f"observed {args.duration:g}s = {ttls:.1f} TTLs of {args.ttl:g}s (max TTL {args.ttl * 10:g}s)")
    print(f"connections still Active:   {active}/{len(base)}")
    print(f"logins per connection:      {logins:.2f} = {logins / ttls:.3f} per TTL "
          f"(expected about {ttls / 10:.1f} in all: one per max TTL)")
    print(f"renewals per connection:    {renewals:.1f} = {renewals / ttls:.2f} per TTL "
          "(target about 1.5: one renewal per ~2/3 TTL)")
    print(f"at a 1 h TTL with no max:   {logins / ttls:.3f} logins per token lifetime would be an upper bound "
          "(the target is 1 at most; a login per reconcile or health check would be hundreds)")


if __name__ == "__main__":
    main()
