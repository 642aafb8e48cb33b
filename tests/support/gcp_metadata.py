"""The metadata-server half of the Google double (tests/support/gcp_google.py): the GCE/GKE metadata server
as google-auth and the gcp plugin call it: the "on GCE?" ping, the default account's info, access token
and identity token (``format=full`` adds the instance claims Vault's gce roles check)."""

from __future__ import annotations

import dataclasses
import json
import re
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug import Request, Response

FLAVOR = {"Metadata-Flavor": "Google"}
GOOGLE_ISSUER = "https://accounts.google.com"
_IDENTITY = re.compile(r"^/computeMetadata/v1/instance/service-accounts/([^/]+)/identity$")


@dataclasses.dataclass
class Instance:
    """The VM (or GKE node) the metadata server answers for."""

    account: str  # its service account's email
    project_id: str = "vao-project"
    zone: str = "europe-west1-b"
    name: str = "gke-node-1"
    instance_id: str = "4455667788"
    bound: bool = True  # False: the metadata server has no service account (HTTP 404)


class MetadataServer:
    """Mixed into GoogleDouble, which provides the accounts, the OAuth2 key and access tokens."""

    instance: Instance | None
    accounts: dict[str, Any]
    oauth_key: rsa.RSAPrivateKey
    oauth_key_id: str
    identity_requests: list[dict[str, str]]
    identity_accounts: list[str]
    signed: list[str]

    def _access_token(self, email: str) -> dict[str, Any]:
        raise NotImplementedError

    def _metadata(self, request: Request) -> Response:
        if request.headers.get("Metadata-Flavor") != "Google":
            return Response("Missing Metadata-Flavor:Google header.", status=403, headers=FLAVOR)
        instance = self.instance
        if request.path == "/":  # google-auth's "are we on GCE?" ping
            return Response("", headers=FLAVOR) if instance is not None else Response("not GCE", status=404)
        if instance is None or not instance.bound:
            return Response("not found", status=404, headers=FLAVOR)
        base = "/computeMetadata/v1/"
        rest = request.path.removeprefix(base)
        if rest == "project/project-id":
            return Response(instance.project_id, content_type="application/text", headers=FLAVOR)
        if rest in ("instance/service-accounts/default/", "instance/service-accounts/default"):
            scopes = ["https://www.googleapis.com/auth/cloud-platform"]
            return _json({"email": instance.account, "aliases": ["default"], "scopes": scopes}, FLAVOR)
        if rest == "instance/service-accounts/default/email":
            return Response(instance.account, content_type="application/text", headers=FLAVOR)
        if rest == "instance/service-accounts/default/token":
            return _json(self._access_token(instance.account), FLAVOR)
        match = _IDENTITY.match(request.path)
        if match and match.group(1) in ("default", instance.account):
            self.identity_accounts.append(match.group(1))
            return self._identity(request, instance)
        return Response("not found", status=404, headers=FLAVOR)

    def _identity(self, request: Request, instance: Instance) -> Response:
        self.identity_requests.append(dict(request.args))
        account = self.accounts[instance.account]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": GOOGLE_ISSUER, "aud": request.args.get("audience", ""), "azp": account.unique_id,
            "sub": account.unique_id, "email": account.email, "email_verified": True, "iat": now, "exp": now + 3600,
        }
        if request.args.get("format") == "full":
            claims["google"] = {"compute_engine": {
                "project_id": instance.project_id, "project_number": 123456789012, "zone": instance.zone,
                "instance_id": instance.instance_id, "instance_name": instance.name,
                "instance_creation_timestamp": now - 86400,
            }}
        token = jwt.encode(claims, self.oauth_key, algorithm="RS256", headers={"kid": self.oauth_key_id})
        self.signed.append(token)
        return Response(token, content_type="text/html; charset=utf-8", headers=FLAVOR)


def _json(payload: Any, headers: dict[str, str]) -> Response:
    return Response(json.dumps(payload), content_type="application/json", headers=headers)
