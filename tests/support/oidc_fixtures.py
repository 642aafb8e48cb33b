"""pytest fixtures for the oidc/jwt plugin tests: a local issuer and a configured OpenBao.

Import the fixtures into a test module (``from tests.support.oidc_fixtures import *_fixture``);
tests/conftest.py belongs to the whole suite and is not touched by this plugin.

OpenBao mounts (all roles ``op``: role_type=jwt, user_claim=sub, token_ttl 60s):
* ``jwt``      jwt_validation_pubkeys = issuer key, bound_issuer = issuer URL, aud "vault"
* ``oidc``     type oidc, oidc_discovery_url = issuer URL, aud = issuer URL (set in audiences)
* ``jwks``     jwks_url = issuer /keys, bound_issuer = issuer URL, aud "vault"
* ``google``   issuer key, bound_issuer https://accounts.google.com, aud GOOGLE_AUDIENCE
* ``otherkey`` jwt_validation_pubkeys = some other key (signature failures), aud "vault"
* ``unreachable`` jwks_url that stops answering after the config is written
* ``bare``     enabled but never configured
and on ``jwt`` also roles ``email`` (user_claim=email), ``groups`` (groups_claim=groups),
``bound`` (bound_claims team=platform) and ``browser`` (role_type=oidc).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hvac
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.oidc_issuer import OIDCIssuer
from vault_access_operator.testing.openbao import OpenBaoServer

GOOGLE_ISSUER = "https://accounts.google.com"
GOOGLE_AUDIENCE = "https://vault.example/google"


def _other_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def add_role(client: hvac.Client, mount: str, audiences: list[str], name: str = "op", **extra: Any) -> None:
    # hvac 2.4 sends allowed_redirect_uris even for jwt roles; OpenBao needs it to be a list.
    params: dict[str, Any] = {
        "role_type": "jwt", "user_claim": "sub", "bound_audiences": audiences, "allowed_redirect_uris": [],
        "token_ttl": "60s", "token_max_ttl": "10m", "token_policies": ["default"],
    }
    client.auth.jwt.create_role(name, path=mount, **{**params, **extra})


def configure_mounts(client: hvac.Client, issuer: OIDCIssuer) -> None:
    pem = issuer.public_key_pem
    mounts: dict[str, tuple[str, dict[str, Any], list[str]]] = {
        "jwt": ("jwt", {"jwt_validation_pubkeys": [pem], "bound_issuer": issuer.url}, ["vault"]),
        "oidc": ("oidc", {"oidc_discovery_url": issuer.url}, [issuer.url]),
        "jwks": ("jwt", {"jwks_url": issuer.jwks_url, "bound_issuer": issuer.url}, ["vault"]),
        "google": ("jwt", {"jwt_validation_pubkeys": [pem], "bound_issuer": GOOGLE_ISSUER}, [GOOGLE_AUDIENCE]),
        "otherkey": ("jwt", {"jwt_validation_pubkeys": [_other_key_pem()]}, ["vault"]),
        "unreachable": ("jwt", {"jwks_url": issuer.url + "/once/keys"}, ["vault"]),
    }
    # Served once, for Vault's check when the config is written; at login Vault gets a 500.
    issuer.server.expect_oneshot_request("/once/keys").respond_with_json(issuer.jwks())
    for path, (kind, config, audiences) in mounts.items():
        client.sys.enable_auth_method(kind, path=path)
        client.auth.jwt.configure(path=path, **config)
        add_role(client, path, audiences)
    client.sys.enable_auth_method("jwt", path="bare")  # enabled, never configured
    add_role(client, "bare", ["vault"])
    # Roles whose settings the default service-account token does not satisfy.
    add_role(client, "jwt", ["vault"], name="email", user_claim="email")
    add_role(client, "jwt", ["vault"], name="groups", groups_claim="groups")
    add_role(client, "jwt", ["vault"], name="bound", bound_claims={"team": "platform"})
    client.auth.jwt.create_role(
        "browser", role_type="oidc", user_claim="sub", allowed_redirect_uris=["http://127.0.0.1/cb"], path="jwt"
    )


# Fixture functions carry other names than their fixtures, so that a test module importing
# them can take `oidc_issuer` as a parameter without ruff's F811 (redefinition).
@pytest.fixture(scope="module", name="oidc_issuer")
def oidc_issuer_fixture() -> Iterator[OIDCIssuer]:
    with OIDCIssuer() as issuer:
        yield issuer


@pytest.fixture(scope="module", name="jwt_bao")
def jwt_bao_fixture(oidc_issuer: OIDCIssuer) -> Iterator[OpenBaoServer]:
    with OpenBaoServer() as bao:
        configure_mounts(bao.client(), oidc_issuer)
        yield bao
