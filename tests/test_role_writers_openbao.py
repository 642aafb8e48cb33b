"""Role writers against real OpenBao: what a writer sends reads back with no differences, a hand edit is
seen, a removed field is reset in Vault, and the ownership record survives (core/testing/role_writer_vault.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from vault_access_operator.plugins.kubernetes.role import KubernetesRoleWriter
from vault_access_operator.plugins.oidc.role_writer import JWTRoleWriter
from vault_access_operator.plugins.oidc.role_writer_config import JWTRoleConfig
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator.testing.role_writer import sample_binding
from vault_access_operator.testing.role_writer_vault import changed_field_is_seen, role_round_trip

JWT = JWTRoleWriter()
JWT_CONFIGS: dict[str, dict[str, Any]] = {
    "subject": {},
    "explicit subject": {"boundSubject": "system:serviceaccount:team-a:other", "userClaim": "email"},
    "claims": {"boundClaimsList": {"/kubernetes.io/namespace": ["team-a"], "groups": ["a", "b"]},
               "boundClaims": {"team": "x"}, "boundAudiences": ["vault", "other"]},
    "glob claims": {"boundClaimsList": {"sub": ["system:serviceaccount:team-a:*"]}, "boundClaimsType": "glob"},
}


@pytest.fixture(scope="module")
def bao() -> Iterator[OpenBaoServer]:
    with OpenBaoServer("dev") as server:
        client = server.client()
        for mount in ("jwt", "oidc", "kubernetes"):
            client.sys.enable_auth_method(mount, path=mount)
        yield server


def jwt_binding(mount: str = "jwt", **changes: Any) -> Any:
    return sample_binding(**{"mount": mount, "vault_name": f"vao.jwt.team-a.app-{mount}", **changes})


@pytest.mark.parametrize("mount", ["jwt", "oidc"])
@pytest.mark.parametrize("name", list(JWT_CONFIGS))
def test_jwt_payloads_read_back_without_differences(bao: OpenBaoServer, name: str, mount: str) -> None:
    binding = jwt_binding(mount, token_ttl=600, token_max_ttl=3600)
    trip = role_round_trip(bao.url, "root", JWT, binding, JWTRoleConfig.model_validate(JWT_CONFIGS[name]))
    assert trip.differences == []
    assert trip.read_back["token_ttl"] == 600 and trip.read_back["role_type"] == "jwt"
    # OpenBao drops alias_metadata; the record survives in the writer's second carrier.
    assert "alias_metadata" not in trip.read_back
    assert trip.ownership == dict(binding.ownership)


@pytest.mark.parametrize(("field", "value"), [
    ("token_ttl", "20m"), ("bound_subject", "system:serviceaccount:x:y"), ("token_policies", ["other"]),
    ("bound_audiences", ["elsewhere"]), ("user_claim", "email"), ("bound_claims", {"team": ["x"]}),
    ("bound_claims_type", "glob"), ("token_max_ttl", 7200),
])
def test_a_hand_edit_of_one_field_is_named(bao: OpenBaoServer, field: str, value: Any) -> None:
    binding = jwt_binding(token_ttl=600, token_max_ttl=3600)
    trip = role_round_trip(bao.url, "root", JWT, binding)
    assert changed_field_is_seen(bao.url, "root", JWT, binding, trip, field, value) == [field]


def test_what_the_spec_no_longer_says_is_reset_in_vault(bao: OpenBaoServer) -> None:
    # The replaced operator's defect (UPSTREAM-ACCESS.md §3.5): claims, subject and TTLs lingered.
    binding = jwt_binding(vault_name="vao.jwt.team-a.switch", token_ttl=600, token_max_ttl=3600)
    claims = JWTRoleConfig.model_validate(JWT_CONFIGS["claims"])
    role_round_trip(bao.url, "root", JWT, binding, claims)
    trip = role_round_trip(bao.url, "root", JWT, dataclasses.replace(binding, token_ttl=None, token_max_ttl=None))
    assert trip.differences == []
    read = trip.read_back
    assert (read["bound_claims"], read["token_ttl"], read["token_max_ttl"]) in (({}, 0, 0), (None, 0, 0))
    assert read["bound_subject"] == "system:serviceaccount:team-a:app"
    back = role_round_trip(bao.url, "root", JWT, binding, claims)
    assert back.read_back["bound_subject"] == "" and back.differences == []


def test_a_role_written_by_the_replaced_operator_is_migrated_to_the_token_fields(bao: OpenBaoServer) -> None:
    binding = jwt_binding(vault_name="vao.jwt.team-a.legacy")
    bao.client().write(f"auth/jwt/role/{binding.vault_name}", role_type="jwt", user_claim="sub",
                       bound_audiences="vault", bound_subject="s", policies="old", ttl="1h")
    trip = role_round_trip(bao.url, "root", JWT, binding)
    assert trip.differences == []
    assert "policies" not in trip.read_back and "ttl" not in trip.read_back


def test_kubernetes_payloads_read_back_without_differences(bao: OpenBaoServer) -> None:
    writer = KubernetesRoleWriter()
    binding = sample_binding(mount="kubernetes", token_ttl=600)
    trip = role_round_trip(bao.url, "root", writer, binding)
    assert trip.differences == [] and trip.ownership is None  # OpenBao drops alias_metadata
    assert changed_field_is_seen(bao.url, "root", writer, binding, trip, "token_ttl", 60) == ["token_ttl"]
