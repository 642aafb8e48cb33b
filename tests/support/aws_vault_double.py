"""A Vault `auth/aws` test double on 127.0.0.1 (Vault's aws auth is not in OpenBao).

It serves ``auth/<mount>/login``, ``auth/<mount>/role/<name>`` and ``auth/<mount>/config/client``
for its aws mounts and verifies logins the way Vault does (aws_vault_login / aws_vault_ec2),
replaying the signed request to moto STS. Everything else is proxied to a real OpenBao dev
server when ``upstream`` is given, and successful logins mint real OpenBao tokens there
(``auth/token/create`` with the role's policies and TTLs), so lookup, renewal and revocation
are real OpenBao behaviour. Without ``upstream`` it mints fake tokens (login-only tests).
"""

from __future__ import annotations

import json
import secrets
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from tests.support.aws_vault_ec2 import Ec2Verifier
from tests.support.aws_vault_login import ClientConfig, LoginRejected, Role, verify_iam
from tests.support.vault_double_upstream import mint_token, pass_through
from vault_access_operator.testing.openbao import OpenBaoServer


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


def _seconds(value: Any) -> int:
    if isinstance(value, int):
        return value
    text = str(value)
    units = {"s": 1, "m": 60, "h": 3600}
    return int(text[:-1]) * units[text[-1]] if text and text[-1] in units else int(text or 0)


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [v.strip() for v in value.split(",")] if isinstance(value, str) else [str(v) for v in value]


class AwsVaultDouble:
    def __init__(self, sts_endpoint: str, upstream: OpenBaoServer | None = None, mount: str = "aws") -> None:
        self.upstream = upstream
        self.configs: dict[str, ClientConfig] = {mount: ClientConfig(sts_endpoint=sts_endpoint)}
        self.roles: dict[str, dict[str, Role]] = {mount: {}}
        self.ec2 = Ec2Verifier()
        self.logins: list[dict[str, Any]] = []  # every login body received (for assertions)
        self.accepted: list[dict[str, str]] = []  # auth metadata of each successful login
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> AwsVaultDouble:
        server = self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        # A short poll interval: shutdown() waits for it, once per test.
        self._thread = threading.Thread(target=lambda: server.serve_forever(poll_interval=0.05),
                                        name="aws-vault-double", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> AwsVaultDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- configuration (also reachable over HTTP, like Vault) ---------------------------
    def configure(self, mount: str = "aws", **fields: Any) -> ClientConfig:
        config = self.configs.setdefault(mount, ClientConfig(sts_endpoint=self.configs["aws"].sts_endpoint))
        for name, value in fields.items():
            setattr(config, name, value)
        self.roles.setdefault(mount, {})
        return config

    def add_role(self, name: str, mount: str = "aws", **fields: Any) -> Role:
        data = dict(fields)
        role = Role(
            name=name,
            auth_type=str(data.get("auth_type", "iam")),
            bound_iam_principal_arn=_list(data.get("bound_iam_principal_arn")),
            bound_account_id=_list(data.get("bound_account_id")),
            bound_region=_list(data.get("bound_region")),
            policies=_list(data.get("token_policies", data.get("policies"))) or ["default"],
            ttl=_seconds(data.get("token_ttl", data.get("ttl", 3600))),
            max_ttl=_seconds(data.get("token_max_ttl", data.get("max_ttl", 0))),
        )
        self.roles.setdefault(mount, {})[name] = role
        return role

    # -- HTTP -----------------------------------------------------------------------------
    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self._route(request)(environ, start_response)

    def _route(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        if len(parts) >= 4 and parts[:2] == ["v1", "auth"] and parts[2] in self.roles:
            mount, rest = parts[2], parts[3:]
            body = request.get_json(silent=True) or {}
            if rest == ["login"] and request.method in ("PUT", "POST"):
                return self._login(mount, body)
            if rest[:1] == ["role"] and len(rest) == 2:
                return self._role_api(mount, rest[1], request.method, body)
            if rest == ["config", "client"]:
                if request.method in ("PUT", "POST"):
                    self.configure(mount, **body)
                    return Response(status=204)
                return _json({"data": vars(self.configs[mount])})
        return self._proxy(request)

    def _role_api(self, mount: str, name: str, method: str, body: dict[str, Any]) -> Response:
        roles = self.roles[mount]
        if method in ("PUT", "POST"):
            self.add_role(name, mount, **body)
            return Response(status=204)
        if method == "DELETE":
            roles.pop(name, None)
            return Response(status=204)
        if name not in roles:
            return _json({"errors": []}, 404)
        return _json({"data": vars(roles[name])})

    def _login(self, mount: str, body: dict[str, Any]) -> Response:
        self.logins.append(dict(body))
        roles = self.roles[mount]
        try:
            if body.get("pkcs7") or body.get("identity"):
                role, document = self.ec2.verify(body, roles)
                meta = {"auth_type": "ec2", "instance_id": document["instanceId"], "region": document["region"],
                        "account_id": document["accountId"], "ami_id": document["imageId"], "role": role.name}
            else:
                role, caller = verify_iam(body, self.configs[mount], roles)
                meta = {"auth_type": "iam", "client_arn": caller.arn, "canonical_arn": caller.canonical_arn,
                        "account_id": caller.account, "role": role.name}
        except LoginRejected as rejected:
            return _json({"errors": [rejected.message]}, rejected.status)
        self.accepted.append(meta)
        return _json({"request_id": secrets.token_hex(8), "lease_id": "", "renewable": False, "lease_duration": 0,
                      "data": None, "warnings": None, "auth": self._mint(role, meta)})

    def _mint(self, role: Role, meta: dict[str, str]) -> dict[str, Any]:
        if self.upstream is None:
            return {"client_token": "hvs." + secrets.token_urlsafe(24), "accessor": secrets.token_hex(12),
                    "policies": ["default", *role.policies], "token_policies": ["default", *role.policies],
                    "metadata": meta, "lease_duration": role.ttl, "renewable": True, "token_type": "service",
                    "orphan": True, "entity_id": ""}
        return mint_token(self.upstream, role.policies, role.ttl, role.max_ttl, f"aws-{role.name}", meta)

    def _proxy(self, request: Request) -> Response:
        if self.upstream is None:
            return _json({"errors": [f"no handler for route '{request.path}'"]}, 404)
        return pass_through(self.upstream, request)
