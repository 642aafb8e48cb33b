"""Pure SigV4 signing of the STS GetCallerIdentity request Vault replays to identify us.

Everything here is a function of (credentials, region, endpoint, server-ID value, now): no
network, no clock, no environment. That is what makes it testable against moto and cheap
enough to run on every login.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import json
from typing import Protocol
from urllib.parse import urlsplit

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest

from .config import SERVER_ID_HEADER

__all__ = ["SERVER_ID_HEADER", "SignedRequest", "regional_sts_endpoint", "sign_get_caller_identity"]
GET_CALLER_IDENTITY_BODY = "Action=GetCallerIdentity&Version=2011-06-15"
CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"

# DNS suffixes of the non-default AWS partitions, by region prefix (botocore's partition data).
_PARTITION_SUFFIXES = (
    ("cn-", "amazonaws.com.cn"),
    ("us-isob-", "sc2s.sgov.gov"),
    ("us-iso-", "c2s.ic.gov"),
    ("eusc-", "amazonaws.eu"),
)


class AwsCredentials(Protocol):
    """What signing needs; botocore's ReadOnlyCredentials (get_frozen_credentials()) fits."""

    @property
    def access_key(self) -> str: ...
    @property
    def secret_key(self) -> str: ...
    @property
    def token(self) -> str | None: ...


@dataclasses.dataclass(frozen=True)
class SignedRequest:
    """A signed STS request, as Vault's auth/aws login expects to receive it."""

    method: str
    url: str
    body: str
    headers: tuple[tuple[str, str], ...] = dataclasses.field(repr=False)  # holds the signature and token

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def login_fields(self) -> dict[str, str]:
        """The iam_* fields of auth/<mount>/login. Headers go as lists, as Vault's Go client sends them."""
        headers = {name: [value] for name, value in self.headers}
        return {
            "iam_http_request_method": self.method,
            "iam_request_url": _b64(self.url),
            "iam_request_body": _b64(self.body),
            "iam_request_headers": _b64(json.dumps(headers, separators=(",", ":"))),
        }


def regional_sts_endpoint(region: str) -> str:
    """``https://sts.<region>.<partition suffix>``: the regional endpoint, never the global one."""
    suffix = next((s for prefix, s in _PARTITION_SUFFIXES if region.startswith(prefix)), "amazonaws.com")
    return f"https://sts.{region}.{suffix}"


class _FixedTimeSigV4Auth(SigV4Auth):  # type: ignore[misc]  # botocore publishes no types
    """botocore's SigV4 signer with the signing time passed in.

    SigV4Auth.add_auth reads the wall clock (botocore.compat.get_current_datetime); this is
    the same sequence of steps with ``now`` supplied, so signing stays a pure function. It
    also skips add_auth's debug logging, which would print the canonical request (and with
    it the session token) when botocore debug logs are on.
    """

    def __init__(self, credentials: AwsCredentials, region: str, now: datetime.datetime) -> None:
        super().__init__(credentials, "sts", region)
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self._timestamp = now.astimezone(datetime.UTC).strftime(SIGV4_TIMESTAMP)

    def add_auth(self, request: AWSRequest) -> None:
        request.context["timestamp"] = self._timestamp
        self._modify_request_before_signing(request)
        canonical_request = self.canonical_request(request)
        string_to_sign = self.string_to_sign(request, canonical_request)
        self._inject_signature_to_request(request, self.signature(string_to_sign, request))


def sign_get_caller_identity(
    credentials: AwsCredentials,
    region: str,
    endpoint: str,
    server_id: str | None,
    now: datetime.datetime,
) -> SignedRequest:
    """Sign ``POST <endpoint>/`` GetCallerIdentity for ``region`` at time ``now``.

    The Host header is explicit so that Vault forwards exactly the host that was signed; the
    server-ID header, when given, is added before signing so it is among the signed headers.
    """
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ValueError(f"STS endpoint {endpoint!r} must be an http(s) URL without a query")
    url = endpoint if parts.path not in ("", "/") else f"{parts.scheme}://{parts.netloc}/"
    headers = {"Host": parts.netloc, "Content-Type": CONTENT_TYPE}
    if server_id:
        headers[SERVER_ID_HEADER] = server_id
    request = AWSRequest(method="POST", url=url, data=GET_CALLER_IDENTITY_BODY.encode(), headers=headers)
    _FixedTimeSigV4Auth(credentials, region, now).add_auth(request)
    return SignedRequest(
        method="POST",
        url=url,
        body=GET_CALLER_IDENTITY_BODY,
        headers=tuple((str(k), str(v)) for k, v in request.headers.items()),
    )


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
