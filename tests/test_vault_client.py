"""The generic Vault client against a real OpenBao: KV v2 secrets, ACL policies, refusals mapped to clear errors.

A fake Vault (pytest-httpserver) only where OpenBao cannot answer as needed: the namespace header
(OpenBao's namespaces need a setup this test does not need) and an error text echoing a secret.
"""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from vault_access_operator.errors import (
    ConfigError,
    Reason,
    VaultNotFoundError,
    VaultPermissionDeniedError,
    VaultRequestError,
    VaultUnavailableError,
)
from vault_access_operator.redact import REDACTOR
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator.vault import VaultClient, VaultHTTP

ROOT = "root"
POLICY = 'path "secret/data/team-a/*" {\n  capabilities = ["read"]\n}\n'


@pytest.mark.asyncio
async def test_kv_v2_secret_written_read_listed_deleted(openbao: OpenBaoServer) -> None:
    async with VaultHTTP() as http:
        vault = VaultClient(openbao.url, True, http)
        written = await vault.write("secret/data/team-a/db", {"data": {"user": "app"}}, token=ROOT)
        assert written is not None and written["version"] == 1
        read = await vault.read("/secret/data/team-a/db", token=ROOT)  # surrounding slashes are fine
        assert read is not None and read["data"] == {"user": "app"}
        assert await vault.list("secret/metadata/team-a", token=ROOT) == ["db"]
        await vault.delete("secret/metadata/team-a/db", token=ROOT)
        assert await vault.read("secret/data/team-a/db", token=ROOT) is None  # 404: nothing there
        assert await vault.list("secret/metadata/team-a", token=ROOT) == []  # 404: no keys
        await vault.delete("secret/metadata/team-a/db", token=ROOT)  # deleting what is gone is done


@pytest.mark.asyncio
async def test_acl_policy_written_read_listed_deleted(openbao: OpenBaoServer) -> None:
    async with VaultHTTP() as http:
        vault = VaultClient(openbao.url, True, http)
        assert await vault.write("sys/policies/acl/team-a", {"policy": POLICY}, token=ROOT) is None  # 204
        read = await vault.read("sys/policies/acl/team-a", token=ROOT)
        assert read is not None and read["policy"] == POLICY
        assert "team-a" in await vault.list("sys/policies/acl", token=ROOT)
        await vault.delete("sys/policies/acl/team-a", token=ROOT)
        assert await vault.read("sys/policies/acl/team-a", token=ROOT) is None
    assert "team-a" not in openbao.client().sys.list_acl_policies()["data"]["keys"]


@pytest.mark.asyncio
async def test_a_restricted_token_gets_permission_denied_naming_the_path(openbao: OpenBaoServer) -> None:
    root = openbao.client()
    root.sys.create_or_update_acl_policy("team-a-reader", POLICY)
    token = root.auth.token.create(policies=["team-a-reader"], ttl="10m")["auth"]["client_token"]
    async with VaultHTTP() as http:
        vault = VaultClient(openbao.url, True, http)
        with pytest.raises(VaultPermissionDeniedError) as denied:
            await vault.write("sys/policies/acl/evil", {"policy": POLICY}, token=token)
    error = denied.value
    assert (error.status, error.path, error.reason) == (403, "sys/policies/acl/evil", Reason.VAULT_PERMISSION_DENIED)
    assert "permission denied" in error.vault_text
    assert error.message.startswith(f"Vault at {openbao.url} denied write of sys/policies/acl/evil (HTTP 403): ")
    assert "'create' or 'update'" in error.message and error.retryable
    assert token not in error.message and "capabilities" not in error.message  # no token, nothing written


@pytest.mark.asyncio
async def test_a_malformed_policy_is_a_request_error_and_an_unmounted_path_not_found(openbao: OpenBaoServer) -> None:
    async with VaultHTTP() as http:
        vault = VaultClient(openbao.url, True, http)
        with pytest.raises(VaultRequestError) as rejected:
            await vault.write("sys/policies/acl/broken", {"policy": 'path "x" { capabilities = '}, token=ROOT)
        assert rejected.value.status == 400 and not rejected.value.retryable
        assert "rejected write of sys/policies/acl/broken (HTTP 400): " in rejected.value.message
        with pytest.raises(VaultNotFoundError) as missing:
            await vault.write("nowhere/data/x", {"data": {}}, token=ROOT)
        assert missing.value.status == 404 and missing.value.reason == "VaultNotFound"
        assert "has nothing at nowhere/data/x (HTTP 404)" in missing.value.message


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["", "/", "secret/../sys/policies/acl/x", "secret//x", "./secret"])
async def test_paths_that_would_leave_where_they_point_are_refused(path: str) -> None:
    async with VaultHTTP() as http:
        with pytest.raises(ConfigError, match="is not a Vault path"):
            await VaultClient("http://127.0.0.1:1", True, http).read(path, token=ROOT)


def _answer_once(httpserver: HTTPServer, seen: list[Request], status: int, body: dict[str, object]) -> None:
    def handler(request: Request) -> Response:
        seen.append(request)
        return Response(json.dumps(body), status=status, content_type="application/json")

    httpserver.expect_request("/v1/team/data/x").respond_with_handler(handler)


@pytest.mark.asyncio
async def test_a_namespace_is_sent_as_x_vault_namespace(httpserver: HTTPServer) -> None:
    seen: list[Request] = []
    _answer_once(httpserver, seen, 200, {"data": {"data": {"k": "v"}}})
    async with VaultHTTP() as http:
        plain = VaultClient(httpserver.url_for("/"), True, http)
        read = await plain.in_namespace("/platform/team-a/").read("team/data/x", token=ROOT)
        await plain.read("team/data/x", token=ROOT)  # the original client is unchanged
    assert read == {"data": {"k": "v"}}
    assert seen[0].headers.get("X-Vault-Namespace") == "platform/team-a"
    assert "X-Vault-Namespace" not in seen[1].headers


@pytest.mark.asyncio
async def test_vault_error_texts_are_masked_and_5xx_is_unavailable(httpserver: HTTPServer) -> None:
    secret = "s.a-remembered-secret-value-1234"
    REDACTOR.remember(secret)
    try:
        seen: list[Request] = []
        _answer_once(httpserver, seen, 400, {"errors": [f"bad value {secret}"]})
        async with VaultHTTP() as http:
            vault = VaultClient(httpserver.url_for("/"), True, http).in_namespace("ns1")
            with pytest.raises(VaultRequestError) as rejected:
                await vault.write("team/data/x", {"data": {"password": secret}}, token=ROOT)
            assert secret not in rejected.value.message and secret not in rejected.value.vault_text
            assert "team/data/x in namespace ns1 (HTTP 400): bad value ***" in rejected.value.message
            httpserver.clear()
            _answer_once(httpserver, seen, 503, {"errors": ["Vault is sealed"]})
            with pytest.raises(VaultUnavailableError) as sealed:
                await vault.read("team/data/x", token=ROOT)
            assert sealed.value.reason == Reason.VAULT_SEALED
    finally:
        REDACTOR.forget(secret)
