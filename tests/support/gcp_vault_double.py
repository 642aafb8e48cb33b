"""A Vault ``auth/gcp`` test double on 127.0.0.1 (Vault's gcp auth is not in OpenBao).

It serves ``auth/<mount>/login`` and ``auth/<mount>/role/<name>`` for its gcp mounts and verifies logins
the way Vault does (gcp_vault_login), with the keys of the Google double. Everything else is proxied to a
real OpenBao dev server, and successful logins mint real OpenBao tokens there (``auth/token/create`` with
the role's policies and TTLs), so lookup, renewal and revocation are real OpenBao behaviour.
"""

from __future__ import annotations

import json
import secrets
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from tests.support.gcp_google import GoogleDouble
from tests.support.gcp_vault_login import GcpRole, LoginRejected, verify_login
from tests.support.vault_double_upstream import mint_token, pass_through
from vault_access_operator.testing.openbao import OpenBaoServer


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


class GcpVaultDouble:
    def __init__(self, google: GoogleDouble, upstream: OpenBaoServer, mounts: tuple[str, ...] = ("gcp",)) -> None:
        self.google = google
        self.upstream = upstream
        self.roles: dict[str, dict[str, GcpRole]] = {mount: {} for mount in mounts}
        self.logins: list[dict[str, Any]] = []  # every login body received
        self.accepted: list[dict[str, str]] = []  # token metadata of each successful login
        self.rejected: list[str] = []  # Vault's error text of each refused login
        self._server: BaseWSGIServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> GcpVaultDouble:
        server = self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        threading.Thread(target=lambda: server.serve_forever(poll_interval=0.05), name="gcp-vault-double",
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def add_role(self, name: str, mount: str = "gcp", **fields: Any) -> GcpRole:
        role = GcpRole(name=name, **fields)
        self.roles.setdefault(mount, {})[name] = role
        return role

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self._route(Request(environ))(environ, start_response)

    def _route(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        if len(parts) == 4 and parts[:2] == ["v1", "auth"] and parts[2] in self.roles and parts[3] == "login":
            if request.method in ("PUT", "POST"):
                return self._login(parts[2], request.get_json(silent=True) or {})
        return self._proxy(request)

    def _login(self, mount: str, body: dict[str, Any]) -> Response:
        self.logins.append(dict(body))
        try:
            role, meta = verify_login(body, self.roles[mount], self.google.public_key, self.google.account)
        except LoginRejected as rejected:
            self.rejected.append(rejected.message)
            return _json({"errors": [rejected.message]}, rejected.status)
        self.accepted.append(meta)
        return _json({"request_id": secrets.token_hex(8), "lease_id": "", "renewable": False, "lease_duration": 0,
                      "data": None, "warnings": None, "auth": self._mint(role, meta)})

    def _mint(self, role: GcpRole, meta: dict[str, str]) -> dict[str, Any]:
        return mint_token(self.upstream, role.policies, role.ttl, role.max_ttl,
                          f"gcp-{meta['service_account_email']}", meta)

    def _proxy(self, request: Request) -> Response:
        return pass_through(self.upstream, request)
