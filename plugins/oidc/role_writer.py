"""The jwt role writer: VaultRole / VaultClusterRole on a jwt-family mount (Vault's jwt plugin, jwt or oidc type).

Payload, always whole (Vault keeps a field a write leaves out): ``role_type``, ``user_claim``,
``bound_audiences``, ``token_policies``, ``bound_claims`` + ``bound_claims_type`` or ``bound_subject`` (the
other reset to ``{}`` / ``""``), ``token_ttl`` / ``token_max_ttl`` (0 when left out). The modern
``token_*`` keys, not the deprecated ``policies``/``ttl``: writing them also clears the deprecated copies a
role written by the replaced operator carries.

Subject: ``spec.jwt.boundSubject``; else, with no claims, ``system:serviceaccount:<ns>:<name>`` of the
role's service account; several accounts (a VaultClusterRole across namespaces) become a ``sub`` claim
listing each subject, since bound_subject holds one value.

Ownership: ``alias_metadata`` (Vault >= 1.21 keeps it) AND, because OpenBao drops ``alias_metadata``
silently (2.7, measured), entries ``vao-owner:<key>=<value>`` in ``oidc_scopes``. oidc_scopes is read only by
the browser (authorization-code) flow, which a role of role_type jwt without allowed_redirect_uris never
runs, so the entries change no login. Neither field takes part in ``differences``: ownership is
``ownership_of``'s job (the core's conflict check).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from vault_access_operator.plugin import ConfigError, RoleBinding, RoleWriter

from . import role_writer_tenancy as tenancy
from .role_writer_config import KUBERNETES_AUDIENCE, JWTRoleConfig

OWNER_SCOPE_PREFIX = "vao-owner:"
#: Ownership carriers: compared through ownership_of, never as drift.
OWNERSHIP_KEYS = frozenset({"alias_metadata", "oidc_scopes"})


def owner_scopes(ownership: Mapping[str, str]) -> list[str]:
    """The ownership record as oidc_scopes entries (sorted, one per key)."""
    return [f"{OWNER_SCOPE_PREFIX}{k}={v}" for k, v in sorted(ownership.items())]


def _claims_as_lists(value: Any) -> Any:
    # Vault keeps a claim written as one string a string; it matches like a one-element list.
    if not isinstance(value, Mapping):
        return value
    return {k: v if isinstance(v, list) else [v] for k, v in value.items()}


class JWTRoleWriter(RoleWriter[JWTRoleConfig]):
    """Roles of Vault's jwt auth plugin (mounts of type jwt or oidc), from ``spec.jwt``."""

    family: ClassVar[str] = "jwt"
    login_methods: ClassVar[tuple[str, ...]] = ("jwt", "oidc")
    mount_prefixes: ClassVar[tuple[str, ...]] = ("jwt", "oidc")
    spec_key: ClassVar[str | None] = "jwt"
    config_model = JWTRoleConfig
    # The CRD's "a role must bind something" rule: sizes, not has() alone (the replaced operator's gap).
    binds_rule: ClassVar[str | None] = " || ".join(
        f"(has(self.jwt.{f}) && size(self.jwt.{f}) > 0)" for f in ("boundSubject", "boundClaims", "boundClaimsList")
    )

    def payload(self, binding: RoleBinding, config: JWTRoleConfig | None) -> dict[str, Any]:
        config = config or JWTRoleConfig()
        claims, subject = self._identity(binding, config)
        _check_ttls(binding)
        return {
            "role_type": config.role_type,
            "user_claim": config.user_claim,
            "bound_audiences": list(config.bound_audiences or binding.login_audiences or [KUBERNETES_AUDIENCE]),
            "token_policies": list(binding.policies),
            "bound_claims": {k: values for k, (values, _) in claims.items()},
            "bound_claims_type": config.bound_claims_type if claims else "string",
            "bound_subject": subject,
            "token_ttl": binding.token_ttl or 0,
            "token_max_ttl": binding.token_max_ttl or 0,
            "alias_metadata": dict(binding.ownership),
            "oidc_scopes": owner_scopes(binding.ownership),
        }

    def _identity(self, binding: RoleBinding, config: JWTRoleConfig) -> tuple[dict[str, tuple[list[str], str]], str]:
        """(claims, subject): exactly one of them binds; the tenancy check runs on what was chosen."""
        claims = config.merged_claims()
        confined = binding.confined and binding.namespace is not None
        if claims:
            if confined:
                tenancy.check_claims(claims, config.bound_claims_type == "glob", str(binding.namespace))
            return claims, ""
        if config.bound_subject is not None:
            if confined:
                tenancy.check_subject(config.bound_subject, str(binding.namespace))
            return {}, config.bound_subject
        subjects = sorted(tenancy.service_account_subject(a.namespace, a.name) for a in binding.service_accounts)
        if not subjects:
            raise ConfigError(
                "the role binds nobody on jwt mount "
                f"{binding.mount}: set serviceAccounts (the token's subject is then "
                "system:serviceaccount:<namespace>:<name>), jwt.boundSubject, or jwt.boundClaimsList"
            )
        if len(subjects) == 1:
            return {}, subjects[0]
        return {"sub": (subjects, "serviceAccounts")}, ""

    def differences(self, desired: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
        managed = {k: v for k, v in desired.items() if k not in OWNERSHIP_KEYS}
        observed = {**actual, "bound_claims": _claims_as_lists(actual.get("bound_claims"))}
        return super().differences(managed, observed)

    def ownership_of(self, actual: Mapping[str, Any]) -> Mapping[str, str] | None:
        record = super().ownership_of(actual)
        if record:
            return record
        scopes = [s for s in actual.get("oidc_scopes") or [] if isinstance(s, str)]
        entries = [s.removeprefix(OWNER_SCOPE_PREFIX) for s in scopes if s.startswith(OWNER_SCOPE_PREFIX)]
        pairs = dict(entry.split("=", 1) for entry in entries if "=" in entry)
        return pairs or None


def _check_ttls(binding: RoleBinding) -> None:
    # Vault refuses it ("'token_ttl' cannot be greater than 'token_max_ttl'"); say so with the spec's names.
    if binding.token_ttl and binding.token_max_ttl and binding.token_ttl > binding.token_max_ttl:
        raise ConfigError(
            f"tokenTTL ({binding.token_ttl}s) is longer than tokenMaxTTL ({binding.token_max_ttl}s): Vault refuses "
            "such a role; shorten tokenTTL or raise tokenMaxTTL"
        )
