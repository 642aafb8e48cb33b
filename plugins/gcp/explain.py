"""Vault's answer to a failed auth/gcp login, turned into what to fix.

Matching is on the texts of Vault's gcp auth plugin (hashicorp/vault-plugin-auth-gcp, plugin/path_login.go
and authorizer_gce.go); Vault's text is always quoted too, so nothing it said is lost.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .claims import JWT_LIFETIME

_ROLE_NOT_FOUND = re.compile(r'role "[^"]*" not found')  # parseAndValidateJwt: fmt.Errorf("role %q not found")


def explain(role: str, auth_type: str, mount: str, details: Mapping[str, str], errors: str) -> str:
    said = f'Vault said: "{errors}"'
    lower = errors.lower()
    account = details.get("serviceAccount", "")
    bound = f"bound_service_accounts={account}" if account else "bound_service_accounts=<the account's email>"
    where = f"role {role!r} at auth/{mount}"
    if _ROLE_NOT_FOUND.search(errors):
        return (
            f"access denied: there is no {where} ({said}): create it, for example vault write "
            f"auth/{mount}/role/{role} type={auth_type} {bound} policies=..., or fix spec.auth.gcp.role"
        )
    if "is not authorized for role" in lower or "not in bound service accounts" in lower:
        return (
            f"access denied: the service account {account or 'presented'} is not bound to the {where} ({said}): "
            f"add it to the role's bound_service_accounts ({bound}), or set spec.auth.gcp.serviceAccountEmail "
            "to an account the role binds"
        )
    if "not in bound projects" in lower:
        project = details.get("project", "the account's project")
        return (
            f"access denied: {project} is not in the bound_projects of the {where} ({said}): add it, or log in "
            "as an account of a bound project"
        )
    if "expected jwt to have claims with gce metadata" in lower:
        return (
            f"access denied: the {where} is a gce role but the operator presented a signed service-account JWT "
            f"(authType {auth_type}) ({said}): set spec.auth.gcp.authType: gce, or create the role with type=iam"
        )
    if "does not allow gce inference" in lower:
        return (
            f"access denied: the {where} is an iam role and the operator presented a GCE identity token (authType "
            f"{auth_type}) ({said}): set spec.auth.gcp.authType: iam, or set allow_gce_inference=true on the role"
        )
    if "jwts expire within" in lower:
        minutes = int(JWT_LIFETIME.total_seconds() // 60)
        return (
            f"access denied: the {where} accepts shorter-lived JWTs than the {minutes} minutes the operator signs "
            f"for ({said}): set max_jwt_exp to at least {int(JWT_LIFETIME.total_seconds())} on the role (and check "
            "that the operator's clock is not ahead of Vault's)"
        )
    if "jwt is expired" in lower or "jwt must expire in" in lower:
        return (
            f"access denied: Vault found the JWT's expiry out of range ({said}): the clocks of the operator's node "
            "and Vault's disagree: synchronise them (NTP)"
        )
    if "unable to get public key" in lower:
        return (
            f"access denied: Vault could not get the Google public key that signed the JWT ({said}): Vault needs "
            "egress to www.googleapis.com; a key Google created moments ago may take a minute to be published"
        )
    if "permission denied" in lower:
        return (
            f"access denied: Vault refused login at auth/{mount} ({said}): check that a gcp auth method is enabled at "
            f"path {mount} (vault auth list) and that the role's token_bound_cidrs allow the operator"
        )
    who = f" as {account}" if account else ""
    return f"access denied: Vault denied login for {where}{who} ({said}): check the role and its bindings"
