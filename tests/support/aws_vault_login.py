"""The Vault side of an auth/aws login, done the way Vault does it (for the test double).

Follows hashicorp/vault builtin/credential/aws/path_login.go (pathLoginIamGetRoleNameCallerIdAndEntity,
validateVaultHeaderValue, buildHttpRequest, submitCallerIdentityRequest, parseIamArn,
pathLoginUpdateIam) step by step, with its error texts. Each failure is a LoginRejected
carrying the HTTP status and the text Vault would put in ``errors``.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import fnmatch
import json
import re
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

SERVER_ID_HEADER = "X-Vault-AWS-IAM-Server-ID"
_ALLOWED_AMZ = {h.lower() for h in ("X-Amz-Algorithm", "X-Amz-Content-Sha256", "X-Amz-Credential", "X-Amz-Date",
                                    "X-Amz-Security-Token", "X-Amz-Signature", "X-Amz-SignedHeaders",
                                    "X-Amz-User-Agent")}
_GO_SKIPPED = {"host", "user-agent", "content-length", "transfer-encoding", "trailer"}  # Go's writer drops these
_REGION_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/sts/aws4_request")
_WRONG_REGION = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
                 "<Code>SignatureDoesNotMatch</Code><Message>Credential should be scoped to a valid region. "
                 "</Message></Error></ErrorResponse>")


class LoginRejected(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@dataclasses.dataclass
class ClientConfig:
    """auth/<mount>/config/client. ``sts_region`` models AWS's region scoping, which moto does not check."""

    sts_endpoint: str
    iam_server_id_header_value: str = ""
    sts_region: str = ""
    use_sts_region_from_client: bool = False


@dataclasses.dataclass
class Role:
    name: str
    auth_type: str = "iam"
    bound_iam_principal_arn: list[str] = dataclasses.field(default_factory=list)
    bound_account_id: list[str] = dataclasses.field(default_factory=list)
    bound_region: list[str] = dataclasses.field(default_factory=list)
    policies: list[str] = dataclasses.field(default_factory=lambda: ["default"])
    ttl: int = 3600
    max_ttl: int = 0


@dataclasses.dataclass(frozen=True)
class Caller:
    arn: str
    user_id: str
    account: str

    @property
    def canonical_arn(self) -> str:
        _, partition, _, _, account, resource = self.arn.split(":", 5)
        kind, *rest = resource.split("/")
        if kind == "assumed-role":
            return f"arn:{partition}:iam::{account}:role/{rest[0]}"
        return f"arn:{partition}:iam::{account}:{kind}/{rest[-1]}"


def go_canonical(key: str) -> str:
    """textproto.CanonicalMIMEHeaderKey: what http.Header.Add does to every key."""
    return "-".join(part[:1].upper() + part[1:].lower() for part in key.split("-"))


def decode_headers(raw: Any) -> dict[str, list[str]]:
    """framework.TypeHeader: a base64 JSON string or an object; values a string or a list."""
    if isinstance(raw, str):
        try:
            raw = json.loads(base64.b64decode(raw, validate=True))
        except (binascii.Error, ValueError):
            raw = json.loads(raw)
    headers: dict[str, list[str]] = {}
    for key, value in dict(raw).items():
        for item in value if isinstance(value, list) else [value]:
            headers.setdefault(go_canonical(key), []).append(str(item))
    return headers


def _b64_field(body: dict[str, Any], name: str) -> str:
    value = body.get(name) or ""
    if not value:
        raise LoginRejected(f"missing {name}")
    try:
        return base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise LoginRejected(f"failed to base64 decode {name}") from None


def _check_server_id(headers: dict[str, list[str]], required: str) -> None:
    provided = next((",".join(v) for k, v in headers.items() if k.lower() == SERVER_ID_HEADER.lower()), "")
    prefix = f"error validating {SERVER_ID_HEADER} header: "
    if not provided:
        raise LoginRejected(prefix + f'missing header "{SERVER_ID_HEADER}"')
    if provided != required:
        raise LoginRejected(prefix + f'expected "{required}" but got "{provided}"')
    authz = ",".join(headers.get("Authorization", []))
    if not authz:
        raise LoginRejected(prefix + "missing Authorization header")
    match = re.search(r".*SignedHeaders=([^,]+)", authz)
    if not match or SERVER_ID_HEADER.lower() not in match.group(1).split(";"):
        raise LoginRejected(prefix + "vault header wasn't signed")


def parse_request(body: dict[str, Any], config: ClientConfig) -> tuple[str, str, str, dict[str, list[str]]]:
    """Validate the iam_* fields; returns (method, url, body, headers)."""
    method = body.get("iam_http_request_method") or ""
    if not method:
        raise LoginRejected("missing iam_http_request_method")
    if method != "POST":
        raise LoginRejected("invalid iam_http_request_method; currently only 'POST' is supported")
    url = _b64_field(body, "iam_request_url")
    if urlsplit(url).query:
        raise LoginRejected("invalid request")
    request_body = _b64_field(body, "iam_request_body")
    form = parse_qs(request_body, keep_blank_values=True)
    if set(form) - {"Action", "Version"} or form.get("Action") != ["GetCallerIdentity"]:
        raise LoginRejected("iam request body is invalid")
    if not body.get("iam_request_headers"):
        raise LoginRejected("missing iam_request_headers")
    headers = decode_headers(body["iam_request_headers"])
    if config.iam_server_id_header_value:
        _check_server_id(headers, config.iam_server_id_header_value)
    for key in headers:
        if key.lower().startswith("x-amz-") and key.lower() not in _ALLOWED_AMZ:
            raise LoginRejected(f"invalid request header: {key}")
    return method, url, request_body, headers


def submit_caller_identity(method: str, url: str, body: str, headers: dict[str, list[str]],
                           config: ClientConfig) -> Caller:
    """buildHttpRequest + submitCallerIdentityRequest: Vault's endpoint, the client's Host and headers."""
    parts = urlsplit(url)
    target = f"{config.sts_endpoint.rstrip('/')}/{parts.path or '/'}"  # Go: fmt.Sprintf("%s/%s", endpoint, URI)
    scope = _REGION_SCOPE.search(",".join(headers.get("Authorization", [])))
    if config.sts_region and not config.use_sts_region_from_client and scope and scope.group(1) != config.sts_region:
        raise LoginRejected(f"error making upstream request: received error code 403 from STS: {_WRONG_REGION}")
    sent = {k: ",".join(v) for k, v in headers.items() if k.lower() not in _GO_SKIPPED}
    sent.update({"Host": parts.netloc, "User-Agent": "Go-http-client/1.1"})
    try:
        answer = requests.request(method, target, data=body.encode(), headers=sent, timeout=10,
                                  allow_redirects=False)
    except requests.RequestException:
        host = urlsplit(target).netloc
        raise LoginRejected(f'error making upstream request: error making request: {method} "{target}": '
                            f"dial tcp {host}: connect: connection refused") from None
    # Vault checks Content-Type == text/xml first; AWS sends text/xml for errors too, moto sends
    # text/html for auth errors, so the check applies to 200s here to keep Vault's real error text.
    if answer.status_code != 200:
        raise LoginRejected(f"error making upstream request: received error code {answer.status_code} from STS: "
                            f"{answer.text}")
    if answer.headers.get("Content-Type") != "text/xml":
        raise LoginRejected("error making upstream request: body of GetCallerIdentity is invalid")
    root = ET.fromstring(answer.text)
    found = {el.tag.rsplit("}", 1)[-1]: (el.text or "") for el in root.iter()}
    return Caller(found.get("Arn", ""), found.get("UserId", ""), found.get("Account", ""))


def check_role(role_name: str, roles: dict[str, Role], caller: Caller) -> Role:
    role = roles.get(role_name)
    if role is None:
        raise LoginRejected(f"entry for role {role_name} not found")
    if role.auth_type != "iam":
        raise LoginRejected(f"auth method iam not allowed for role {role_name}")
    bound = role.bound_iam_principal_arn
    # Vault's resolve_aws_unique_ids compares unique IDs; for path-less moto roles, canonical ARNs are equivalent.
    if bound and caller.canonical_arn not in bound and not any(
        b.endswith("*") and fnmatch.fnmatchcase(caller.canonical_arn, b) for b in bound
    ):
        raise LoginRejected(f'IAM Principal "{caller.arn}" does not belong to the role "{role_name}"')
    return role


def verify_iam(body: dict[str, Any], config: ClientConfig, roles: dict[str, Role]) -> tuple[Role, Caller]:
    method, url, request_body, headers = parse_request(body, config)
    caller = submit_caller_identity(method, url, request_body, headers, config)
    role_name = body.get("role") or caller.canonical_arn.rsplit("/", 1)[-1]
    return check_role(role_name, roles, caller), caller
