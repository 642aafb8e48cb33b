"""``source: google``: a Google identity token from a (fake) GKE metadata server, via google-auth."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.oidc_context import oidc_context
from tests.support.oidc_fixtures import GOOGLE_AUDIENCE, jwt_bao_fixture, oidc_issuer_fixture  # noqa: F401
from tests.support.oidc_issuer import OIDCIssuer
from tests.support.oidc_metadata import GOOGLE_ISSUER, FakeMetadataServer
from vault_access_operator.plugin import CredentialsError, LoginRequest
from vault_access_operator.plugins.oidc.jwt import JWTAuthConfig, JWTAuthProvider
from vault_access_operator.testing import RecordingAuthContext, send_login
from vault_access_operator.testing.openbao import OpenBaoServer

BLOCK = {
    "role": "op", "authPath": "google", "source": "google", "audiences": [GOOGLE_AUDIENCE],
    "expectedIssuer": GOOGLE_ISSUER, "userClaim": "email",
}


@pytest.fixture(scope="module", name="metadata_server")
def metadata_server_fixture(oidc_issuer: OIDCIssuer) -> Iterator[FakeMetadataServer]:
    server = FakeMetadataServer(oidc_issuer).start()
    yield server
    server.stop()


@pytest.fixture(name="metadata")
def metadata_fixture(
    request: pytest.FixtureRequest, metadata_server: FakeMetadataServer, monkeypatch: pytest.MonkeyPatch
) -> FakeMetadataServer:
    options: dict[str, bool] = getattr(request, "param", {})
    metadata_server.configure(**options).install(monkeypatch)
    return metadata_server


def google_login(ctx: RecordingAuthContext, block: dict[str, Any] = BLOCK) -> LoginRequest:
    return asyncio.run(JWTAuthProvider().login_request(JWTAuthConfig.model_validate(block), ctx))


def test_identity_token_logs_in_to_openbao(
    metadata: FakeMetadataServer, oidc_issuer: OIDCIssuer, jwt_bao: OpenBaoServer
) -> None:
    ctx = oidc_context(oidc_issuer)
    request = google_login(ctx)
    assert metadata.identity_requests == [{"audience": GOOGLE_AUDIENCE, "format": "full"}]
    assert not ctx.token_requests
    assert request.body["jwt"] in ctx.remembered
    assert request.details["tokenSource"] == "google"
    assert request.details["tokenIssuer"] == GOOGLE_ISSUER
    assert send_login(jwt_bao.url, request).accessor


def test_a_new_identity_token_for_every_login(metadata: FakeMetadataServer, oidc_issuer: OIDCIssuer) -> None:
    ctx = oidc_context(oidc_issuer)
    assert google_login(ctx).body["jwt"] != google_login(ctx).body["jwt"]
    assert len(metadata.identity_requests) == 2


def test_oidc_provider_url_is_the_google_audience(metadata: FakeMetadataServer, oidc_issuer: OIDCIssuer) -> None:
    from vault_access_operator.plugins.oidc import OIDCAuthConfig, OIDCAuthProvider

    config = OIDCAuthConfig.model_validate({"role": "op", "source": "google", "providerURL": GOOGLE_ISSUER})
    request = asyncio.run(OIDCAuthProvider().login_request(config, oidc_context(oidc_issuer)))
    assert metadata.identity_requests[0]["audience"] == GOOGLE_ISSUER
    assert request.details["tokenAudiences"] == GOOGLE_ISSUER


@pytest.mark.parametrize("metadata", [{"on_gce": False}], indirect=True)
def test_no_metadata_server(metadata: FakeMetadataServer, oidc_issuer: OIDCIssuer) -> None:
    with pytest.raises(CredentialsError) as caught:
        google_login(oidc_context(oidc_issuer))
    assert caught.value.message.startswith("no Google credentials found (")
    assert "iam.gke.io/gcp-service-account=" in caught.value.message


@pytest.mark.parametrize("metadata", [{"bound": False}], indirect=True)
def test_metadata_server_refuses_an_identity_token(metadata: FakeMetadataServer, oidc_issuer: OIDCIssuer) -> None:
    with pytest.raises(CredentialsError) as caught:
        google_login(oidc_context(oidc_issuer))
    assert caught.value.message.startswith(f"Google refused an identity token for audience '{GOOGLE_AUDIENCE}' (")
    assert "Status: 404" in caught.value.message
