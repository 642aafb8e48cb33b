"""The operator's trust policy: what a VaultConnection may make the operator do on its behalf.

Whoever may create a VaultConnection chooses where the operator sends credentials (``spec.address``),
but the operator's own privileges (read Secrets, mint service-account tokens) exceed theirs. These
operator settings (flags, env, chart values; never a VaultConnection) bound what a spec can use.
The checks are pure: they raise :class:`TrustPolicyError`, whose message names the setting that
would allow the refused use.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import urllib.parse
from collections.abc import Iterable, Sequence

from .durations import format_duration
from .errors import CredentialsError, Reason, VaultAccessError

DEFAULT_MAX_TOKEN_SECONDS = 3600
#: Audiences that name the API server whatever the cluster says (a token for them is a cluster login).
BUILTIN_API_AUDIENCES = (
    "https://kubernetes.default.svc",
    "https://kubernetes.default.svc.cluster.local",
    "https://kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
)


class TrustPolicyError(VaultAccessError):
    """A spec asks for something the operator's trust policy refuses: an operator setting or a spec edit fixes it."""

    reason = Reason.FORBIDDEN_BY_POLICY
    retryable = False


@dataclasses.dataclass(frozen=True)
class Setting:
    """One trust-policy setting as the operator's user sets it."""

    flag: str
    env: str
    chart: str

    def names(self) -> str:
        return f"{self.flag} (env {self.env}, chart value {self.chart})"


SECRET_NAMESPACES = Setting("--secret-namespace", "VAO_SECRET_NAMESPACES", "trust.secretNamespaces")
TOKEN_SERVICE_ACCOUNTS = Setting("--token-service-account", "VAO_TOKEN_SERVICE_ACCOUNTS", "trust.tokenServiceAccounts")
API_AUDIENCES = Setting("--api-audience", "VAO_API_AUDIENCES", "trust.apiAudiences")
MAX_TOKEN_LIFETIME = Setting("--max-token-lifetime", "VAO_MAX_TOKEN_LIFETIME", "trust.maxTokenLifetime")
ALLOW_MOUNTED_TOKEN = Setting("--allow-mounted-token", "VAO_ALLOW_MOUNTED_TOKEN=true", "trust.allowMountedToken")
VAULT_ADDRESSES = Setting("--vault-address", "VAO_VAULT_ADDRESSES", "trust.vaultAddresses")


@dataclasses.dataclass(frozen=True)
class TrustPolicy:
    """Operator settings; the defaults are the safe ones.

    ``secret_namespaces``: namespaces Secret references may read besides the operator's own (``*``: any).
    ``token_service_accounts``: ``NAMESPACE/NAME`` (or ``NAMESPACE/*``) accounts TokenRequest may be made
    for besides the operator's own. ``api_audiences``: the API server's own audiences (discovered at
    start-up plus configured), never requested for a token that leaves the cluster.
    ``vault_addresses``: globs on ``scheme://host:port``; empty means any address.
    """

    secret_namespaces: tuple[str, ...] = ()
    token_service_accounts: tuple[str, ...] = ()
    api_audiences: tuple[str, ...] = ()
    max_token_seconds: int = DEFAULT_MAX_TOKEN_SECONDS
    allow_mounted_token: bool = False
    vault_addresses: tuple[str, ...] = ()

    def with_api_audiences(self, audiences: Iterable[str]) -> TrustPolicy:
        """This policy, also refusing ``audiences`` (discovered at start-up)."""
        more = tuple(a for a in audiences if a and a not in self.api_audiences)
        return dataclasses.replace(self, api_audiences=self.api_audiences + more)


def _where(field: str | None) -> str:
    return f"{field} names " if field else "the auth plugin asked for "


def check_secret(policy: TrustPolicy, operator_namespace: str, namespace: str, name: str,
                 field: str | None = None) -> None:
    """Refuse a Secret read outside the operator's namespace and ``secret_namespaces``."""
    allowed = (operator_namespace, *policy.secret_namespaces)
    if namespace in allowed or "*" in allowed:
        return
    raise TrustPolicyError(
        f"{_where(field)}Secret {namespace}/{name}, but the operator reads Secrets only in "
        f"{', '.join(allowed)}: move the Secret there, or have the operator's administrator add {namespace} "
        f"with {SECRET_NAMESPACES.names()}"
    )


def check_token_request(policy: TrustPolicy, own: tuple[str, str], namespace: str, name: str,
                        audiences: Sequence[str], seconds: float, field: str | None = None) -> None:
    """Refuse a TokenRequest for a foreign account, for the API server's audience, or too long a lifetime."""
    where = field or "the auth plugin"
    account = f"{namespace}/{name}"
    if (namespace, name) != own and not _account_allowed(policy, namespace, name):
        raise TrustPolicyError(
            f"{where} asks for a token of service account {account}, but the operator requests tokens only "
            f"for its own account {own[0]}/{own[1]}: use that account, or have the operator's administrator "
            f"allow {account} with {TOKEN_SERVICE_ACCOUNTS.names()}"
        )
    refused = [a for a in audiences if is_api_audience(policy, a)]
    if refused:
        raise TrustPolicyError(
            f"{where} asks for a token with audience {refused[0]!r}, which is the Kubernetes API server's own: "
            f"such a token would log in to the cluster wherever it is sent. Use an audience of Vault's own "
            f"(default 'vault') and set the same on the Vault role; the API server's audiences are discovered "
            f"from the cluster and set with {API_AUDIENCES.names()}"
        )
    if seconds > policy.max_token_seconds:
        raise TrustPolicyError(
            f"{where} asks for a token valid for {format_duration(seconds)}, longer than the operator's maximum "
            f"of {format_duration(policy.max_token_seconds)}: lower tokenDuration, or have the operator's "
            f"administrator raise {MAX_TOKEN_LIFETIME.names()}"
        )


def _account_allowed(policy: TrustPolicy, namespace: str, name: str) -> bool:
    return any(entry in (f"{namespace}/{name}", f"{namespace}/*") for entry in policy.token_service_accounts)


def _audience_key(audience: str) -> str:
    return audience.strip().rstrip("/").lower()


def is_api_audience(policy: TrustPolicy, audience: str) -> bool:
    """True when ``audience`` names the API server (built-in names, discovered or configured ones)."""
    key = _audience_key(audience)
    return any(key == _audience_key(known) for known in (*BUILTIN_API_AUDIENCES, *policy.api_audiences))


def normalise_address(address: str) -> str:
    """``scheme://host:port`` of a Vault address, lower-case, with the scheme's default port filled in."""
    parts = urllib.parse.urlsplit(address.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port or (443 if scheme == "https" else 80)
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def check_address(policy: TrustPolicy, address: str) -> None:
    """Refuse a Vault address outside ``vault_addresses`` (when that allow-list is set)."""
    if not policy.vault_addresses:
        return
    normal = normalise_address(address)
    if any(fnmatch.fnmatchcase(normal, glob.strip().lower()) for glob in policy.vault_addresses):
        return
    raise TrustPolicyError(
        f"spec.address {normal} is not among the Vault addresses the operator may log in to "
        f"({', '.join(policy.vault_addresses)}): use one of them, or have the operator's administrator add it "
        f"with {VAULT_ADDRESSES.names()}"
    )


def mounted_token_refused(cause: str) -> CredentialsError:
    """TokenRequest is forbidden and the mounted-token fallback is off (an RBAC grant heals it: retryable)."""
    return CredentialsError(
        f"{cause}; the operator's mounted token is not used instead, because its audience is the API "
        f"server's (it would log in to the cluster wherever it is sent). Grant the operator 'create' on "
        f"serviceaccounts/token, or opt in with {ALLOW_MOUNTED_TOKEN.names()}",
        reason=Reason.TOKEN_REQUEST_FORBIDDEN,
    )


def describe_policy(policy: TrustPolicy, operator_namespace: str) -> str:
    """One line for the start-up log: what VaultConnections may use (no secrets in a policy)."""
    namespaces = ", ".join((operator_namespace, *policy.secret_namespaces))
    accounts = ", ".join(("its own", *policy.token_service_accounts))
    return (
        f"Secrets in {namespaces}; tokens for {accounts}, at most {format_duration(policy.max_token_seconds)}; "
        f"mounted token {'allowed' if policy.allow_mounted_token else 'off'}; "
        f"Vault addresses {', '.join(policy.vault_addresses) or 'any'}"
    )
