"""The Vault side of an auth/gcp login, done the way Vault's gcp plugin does it (for the test double).

Follows hashicorp/vault-plugin-auth-gcp plugin/path_login.go (parseAndValidateJwt, getSigningKey,
validateBaseJWTClaims, pathIamLogin, authorizeIAMServiceAccount, pathGceLogin) and authorizer_gce.go
step by step, with their error texts. Public keys come from the Google double, as Vault fetches them
from Google. Each failure is a LoginRejected with the HTTP status and the text Vault puts in ``errors``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import jwt

from tests.support.gcp_google import Account

EXP_TOLERANCE = 60  # jwtExpToleranceSec
MAX_JWT_EXP_MAX_MINUTES = 60
ALGORITHMS = ("RS256", "ES256", "HS256")


class LoginRejected(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@dataclasses.dataclass
class GcpRole:
    name: str
    type: str = "iam"
    bound_service_accounts: list[str] = dataclasses.field(default_factory=list)
    bound_projects: list[str] = dataclasses.field(default_factory=list)
    max_jwt_exp: int = 900  # defaultIamMaxJwtExpMinutes * 60
    allow_gce_inference: bool = True
    policies: list[str] = dataclasses.field(default_factory=lambda: ["default"])
    ttl: int = 3600
    max_ttl: int = 0


def _go_list(values: list[str], quoted: bool) -> str:
    """Go's %q (quoted) or %+v of a []string."""
    return "[" + " ".join(f'"{v}"' if quoted else v for v in values) + "]"


def verify_login(body: dict[str, Any], roles: dict[str, GcpRole], public_key: Callable[[str], Any],
                 account: Callable[[str], Account | None]) -> tuple[GcpRole, dict[str, str]]:
    """(role, token metadata) of a valid login; raises LoginRejected as Vault answers."""
    role_name = str(body.get("role") or "")
    if not role_name:
        raise LoginRejected("role is required")
    role = roles.get(role_name)
    if role is None:
        raise LoginRejected(f'role "{role_name}" not found')
    token = body.get("jwt")
    if not token:
        raise LoginRejected("jwt argument is required")
    claims = _verified_claims(str(token), role, public_key)
    _check_base_claims(claims, role_name)
    compute = (claims.get("google") or {}).get("compute_engine") or {}
    gce = compute if compute.get("instance_id") else None
    if role.type == "gce" and gce is None:
        raise LoginRejected("expected JWT to have claims with GCE metadata")
    found = account(str(claims["sub"]))
    if role.type == "iam":
        if not role.allow_gce_inference and gce is not None:
            raise LoginRejected(f'Got GCE token but IAM role "{role_name}" does not allow GCE inference')
        if gce is None and claims["exp"] > time.time() + role.max_jwt_exp:
            raise LoginRejected(f"role requires that service account JWTs expire within {role.max_jwt_exp} seconds")
        if found is None:
            raise LoginRejected("googleapi: Error 404: Service account not found, notFound", status=500)
        if role.bound_projects and found.project_id not in role.bound_projects:
            raise LoginRejected(f'service account "{found.email}" not in bound projects '
                                f"{_go_list(role.bound_projects, quoted=False)}")
        bound = set(role.bound_service_accounts)
        if bound != {"*"} and not {found.email, found.unique_id} & bound:
            raise LoginRejected(f"service account {found.email} (id: {found.unique_id}) is not authorized for role")
    else:
        assert gce is not None
        if role.bound_projects and gce["project_id"] not in role.bound_projects:
            raise LoginRejected(f'instance "{gce["instance_id"]}" (project "{gce["project_id"]}") not in bound '
                                f"projects {_go_list(role.bound_projects, quoted=False)}")
        if found is None:
            raise LoginRejected(f'Could not find service account "{claims["sub"]}" used for GCE metadata token')
        if role.bound_service_accounts and not {found.email, found.unique_id} & set(role.bound_service_accounts):
            raise LoginRejected(f'service account "{found.unique_id}" ("{found.email}") is not in bound service '
                                f"accounts {_go_list(role.bound_service_accounts, quoted=True)}")
    email = found.email if found else str(claims["sub"])
    meta = {"role": role_name, "service_account_email": email, "project_id": found.project_id if found else "",
            "service_account_id": found.unique_id if found else ""}
    if gce is not None:
        meta.update(project_id=str(gce["project_id"]), zone=str(gce["zone"]), instance_id=str(gce["instance_id"]),
                    instance_name=str(gce["instance_name"]))
    return role, meta


def _verified_claims(token: str, role: GcpRole, public_key: Callable[[str], Any]) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise LoginRejected("unable to parse signed JWT: go-jose/go-jose: compact JWS format must have three parts"
                            ) from None
    if header.get("alg") not in ALGORITHMS:
        raise LoginRejected(f"unable to parse signed JWT: go-jose/go-jose: unexpected signature algorithm "
                            f'"{header.get("alg")}"; expected ["RS256" "ES256" "HS256"]')
    kid = str(header.get("kid", ""))
    key = public_key(kid)
    if key is None:
        subject = unverified.get("sub")
        if not subject:
            raise LoginRejected("unable to get public key for signed JWT: expected 'sub' claim from JWT")
        if role.type == "iam":
            raise LoginRejected(f'unable to get public key for signed JWT: unable to get public key "{kid}" for JWT '
                                f'subject "{subject}": service account key "{kid}" not found')
        raise LoginRejected(f'unable to get public key for signed JWT: unable to get public key "{kid}" for JWT '
                            f'subject "{subject}": no Google OAuth2 provider key found for GCE role')
    try:
        claims: dict[str, Any] = jwt.decode(token, key, algorithms=["RS256"], options={
            "verify_aud": False, "verify_exp": False, "verify_iat": False, "verify_nbf": False})
    except jwt.PyJWTError:
        raise LoginRejected("go-jose/go-jose: error in cryptographic primitive") from None
    return claims



def _check_base_claims(claims: dict[str, Any], role_name: str) -> None:
    now = time.time()
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp < now - EXP_TOLERANCE:
        raise LoginRejected("JWT is expired or does not have proper 'exp' claim")
    if exp - now > MAX_JWT_EXP_MAX_MINUTES * 60 + EXP_TOLERANCE:
        raise LoginRejected(f"JWT must expire in {MAX_JWT_EXP_MAX_MINUTES} minutes, expires in {int(exp - now)}s")
    if not claims.get("sub"):
        raise LoginRejected("expected JWT to have 'sub' claim with service account id or email")
    audiences = claims.get("aud")
    suffix = f"vault/{role_name}"
    for aud in [audiences] if isinstance(audiences, str) else list(audiences or []):
        if not str(aud).endswith(suffix):
            raise LoginRejected(f"at least one of the JWT claim 'aud' must end in \"{suffix}\"")
