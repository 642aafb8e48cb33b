"""A fake GCE/GKE metadata server that issues identity tokens, for google-auth tests.

google-auth reads ``GCE_METADATA_HOST`` once, when ``google.auth.compute_engine._metadata``
is imported, but ``GCE_METADATA_IP`` (the ping address) on every call; ``install`` sets both
env vars and patches the cached host so the order of imports does not matter.
"""

from __future__ import annotations

from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.oidc_issuer import OIDCIssuer

GOOGLE_ISSUER = "https://accounts.google.com"
ACCOUNT_PATH = "/computeMetadata/v1/instance/service-accounts/default/"
IDENTITY_PATH = ACCOUNT_PATH + "identity"
FLAVOR = {"Metadata-Flavor": "Google"}


class FakeMetadataServer:
    def __init__(self, issuer: OIDCIssuer, email: str = "vao@project.iam.gserviceaccount.com") -> None:
        self.issuer = issuer
        self.email = email
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.identity_requests: list[dict[str, Any]] = []

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    def start(self) -> FakeMetadataServer:
        self.server.start()
        return self.configure()

    def configure(self, *, on_gce: bool = True, bound: bool = True) -> FakeMetadataServer:
        """``on_gce=False``: the ping is not answered as Google; ``bound=False``: identity answers 404."""
        self.server.clear()
        self.identity_requests.clear()
        if on_gce:
            self.server.expect_request("/", headers=FLAVOR).respond_with_data("", headers=FLAVOR)
        # google-auth looks the account up (for its email) before asking for a token.
        scopes = ["https://www.googleapis.com/auth/cloud-platform"]
        account = {"email": self.email, "aliases": ["default"], "scopes": scopes}
        self.server.expect_request(ACCOUNT_PATH, headers=FLAVOR).respond_with_json(account, headers=FLAVOR)
        if bound:
            self.server.expect_request(IDENTITY_PATH, headers=FLAVOR).respond_with_handler(self._identity)
        else:  # 404 is not retried by google-auth (unmatched requests would get 500, which is)
            self.server.expect_request(IDENTITY_PATH).respond_with_data("not found", status=404, headers=FLAVOR)
        return self

    def stop(self) -> None:
        if self.server.is_running():
            self.server.clear()
            self.server.stop()

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from google.auth.compute_engine import _metadata

        monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
        monkeypatch.setenv("GCE_METADATA_HOST", self.host)
        monkeypatch.setenv("GCE_METADATA_IP", self.host)
        monkeypatch.setattr(_metadata, "_GCE_METADATA_HOST", self.host)

    def _identity(self, request: Request) -> Response:
        audience = request.args.get("audience", "")
        self.identity_requests.append(dict(request.args))
        token = self.issuer.mint(
            sub="112233445566778899", audiences=[audience], issuer=GOOGLE_ISSUER, ttl=3600,
            aud=audience, azp="112233445566778899", email=self.email, email_verified=True,
        )
        return Response(token, content_type="text/html; charset=utf-8", headers=FLAVOR)
