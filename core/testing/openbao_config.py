"""HCL configuration for `bao server` test instances."""

from __future__ import annotations

import json
from pathlib import Path

from .tls import TLSMaterial


def _q(value: object) -> str:
    return json.dumps(str(value))  # an HCL string literal is JSON-compatible


def listener_hcl(port: int, cluster_port: int, tls: TLSMaterial | None) -> str:
    tls_lines = (
        f"  tls_cert_file = {_q(tls.cert_path)}\n  tls_key_file = {_q(tls.key_path)}\n"
        if tls else "  tls_disable = true\n"
    )
    # An explicit cluster_address: by default it is port+1, which may be taken.
    return (f'listener "tcp" {{\n  address = "127.0.0.1:{port}"\n'
            f'  cluster_address = "127.0.0.1:{cluster_port}"\n{tls_lines}}}\n')


def persistent_hcl(data_dir: Path, port: int, cluster_port: int, api_url: str, tls: TLSMaterial | None) -> str:
    # OpenBao 2.7 has no "file" storage ("unknown storage type file") and no mlock
    # ("disable_mlock" is an unknown field), so: single-node raft. A multiplier of 1 cuts
    # the raft leader election after init/unseal from ~5 s to ~1 s.
    return (
        f'storage "raft" {{\n  path = {_q(data_dir)}\n  node_id = "node1"\n  performance_multiplier = 1\n}}\n'
        + listener_hcl(port, cluster_port, tls)
        + f'api_addr = {_q(api_url)}\ncluster_addr = "https://127.0.0.1:{cluster_port}"\n'
        + 'ui = false\nlog_level = "info"\n'
    )
