"""Shapes of the spec's string fields, as Annotated types: the models check them, the CRD carries them.

Every pattern here is written for three regex engines at once (pydantic's Rust ``regex``, the API
server's Go RE2 and Python's ``re`` in the schema tests): no look-around, no backreferences. Anything
a pattern cannot say (``..`` in a URL path, a port out of range) is checked by a validator as well.
"""

from __future__ import annotations

import urllib.parse
from typing import Annotated

from pydantic import AfterValidator, Field

# Kubernetes' own rules (k8s.io/apimachinery/pkg/util/validation).
_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_LABEL_PATTERN = rf"^{_LABEL}$"
DNS1123_SUBDOMAIN_PATTERN = rf"^{_LABEL}(\.{_LABEL})*$"
SECRET_KEY_PATTERN = r"^[-._a-zA-Z0-9]+$"
SERVICE_ACCOUNT_PATTERN = rf"^({_LABEL}/)?{_LABEL}(\.{_LABEL})*$"
#: A Vault path of one or more segments: no empty, ``.`` or ``..`` segment, no ``?``, ``#``, ``%`` or space.
#: One leading and one trailing slash are allowed (``vault auth list`` shows mounts as "kubernetes/") and
#: dropped by AuthProvider.mount.
MOUNT_PATH_PATTERN = r"^/?[A-Za-z0-9_-]+([./][A-Za-z0-9_-]+)*/?$"
#: Vault's role names (framework.GenericNameRegex): a role outside this cannot exist in Vault.
ROLE_PATTERN = r"^[A-Za-z0-9_]([-A-Za-z0-9_.@]*[A-Za-z0-9_])?$"
#: http(s), a host (and port) without userinfo, an optional path prefix; no query, fragment or space.
ADDRESS_PATTERN = r"^https?://[^\s/?#@%]+(/[^\s?#%]*)?$"

MAX_NAME = 253
MAX_LABEL = 63
MAX_MOUNT_PATH = 256
MAX_ROLE = 512
MAX_URL = 2048
MAX_TEXT = 4096
MAX_AUDIENCES = 16

#: The name of a Kubernetes object (a DNS-1123 subdomain), such as a Secret.
ObjectName = Annotated[str, Field(min_length=1, max_length=MAX_NAME, pattern=DNS1123_SUBDOMAIN_PATTERN)]
#: A Kubernetes namespace (a DNS-1123 label).
Namespace = Annotated[str, Field(min_length=1, max_length=MAX_LABEL, pattern=DNS1123_LABEL_PATTERN)]
#: A key of a Secret's data, as Kubernetes allows it.
SecretKey = Annotated[str, Field(min_length=1, max_length=MAX_NAME, pattern=SECRET_KEY_PATTERN)]
#: NAME or NAMESPACE/NAME of a service account.
ServiceAccountRef = Annotated[
    str, Field(min_length=1, max_length=MAX_LABEL + 1 + MAX_NAME, pattern=SERVICE_ACCOUNT_PATTERN)
]
#: A Vault auth mount path (``authPath``), put into request URLs: auth/<path>/login.
MountPath = Annotated[str, Field(min_length=1, max_length=MAX_MOUNT_PATH, pattern=MOUNT_PATH_PATTERN)]
#: A Vault role name.
RoleName = Annotated[str, Field(min_length=1, max_length=MAX_ROLE, pattern=ROLE_PATTERN)]
#: Free text the operator only compares or forwards (a claim name, a header value).
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
#: A URL the operator only compares (an issuer) or uses as an audience.
URLText = Annotated[str, Field(min_length=1, max_length=MAX_URL)]
#: A token audience (an empty one is refused by the list's validator, with its own message).
Audience = Annotated[str, Field(max_length=MAX_URL)]

#: What each pattern means, for messages: a regex is no help to whoever wrote the spec.
PATTERN_HELP = {
    DNS1123_SUBDOMAIN_PATTERN: "must be a Kubernetes object name (DNS-1123 subdomain): lower-case letters, digits, "
    "- and ., starting and ending with a letter or digit",
    DNS1123_LABEL_PATTERN: "must be a Kubernetes namespace (DNS-1123 label): lower-case letters, digits and -, "
    "starting and ending with a letter or digit",
    SECRET_KEY_PATTERN: "must be a Secret key: letters, digits, -, _ and . only",
    SERVICE_ACCOUNT_PATTERN: "must be NAME or NAMESPACE/NAME of a service account: lower-case letters, digits, - "
    "and . (no other /)",
    MOUNT_PATH_PATTERN: "must be a Vault mount path: letters, digits, _ and - in segments separated by / or . "
    "(no .., no empty segment, no ?, # or %)",
    ROLE_PATTERN: "must be a Vault role name: letters, digits, _, -, . and @, starting and ending with a letter, "
    "digit or _",
}

_ADDRESS_EXAMPLE = "such as https://vault.example.com:8200"


def check_http_url(value: str, field: str = "the address", example: str = _ADDRESS_EXAMPLE) -> str:
    """An http(s) base URL requests are sent under; raises ValueError saying what is wrong (never echoing it)."""
    if any(c.isspace() or not c.isprintable() for c in value):
        raise ValueError("must not contain whitespace or control characters")
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"must be an http:// or https:// URL, {example}")
    if "@" in value.split("://", 1)[1].split("/", 1)[0]:
        raise ValueError(
            "must not contain a user name or password; put credentials in spec.auth (the operator logs in with "
            f"them), never in {field}"
        )
    if "?" in value or "#" in value:
        raise ValueError("must not have a query (?) or fragment (#): give only scheme, host, optional port and path")
    if "%" in value:
        raise ValueError("must not contain percent-escapes (%): write the host and path as plain text")
    parts = urllib.parse.urlsplit(value)
    if not parts.hostname:
        raise ValueError(f"must name a host, {example}")
    try:
        port = parts.port
    except ValueError:  # not a number, or out of range
        port = None
    if ":" in parts.netloc.rsplit("]", 1)[-1] and not port:
        raise ValueError("has an invalid port: use a number from 1 to 65535")
    if any(segment in (".", "..") for segment in parts.path.split("/")):
        raise ValueError("must not contain . or .. path segments: give the path prefix as it is")
    return value


#: Vault's address (``spec.address``): checked by the pattern in the CRD and by urllib here.
Address = Annotated[
    str,
    Field(min_length=1, max_length=MAX_URL, json_schema_extra={"pattern": ADDRESS_PATTERN}),
    AfterValidator(check_http_url),
]
