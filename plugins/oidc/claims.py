"""Pre-flight checks of a JWT's claims, before it is sent to Vault.

Vault answers a bad JWT with a terse 400; checking the claims we can read (without the
issuer's key) first gives a message that names the token's actual issuer, audiences and
expiry, and says which field to fix. Pure functions: ``now`` is an argument.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from typing import Any

#: A token with less than this left is never sent: it could expire in flight or in Vault's queue.
MIN_REMAINING_SECONDS = 30
#: Vault's default clock_skew_leeway for nbf/iat.
NOT_BEFORE_LEEWAY_SECONDS = 60


class ClaimError(ValueError):
    """A claim check failed. ``spec_field`` names the spec field the token contradicts, if any."""

    def __init__(self, message: str, spec_field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.spec_field = spec_field


@dataclasses.dataclass(frozen=True)
class Expectations:
    """What the token must satisfy. ``where`` prefixes field names (``spec.auth.jwt``)."""

    where: str
    issuer: str | None = None
    issuer_field: str = "expectedIssuer"
    audience: str | None = None  # expectedAudience: must be one of the token's audiences
    any_audience: Sequence[str] = ()  # the token must carry at least one of these
    any_audience_hint: str = ""
    required_claims: Mapping[str, str] = dataclasses.field(default_factory=dict)  # spec field -> claim


def decode_claims(token: str, origin: str) -> dict[str, Any]:
    """The token's claims, unverified (Vault verifies the signature). Never echoes the token."""
    import jwt  # PyJWT and cryptography: about 0.03 s of every start when imported with the plugin

    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        # PyJWT's texts ("Not enough segments", "Invalid payload padding") never quote the token.
        raise ClaimError(f"the token from {origin} is not a JWT ({error})") from None
    if not isinstance(claims, dict):
        raise ClaimError(f"the token from {origin} has no JSON claims object")
    return claims


def normalise_issuer(issuer: str) -> str:
    # "https://oidc.example/" and "https://oidc.example" name the same issuer for our check;
    # Vault's bound_issuer comparison is exact, which the docs point out.
    return issuer.rstrip("/")


def audiences_of(claims: Mapping[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if aud is None:
        return []
    return [str(a) for a in aud] if isinstance(aud, list) else [str(aud)]


def claim_value(claims: Mapping[str, Any], name: str) -> Any:
    """A claim by name, or by JSON pointer (``/kubernetes.io/namespace``) as Vault allows."""
    if not name.startswith("/"):
        return claims.get(name)
    value: Any = claims
    for part in name[1:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _time(claims: Mapping[str, Any], name: str, origin: str) -> datetime.datetime | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ClaimError(f"the token from {origin} has a non-numeric {name!r} claim")
    return datetime.datetime.fromtimestamp(value, datetime.UTC)


def check_claims(claims: Mapping[str, Any], expect: Expectations, now: datetime.datetime, origin: str) -> None:
    """Raise ClaimError for the first problem that would make Vault refuse the token."""
    expires = _time(claims, "exp", origin)
    if expires is not None:
        left = (expires - now).total_seconds()
        if left < 0:
            when = f"{expires:%Y-%m-%dT%H:%M:%SZ}"
            raise ClaimError(f"the token from {origin} expired at {when}: replace it with a fresh one")
        if left < MIN_REMAINING_SECONDS:
            raise ClaimError(
                f"the token from {origin} expires at {expires:%Y-%m-%dT%H:%M:%SZ}, in {left:.0f}s (under "
                f"{MIN_REMAINING_SECONDS}s): it is not sent; replace it with a fresh one"
            )
    not_before = _time(claims, "nbf", origin)
    if not_before is not None and (not_before - now).total_seconds() > NOT_BEFORE_LEEWAY_SECONDS:
        raise ClaimError(
            f"the token from {origin} is not valid before {not_before:%Y-%m-%dT%H:%M:%SZ}: check the clocks of "
            "the issuer and the operator's node"
        )
    issuer = str(claims.get("iss") or "")
    if expect.issuer and normalise_issuer(issuer) != normalise_issuer(expect.issuer):
        raise ClaimError(
            f"the token from {origin} was issued by {issuer or '(no iss claim)'!r}, not by {expect.issuer!r} "
            f"({expect.where}.{expect.issuer_field}): set {expect.issuer_field} to the token's issuer, or use a "
            "token from that issuer",
            spec_field=expect.issuer_field,
        )
    audiences = audiences_of(claims)
    if expect.audience and expect.audience not in audiences:
        raise ClaimError(
            f"the token from {origin} has audiences {audiences}, which do not include {expect.audience!r} "
            f"({expect.where}.expectedAudience): request a token for that audience or fix expectedAudience",
            spec_field="expectedAudience",
        )
    if expect.any_audience and not set(expect.any_audience) & set(audiences):
        raise ClaimError(
            f"the token from {origin} has audiences {audiences}, none of {list(expect.any_audience)} "
            f"({expect.where}.audiences){expect.any_audience_hint}"
        )
    for field, claim in expect.required_claims.items():
        if claim_value(claims, claim) is None:
            raise ClaimError(
                f"the token from {origin} has no {claim!r} claim ({expect.where}.{field}): Vault's role would refuse "
                f"it; set {field} (and the role's matching setting) to a claim the token has: "
                f"{', '.join(sorted(claims)) or 'none'}",
                spec_field=field,
            )
