"""``spec.auth.aws``: log in with AWS identity (Vault's aws auth method, iam or ec2).

iam: botocore's credential chain (IRSA, EKS Pod Identity, instance profile, keys), fresh and
refreshed for every login, optionally one AssumeRole hop (``roleArn``), signs an STS
GetCallerIdentity request for the detected region; Vault replays it to learn who we are.
ec2: the PKCS7-signed instance identity document from IMDSv2, with a nonce.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from vault_access_operator.plugin import AuthProvider, RoleWriter, hookimpl

from .config import AwsAuthConfig
from .provider import AwsAuthProvider
from .role_writer import AwsRoleWriter

if TYPE_CHECKING:
    from .signing import SignedRequest, regional_sts_endpoint, sign_get_caller_identity

__all__ = [
    "AwsAuthConfig",
    "AwsAuthProvider",
    "AwsRoleWriter",
    "SignedRequest",
    "regional_sts_endpoint",
    "sign_get_caller_identity",
    "vao_auth_providers",
    "vao_role_writers",
]


_SIGNING = ("SignedRequest", "regional_sts_endpoint", "sign_get_caller_identity")


def __getattr__(name: str) -> Any:
    # The signing helpers import botocore: loaded when first asked for, not with the plugin (start-up time).
    if name in _SIGNING:
        return getattr(importlib.import_module(".signing", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@hookimpl
def vao_auth_providers() -> list[type[AuthProvider[Any]]]:
    return [AwsAuthProvider]


@hookimpl
def vao_role_writers() -> list[type[RoleWriter[Any]]]:
    return [AwsRoleWriter]
