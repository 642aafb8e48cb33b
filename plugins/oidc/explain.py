"""Vault's answers to a failed JWT login, turned into what to fix.

Vault (and OpenBao) answer a bad JWT login with 400 and a precise text; each pattern below
maps one of those texts to the setting that causes it. The message always quotes Vault.
"""

from __future__ import annotations

from collections.abc import Mapping

from vault_access_operator.plugin import LoginRequest

# (substrings, any of which identifies the case; the fix). Fix templates may use
# {mount} {role} {key} {issuer} {audiences} {source} {issuer_field}. First match wins.
_CASES: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("could not be found", "role not found", "unknown role"),
        "create the role (vault write auth/{mount}/role/{role} role_type=jwt user_claim=sub bound_audiences=... "
        "policies=...) or fix spec.auth.{key}.role",
    ),
    (
        ("no handler for route", "unsupported path"),
        "no auth method is enabled at {mount}: run 'vault auth enable -path={mount} jwt' (or oidc), "
        "or fix spec.auth.{key}.authPath",
    ),
    (
        ("could not load configuration",),
        "auth/{mount} is not configured: vault write auth/{mount}/config with oidc_discovery_url, jwks_url "
        "or jwt_validation_pubkeys for issuer {issuer}",
    ),
    (
        # Before "signature"/"issuer": these texts can contain either word.
        ("fetching keys", "get keys failed", "keyset", "discovery", "dial tcp", "no such host", "x509"),
        "Vault could not fetch the issuer's keys: check that Vault can reach oidc_discovery_url or jwks_url "
        "on auth/{mount}/config (network, proxy, oidc_discovery_ca_pem / jwks_ca_pem)",
    ),
    (
        ("role with oidc role_type is not allowed",),
        "the role is for the browser flow: set role_type=jwt on auth/{mount}/role/{role}",
    ),
    (
        ("audience",),
        "the token's audiences are [{audiences}]: make the role's bound_audiences include one of them, or set "
        "spec.auth.{key}.audiences to a value in bound_audiences",
    ),
    (
        ("expired", "invalid expiration time"),
        "the token from {source} is past its expiry by Vault's clock: supply a fresh token, and check that the "
        "clocks of Vault and the issuer agree",
    ),
    (
        ("not yet valid", "not before", "issued at"),
        "the token is not yet valid by Vault's clock: check that the clocks of Vault and the issuer agree "
        "(or raise clock_skew_leeway on the role)",
    ),
    (
        ("issuer",),
        "the token's issuer is {issuer}: set bound_issuer on auth/{mount}/config to exactly that (trailing slash "
        "included or not), or point oidc_discovery_url at it; spec.auth.{key}.{issuer_field} names the same issuer",
    ),
    (
        ("compact jws", "malformed", "three parts"),
        "what was sent is not a JWT: check the token in {source}",
    ),
    (
        ("signature",),
        "Vault has no key that verifies this token from {issuer}: check oidc_discovery_url, jwks_url or "
        "jwt_validation_pubkeys on auth/{mount}/config (they must serve the issuer's current signing keys)",
    ),
    (
        ("failed to fetch groups", "groups"),
        "the role's groups_claim is not in the token: set groups_claim on auth/{mount}/role/{role} to a claim "
        "the token has, or leave it unset",
    ),
    (
        ("not found in token",),
        "the role's user_claim is not in the token: set user_claim on auth/{mount}/role/{role} to a claim the "
        "token has (sub always is)",
    ),
    (
        ("subject",),
        "the token's subject does not match bound_subject on auth/{mount}/role/{role}: fix bound_subject",
    ),
    (
        ("validating claims", "bound claim", "claim"),
        "the token does not satisfy bound_claims on auth/{mount}/role/{role}: fix bound_claims "
        "(and bound_claims_type) or use a token that carries those claims",
    ),
    (
        ("cidr", "source address"),
        "the operator's address is outside the role's token_bound_cidrs/bound_cidrs: widen them",
    ),
    (
        ("permission denied",),
        "Vault answers this when no auth method is enabled at auth/{mount}: check that 'vault auth list' shows "
        "{mount}/ (else 'vault auth enable -path={mount} jwt', or fix spec.auth.{key}.authPath); otherwise the "
        "role's bound_cidrs exclude the operator",
    ),
)

_GENERIC = (
    "check that role {role} exists at auth/{mount} with role_type=jwt, that its bound_audiences, bound_subject "
    "and bound_claims match the token, and that auth/{mount}/config trusts issuer {issuer}"
)


def explain(key: str, role: str, issuer_field: str, request: LoginRequest, errors: str) -> str:
    """A message quoting Vault's reason and naming the setting to fix."""
    details: Mapping[str, str] = request.private
    values = {
        "mount": request.mount,
        "role": role,
        "key": key,
        "issuer_field": issuer_field,
        "issuer": details.get("tokenIssuer") or "(unknown)",
        "audiences": details.get("tokenAudiences", ""),
        "source": details.get("tokenSource", "the token source"),
    }
    text = errors.lower()
    fix = next((f for needles, f in _CASES if any(n in text for n in needles)), _GENERIC)
    where = f"role {role!r} at auth/{request.mount}"
    return f"Vault refused the JWT login for {where}: {errors}. Fix: {fix.format(**values)}"
