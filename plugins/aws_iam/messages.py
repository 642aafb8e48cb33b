"""Errors that say what to fix: credential problems before login, and Vault's answer to a login.

Texts keep the AWS guide's troubleshooting phrases ("no credentials found", "access denied",
"cannot reach STS") so users find the matching section. No secret ever goes in: only names,
paths, ARNs, URLs and AWS/Vault error codes.
"""

from __future__ import annotations

from collections.abc import Mapping

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from vault_access_operator.plugin import (
    CredentialsError,
    CredentialSourceUnreachableError,
    Reason,
    VaultAccessError,
    clip,
)

from .credentials import NoCredentialsFound, SourceKey, WebIdentityMisconfigured

IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
_LOOKED_FOR = (
    ("AWS_WEB_IDENTITY_TOKEN_FILE", "a web identity token file (IRSA)"),
    ("AWS_ROLE_ARN", "the role to assume with it"),
    ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "EKS Pod Identity"),
    ("AWS_ACCESS_KEY_ID", "static keys"),
)


def _state(env: Mapping[str, str], name: str) -> str:
    if not env.get(name):
        return f"{name} not set"
    return f"{name} set" if name == "AWS_ACCESS_KEY_ID" else f"{name}={env[name]}"  # a key id is not shown


def credential_error(error: Exception, key: SourceKey, account: str, env: Mapping[str, str]) -> VaultAccessError:
    """Map a failure to get AWS credentials to a core error. ``account`` is NAMESPACE/NAME."""
    irsa_fix = (
        f"annotate service account {account} with {IRSA_ANNOTATION}=arn:aws:iam::ACCOUNT_ID:role/ROLE "
        "and restart the operator pod so that EKS injects AWS_ROLE_ARN and the token file"
    )
    if isinstance(error, NoCredentialsFound):
        looked = "; ".join(f"{what} ({_state(env, name)})" for name, what in _LOOKED_FOR)
        return CredentialsError(
            f"no credentials found: botocore's credential chain found no AWS credentials. Looked for {looked}; "
            f"shared config files and the EC2 instance profile. For IRSA, {irsa_fix}"
        )
    if isinstance(error, WebIdentityMisconfigured):
        return CredentialsError(
            f"no credentials found: AWS_WEB_IDENTITY_TOKEN_FILE is set ({env.get('AWS_WEB_IDENTITY_TOKEN_FILE')}) "
            f"but AWS_ROLE_ARN is not, so IRSA cannot work (refusing to fall back to another identity): {irsa_fix}"
        )
    if isinstance(error, OSError):
        return CredentialsError(
            f"no credentials found: cannot read the web identity token file "
            f"{getattr(error, 'filename', None) or env.get('AWS_WEB_IDENTITY_TOKEN_FILE')} ({error.strerror}): "
            f"check the projected token volume that EKS mounts for IRSA; {irsa_fix}"
        )
    if isinstance(error, ClientError):
        return _client_error(error, key, account, env)
    if isinstance(error, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError | ConnectionClosedError):
        endpoint = error.kwargs.get("endpoint_url") or key.sts_endpoint or "the STS endpoint"
        return CredentialSourceUnreachableError(
            f"cannot reach STS at {endpoint} ({type(error).__name__}) to get credentials: make sure the pod can "
            "reach STS; without internet access use an STS VPC endpoint and set spec.auth.aws.stsEndpoint to it "
            "(and AWS_STS_REGIONAL_ENDPOINTS=regional for the IRSA exchange)"
        )
    if isinstance(error, CredentialRetrievalError):
        provider = error.kwargs.get("provider", "a credential provider")
        hint = (
            ": check the EKS Pod Identity agent and AWS_CONTAINER_CREDENTIALS_FULL_URI"
            if provider == "container-role"
            else ""
        )
        return CredentialSourceUnreachableError(f"cannot get AWS credentials from {provider}: {clip(str(error))}{hint}")
    return CredentialsError(f"cannot get AWS credentials: {type(error).__name__}: {clip(str(error))}")


def _client_error(error: ClientError, key: SourceKey, account: str, env: Mapping[str, str]) -> VaultAccessError:
    info = error.response.get("Error", {})
    # AWS's own texts: clipped, as they reach the status.
    code, text = clip(str(info.get("Code", "Unknown")), 200), clip(str(info.get("Message", "")))
    operation = error.operation_name
    if operation == "AssumeRoleWithWebIdentity":
        namespace, _, name = account.partition("/")
        return CredentialsError(
            f"STS rejected the web identity token: AssumeRoleWithWebIdentity for {env.get('AWS_ROLE_ARN')} failed "
            f"with {code}: {text}. Check the IAM role's trust policy: Federated principal = the cluster's OIDC "
            f"provider, sub = system:serviceaccount:{namespace}:{name}, aud = sts.amazonaws.com",
            reason=Reason.CREDENTIALS_REJECTED,
        )
    if operation == "AssumeRole":
        external = " with the configured externalId" if key.external_id else ""
        return CredentialsError(
            f"STS refused to assume roleArn {key.role_arn}{external} ({code}: {text}): the role's trust policy must "
            "allow the operator's base identity to call sts:AssumeRole (with sts:ExternalId if it requires one), "
            "and that identity needs sts:AssumeRole permission on the role",
            reason=Reason.CREDENTIALS_REJECTED,
        )
    return CredentialsError(f"AWS rejected the credentials ({operation}: {code}: {text})",
                            reason=Reason.CREDENTIALS_REJECTED)
