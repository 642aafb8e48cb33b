"""A fake Vault on 127.0.0.1 that counts every request and can be told to answer oddly.

It serves what the operator calls: ``sys/health``, ``auth/<mount>/login`` (any body is accepted),
``auth/token/lookup-self``, ``renew-self`` and ``revoke-self``. Switches (set from the test thread):
``ttl`` and ``renewable`` of the tokens it grants, ``renew_status`` (e.g. 500 makes every renewal fail)
and its ``renew_error`` text.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import Counter
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


class CountingVault:
    def __init__(self, ttl: float = 3600.0, renewable: bool = True) -> None:
        self.ttl, self.renewable = ttl, renewable
        self.renew_status = 200
        self.renew_error = "internal error"  # Vault's error text when renew_status is not 200
        self.counts: Counter[str] = Counter()  # "health", "login", "lookup", "renew", "revoke"
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_port}"

    def count(self, what: str) -> int:
        with self._lock:
            return self.counts[what]

    def snapshot(self) -> Counter[str]:
        with self._lock:
            return Counter(self.counts)

    def _auth(self, token: str) -> dict[str, Any]:
        return {"client_token": token, "accessor": f"acc-{token[-6:]}", "lease_duration": self.ttl,
                "renewable": self.renewable, "policies": ["default"]}

    def _answer(self, request: Request) -> tuple[str, Response]:
        path = request.path
        if path == "/v1/sys/health":
            return "health", _json({"initialized": True, "sealed": False, "standby": False, "version": "1.0.0-fake"})
        if path.startswith("/v1/auth/") and path.endswith("/login") and request.method in ("PUT", "POST"):
            return "login", _json({"auth": self._auth("s." + secrets.token_hex(12))})
        token = request.headers.get("X-Vault-Token", "")
        if path == "/v1/auth/token/lookup-self":
            return "lookup", _json({"data": {"ttl": self.ttl, "accessor": f"acc-{token[-6:]}"}})
        if path == "/v1/auth/token/renew-self":
            if self.renew_status != 200:
                return "renew", _json({"errors": [self.renew_error]}, self.renew_status)
            return "renew", _json({"auth": self._auth(token)})
        if path == "/v1/auth/token/revoke-self":
            return "revoke", Response(status=204)
        return "other", _json({"errors": [f"no handler for {path}"]}, 404)

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        what, response = self._answer(Request(environ))
        with self._lock:
            self.counts[what] += 1
        return response(environ, start_response)

    def __enter__(self) -> CountingVault:
        server = self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self._thread = threading.Thread(target=lambda: server.serve_forever(poll_interval=0.05),
                                        name="counting-vault", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
