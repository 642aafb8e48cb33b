"""moto as a local AWS (IAM + STS) with real SigV4 checking, shared by the AWS tests.

One in-process ThreadedMotoServer per test session (moto's backends are process-global
anyway); each test resets its state. Signature checking is switched on per test and off
again afterwards, because it is a process-global moto setting.

moto 5.2.5 quirks handled here:
* With signature checking on, an *unsigned* AssumeRoleWithWebIdentity (how botocore sends it,
  and how AWS accepts it) crashes moto with a KeyError on the Authorization header (HTTP 500).
  ``allow_unsigned_web_identity`` lets that one call through, as AWS does.
* Trust policies naming a role principal (arn:...:role/X) do not match that role's sessions
  in moto; tests use Principal {"AWS": "*"} plus an sts:ExternalId condition instead.
"""

from __future__ import annotations

import atexit
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import requests
from moto.core.authorization import ActionAuthenticatorMixin
from moto.server import ThreadedMotoServer

ACCOUNT = "123456789012"  # moto's default account
ADMIN = {"aws_access_key_id": "moto-admin", "aws_secret_access_key": "moto-admin", "region_name": "us-east-1"}

_lock = threading.Lock()
_shared: MotoAws | None = None


class MotoAws:
    def __init__(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        self._http = requests.Session()
        self._http.trust_env = False

    def stop(self) -> None:
        self._server.stop()

    # -- state --------------------------------------------------------------------------
    def reset(self) -> None:
        self.signatures(False)
        self._http.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()

    def signatures(self, on: bool) -> None:
        """Real SigV4 checking on every request (``0`` unauthenticated requests allowed) or off."""
        self._http.post(f"{self.url}/moto-api/reset-auth", data=b"0" if on else b"inf", timeout=10).raise_for_status()

    def client(self, service: str, **kwargs: Any) -> Any:
        """An admin client: only usable while signature checking is off (moto-admin is no IAM user)."""
        return boto3.client(service, endpoint_url=self.url, **{**ADMIN, **kwargs})

    # -- fixtures for tests -------------------------------------------------------------
    def create_user(self, name: str) -> tuple[str, str]:
        iam = self.client("iam")
        iam.create_user(UserName=name)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]

    def create_role(self, name: str, trust: dict[str, Any] | None = None,
                    policy: dict[str, Any] | None = None) -> str:
        iam = self.client("iam")
        trust = trust or {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.example"},
            "Action": "sts:AssumeRoleWithWebIdentity"}]}
        arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        if policy:
            iam.put_role_policy(RoleName=name, PolicyName=f"{name}-policy", PolicyDocument=json.dumps(policy))
        return arn


def shared_moto() -> MotoAws:
    """The session's moto server, started on first use and stopped at interpreter exit."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = MotoAws()
            atexit.register(_shared.stop)
        return _shared


@contextmanager
def allow_unsigned_web_identity() -> Iterator[None]:
    original = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def patched(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        if "Authorization" not in self.headers and self._get_action() == "AssumeRoleWithWebIdentity":
            return None  # AWS accepts this call unsigned: the web identity token is the credential
        return original(self, iam_request_cls, resource)

    ActionAuthenticatorMixin._authenticate_and_authorize_action = patched  # type: ignore[method-assign]
    try:
        yield
    finally:
        ActionAuthenticatorMixin._authenticate_and_authorize_action = original  # type: ignore[method-assign]
