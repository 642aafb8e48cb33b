"""The benchmarks' direct clients, threads and asyncio, make the same requests: each login is one TokenRequest and
one Vault login, each access object one write (or read) at the operator's path, counted in OpenBao's audit log;
the asyncio client is not faster because it skips work (bench/README.md, session 13, "the direct clients")."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator

import pytest

from bench import access_direct, direct
from bench.access_direct_compare import compare, summary
from bench.runner import REPO, direct_logins
from bench.stack import Stack

LOGINS, OBJECTS = 12, 20


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack() as running:
        yield running


@pytest.mark.parametrize("client", direct.CLIENTS)
def test_each_login_client_makes_one_token_request_and_one_login_per_login(stack: Stack, client: str) -> None:
    mark = stack.bao.audit.mark()
    result = direct_logins(stack, LOGINS, 4, client)
    assert result["errors"] == 0 and result["logins"] == LOGINS and result["client"] == client
    logins = stack.bao.audit.requests_since(mark)["auth/kubernetes/login"]
    assert logins == LOGINS  # each login reached OpenBao, which reviewed a fresh TokenRequest's JWT


def test_both_access_clients_write_and_read_every_object_at_the_operators_paths(stack: Stack) -> None:
    mark = stack.bao.audit.mark()
    out = io.StringIO()
    runs = compare(OBJECTS, [4], rounds=1, out=out, stack=stack)
    assert {(r["client"], r["mode"]) for r in runs} == {(c, m) for c in access_direct.CLIENTS
                                                        for m in ("write", "read")}
    assert all(r["errors"] == 0 and r["objects"] == OBJECTS for r in runs)
    assert [json.loads(line) for line in out.getvalue().splitlines()] == runs
    paths = Counter(e.path for e in stack.bao.audit.entries(mark))
    policies = [p for p in paths if p.startswith("sys/policies/acl/direct-")]
    roles = [p for p in paths if p.startswith("auth/kubernetes/role/direct-")]
    assert len(policies) == len(roles) == OBJECTS // 2
    # the warm-up write, then each of the two clients writes and reads every object once
    assert all(paths[p] == 5 for p in policies + roles), paths
    assert "| 20 | write | asyncio | 4 |" in summary(runs)


@pytest.mark.parametrize("client", direct.CLIENTS)
def test_each_health_check_client_looks_each_token_up_once_per_interval(stack: Stack, client: str) -> None:
    command = [sys.executable, "-m", "bench.direct", "--vault", stack.bao.url, "--kube", stack.kube.url,
               "--logins", "6", "--concurrency", "2", "--lookups-for", "1.0", "--interval", "0.5", "--client", client]
    mark = stack.bao.audit.mark()
    process = subprocess.Popen(command, cwd=REPO, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out, _ = process.communicate("go\n", timeout=120)
    ready, figures = (json.loads(line) for line in out.splitlines())
    assert ready == {"ready": True} and process.returncode == 0
    assert figures["errors"] == 0 and figures["lookups"] == 12 and figures["client"] == client  # 6 tokens, 2 rounds
    paths = stack.bao.audit.requests_since(mark)
    assert paths["auth/kubernetes/login"] == 6 and paths["auth/token/revoke-self"] == 6
    assert paths["auth/token/lookup-self"] == 12
