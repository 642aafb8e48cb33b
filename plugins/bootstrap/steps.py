"""The bootstrap's steps, each idempotent: read what Vault has, write only what differs.

Step names (status.authStatus.setup.steps) keep the replaced operator's: AuthMountEnabled,
AuthMountConfigured, OperatorPolicyCreated, OperatorRoleCreated, BootstrapTokenRevoked, plus
KubernetesLoginTested.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vault_access_operator.plugin import (
    AuthContext,
    ConfigError,
    Reason,
    SecretNotFoundError,
    SetupRun,
    SetupTarget,
    VaultAccessError,
)

from .cluster import ClusterAddress, cluster_address
from .policy import MOUNT_DESCRIPTION, OPERATOR_POLICY, ROLE_TTL, operator_policy

if TYPE_CHECKING:
    from . import BootstrapConfig

DONE, IN_PLACE, FAILED = "Done", "AlreadyInPlace", "Failed"
class Bootstrap:
    """One run of the bootstrap for one connection."""

    def __init__(self, config: BootstrapConfig, target: SetupTarget, run: SetupRun, ctx: AuthContext) -> None:
        self.config, self.target, self.setup, self.ctx = config, target, run, ctx
        self.mount = target.mount
        self.k8s: Any = target.config  # the kubernetes block (KubernetesAuthConfig)
        self.token = ""
        self.did: list[str] = []  # what this run wrote, for the summary

    async def run_all(self) -> str:
        ref = self.config.secret_ref
        namespace = ref.namespace or self.ctx.operator_namespace
        try:
            value = await self.ctx.read_secret(namespace, ref.name, ref.key)
        except VaultAccessError as error:
            raise VaultAccessError(f"spec.auth.bootstrap.secretRef: {error.message}", reason=error.reason,
                                   retryable=error.retryable) from None
        self.token = value.strip()  # a file written with echo ends in a newline: not part of the token
        if not self.token:
            raise SecretNotFoundError(f"key {ref.key!r} of Secret {namespace}/{ref.name} (spec.auth.bootstrap."
                                      "secretRef) is empty: put the bootstrap Vault token there")
        self.ctx.remember_secret(self.token)
        self.where = f"the bootstrap token (key {ref.key!r} of Secret {namespace}/{ref.name}, spec.auth.bootstrap)"
        await self._check_token()
        await self._step("AuthMountEnabled", self._enable_mount)
        await self._step("AuthMountConfigured", self._configure_mount)
        await self._step("OperatorPolicyCreated", self._write_policy)
        await self._step("OperatorRoleCreated", self._write_role)
        await self._step("KubernetesLoginTested", self._test_login)
        revoked = await self._revoke() if self.config.auto_revoke else "kept (autoRevoke: false)"
        done = ", ".join(self.did) or "nothing (all in place)"
        return f"kubernetes auth at auth/{self.mount} set up: wrote {done}; the login works; bootstrap token {revoked}"

    async def _step(self, name: str, action: Any) -> None:
        try:
            outcome = await action()
        except VaultAccessError as error:
            self.setup.record(name, FAILED)
            raise VaultAccessError(f"bootstrap step {name} failed: {error.message}", reason=error.reason,
                                   retryable=error.retryable) from None
        self.setup.record(name, outcome)

    async def _check_token(self) -> None:
        try:
            await self.setup.vault.request("GET", "auth/token/lookup-self", token=self.token)
        except VaultAccessError as error:
            if error.reason != Reason.VAULT_PERMISSION_DENIED:
                raise
            raise VaultAccessError(
                f"Vault refused {self.where}: it is expired, revoked (an earlier bootstrap revokes it when "
                f"autoRevoke is true) or wrong. Put a valid token in the Secret, or set up auth/{self.mount} "
                f"by hand so that the kubernetes login works. Vault said: {getattr(error, 'vault_text', '')}",
                reason=Reason.CREDENTIALS_REJECTED,
            ) from None

    async def _enable_mount(self) -> str:
        try:
            mounted = await self.setup.vault.read(f"sys/auth/{self.mount}", token=self.token)
        except VaultAccessError as error:
            if error.reason != Reason.VAULT_REQUEST_REJECTED:  # 400 "No auth engine at <mount>/": not there
                raise
            mounted = None
        if mounted is not None:
            kind = mounted.get("type")
            if kind != "kubernetes":
                raise ConfigError(
                    f"auth/{self.mount} is a {kind!r} auth mount, not kubernetes: set spec.auth.kubernetes.authPath "
                    "to a free path or to a kubernetes mount"
                )
            return IN_PLACE
        await self.setup.vault.write(f"sys/auth/{self.mount}", {
            "type": "kubernetes", "description": MOUNT_DESCRIPTION,
        }, token=self.token)
        self.did.append(f"the auth/{self.mount} mount")
        return DONE

    async def _configure_mount(self) -> str:
        wanted: ClusterAddress = cluster_address(getattr(self.k8s, "kubernetes_host", None))
        path = f"auth/{self.mount}/config"
        current = await self.setup.vault.read(path, token=self.token) or {}
        same_host = current.get("kubernetes_host") == wanted.host
        same_ca = wanted.ca_pem is None or _pem(current.get("kubernetes_ca_cert")) == _pem(wanted.ca_pem)
        if same_host and same_ca:
            return IN_PLACE
        body: dict[str, Any] = {"kubernetes_host": wanted.host}
        if wanted.ca_pem is not None:
            body["kubernetes_ca_cert"] = wanted.ca_pem
        for kept in ("disable_local_ca_jwt", "issuer", "disable_iss_validation"):  # the config is not merged
            if kept in current:
                body[kept] = current[kept]
        try:
            await self.setup.vault.write(path, body, token=self.token)
        except VaultAccessError as error:
            if error.reason != Reason.VAULT_REQUEST_REJECTED or wanted.ca_pem is not None:
                raise
            raise VaultAccessError(
                f"{error.message}. The operator found no CA of the Kubernetes API to send ({wanted.ca_source}): "
                "set the operator's env VAO_BOOTSTRAP_KUBERNETES_CA_FILE to the CA bundle's path",
                reason=error.reason, retryable=False,
            ) from None
        self.did.append(f"{path} (kubernetes_host {wanted.host})")
        return DONE

    async def _write_policy(self) -> str:
        path = f"sys/policies/acl/{OPERATOR_POLICY}"
        wanted = operator_policy(self.mount, self.config.cleanup_auth_mount)
        current = await self.setup.vault.read(path, token=self.token)
        if current is not None and str(current.get("policy", "")).strip() == wanted.strip():
            return IN_PLACE
        await self.setup.vault.write(path, {"policy": wanted}, token=self.token)
        self.did.append(f"policy {OPERATOR_POLICY}")
        return DONE

    def _account(self) -> tuple[str, str]:
        account = getattr(self.k8s, "service_account", None) or self.ctx.operator_service_account
        namespace, _, name = str(account).rpartition("/")
        return namespace or self.ctx.operator_namespace, name

    async def _write_role(self) -> str:
        role = self.k8s.role
        path = f"auth/{self.mount}/role/{role}"
        namespace, name = self._account()
        audience = (getattr(self.k8s, "audiences", None) or ["vault"])[0]
        current = await self.setup.vault.read(path, token=self.token)
        if current is not None and (
            current.get("bound_service_account_names") == [name]
            and current.get("bound_service_account_namespaces") == [namespace]
            and OPERATOR_POLICY in (current.get("token_policies") or [])
            and current.get("audience") == audience
        ):
            return IN_PLACE
        await self.setup.vault.write(path, {
            "bound_service_account_names": [name],
            "bound_service_account_namespaces": [namespace],
            "token_policies": [OPERATOR_POLICY],
            "token_ttl": ROLE_TTL,
            "audience": audience,
        }, token=self.token)
        self.did.append(f"role {role} (service account {namespace}/{name}, audience {audience})")
        return DONE

    async def _test_login(self) -> str:
        try:
            await self.setup.test_login()
        except VaultAccessError as error:
            raise VaultAccessError(
                f"the kubernetes login at auth/{self.mount} still fails after the set-up: {error.message}. "
                "Check that Vault reaches the Kubernetes API at the configured kubernetes_host with that CA",
                reason=error.reason, retryable=error.retryable,
            ) from None
        return DONE

    async def _revoke(self) -> str:
        try:
            await self.setup.vault.request("PUT", "auth/token/revoke-self", token=self.token, json={})
        except VaultAccessError as error:
            self.setup.record("BootstrapTokenRevoked", FAILED)
            self.ctx.logger.warning("VaultConnection %s: the bootstrap token was not revoked: %s",
                                    self.ctx.connection_name, error.message)
            return f"NOT revoked ({error.message}): revoke it by hand"
        self.setup.record("BootstrapTokenRevoked", DONE)
        return "revoked"


def _pem(value: object) -> str:
    return "".join(str(value or "").split())

