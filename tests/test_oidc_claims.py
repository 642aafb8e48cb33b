"""Pre-flight claim checks (pure, with an injected ``now``)."""

from __future__ import annotations

import datetime
from typing import Any

import jwt
import pytest

from vault_access_operator.plugins.oidc.claims import (
    ClaimError,
    Expectations,
    audiences_of,
    check_claims,
    claim_value,
    decode_claims,
)

NOW = datetime.datetime(2030, 1, 1, 12, 0, tzinfo=datetime.UTC)
T = int(NOW.timestamp())
BASE: dict[str, Any] = {"iss": "https://issuer.example", "sub": "me", "aud": ["vault"], "exp": T + 600, "nbf": T}
WHERE = Expectations(where="spec.auth.jwt")


def problem(claims: dict[str, Any], expect: Expectations = WHERE) -> ClaimError:
    with pytest.raises(ClaimError) as caught:
        check_claims(claims, expect, NOW, "key 'jwt' of Secret ns/s")
    return caught.value


def test_good_token_passes() -> None:
    check_claims(BASE, Expectations("spec.auth.jwt", issuer="https://issuer.example/", audience="vault"), NOW, "x")


def test_expired() -> None:
    error = problem({**BASE, "exp": T - 5})
    assert "expired at 2030-01-01T11:59:55Z: replace it with a fresh one" in error.message
    assert error.spec_field is None


@pytest.mark.parametrize("left", [0, 1, 29])
def test_close_to_expiry_is_never_sent(left: int) -> None:
    assert f"in {left}s (under 30s): it is not sent" in problem({**BASE, "exp": T + left}).message


def test_thirty_seconds_left_is_enough() -> None:
    check_claims({**BASE, "exp": T + 30}, WHERE, NOW, "x")


def test_no_exp_is_left_to_vault() -> None:
    check_claims({k: v for k, v in BASE.items() if k != "exp"}, WHERE, NOW, "x")


def test_not_yet_valid_beyond_leeway() -> None:
    check_claims({**BASE, "nbf": T + 60}, WHERE, NOW, "x")  # within Vault's default 60s leeway
    assert "is not valid before 2030-01-01T12:02:00Z" in problem({**BASE, "nbf": T + 120}).message


def test_non_numeric_exp() -> None:
    assert "non-numeric 'exp' claim" in problem({**BASE, "exp": "tomorrow"}).message


@pytest.mark.parametrize("configured", ["https://issuer.example", "https://issuer.example/", "https://issuer.example//"])
def test_issuer_trailing_slashes_are_normalised(configured: str) -> None:
    check_claims({**BASE, "iss": "https://issuer.example/"}, Expectations("w", issuer=configured), NOW, "x")


def test_issuer_mismatch_names_the_field() -> None:
    expect = Expectations("spec.auth.oidc", issuer="https://oidc.eks/id/X", issuer_field="providerURL")
    error = problem(BASE, expect)
    assert error.spec_field == "providerURL"
    assert "was issued by 'https://issuer.example', not by 'https://oidc.eks/id/X' (spec.auth.oidc.providerURL)" in (
        error.message
    )
    assert "set providerURL to the token's issuer" in error.message


def test_missing_issuer() -> None:
    error = problem({k: v for k, v in BASE.items() if k != "iss"}, Expectations("w", issuer="https://a"))
    assert "issued by '(no iss claim)'" in error.message


def test_expected_audience() -> None:
    error = problem({**BASE, "aud": "other"}, Expectations("spec.auth.jwt", audience="vault"))
    assert error.spec_field == "expectedAudience"
    assert "has audiences ['other'], which do not include 'vault' (spec.auth.jwt.expectedAudience)" in error.message


def test_any_audience() -> None:
    expect = Expectations("spec.auth.jwt", any_audience=["vault", "sts"], any_audience_hint=": fix it")
    check_claims({**BASE, "aud": ["sts", "x"]}, expect, NOW, "x")
    error = problem({**BASE, "aud": ["x"]}, expect)
    assert error.message.endswith("has audiences ['x'], none of ['vault', 'sts'] (spec.auth.jwt.audiences): fix it")
    assert error.spec_field is None


def test_required_claims_by_name_and_pointer() -> None:
    claims = {**BASE, "kubernetes.io": {"namespace": "ns"}, "a/b": 1}
    required = {"groupsClaim": "/kubernetes.io/namespace", "userClaim": "sub"}
    expect = Expectations("spec.auth.jwt", required_claims=required)
    check_claims(claims, expect, NOW, "x")
    assert claim_value(claims, "/a~1b") == 1
    error = problem(BASE, Expectations("spec.auth.jwt", required_claims={"userClaim": "email"}))
    assert error.spec_field == "userClaim"
    assert "has no 'email' claim (spec.auth.jwt.userClaim)" in error.message
    assert "aud, exp, iss, nbf, sub" in error.message  # the claims it does have


def test_audiences_of() -> None:
    assert audiences_of({"aud": "a"}) == ["a"]
    assert audiences_of({"aud": ["a", "b"]}) == ["a", "b"]
    assert audiences_of({}) == []


def test_decode_never_echoes_the_token() -> None:
    token = jwt.encode(BASE, "secret-key-of-32-bytes-or-longer!!", algorithm="HS256")
    assert decode_claims(token, "x")["sub"] == "me"
    for broken in (token[:-60], token.replace(".", "", 1), "not-a-jwt", token + "." + token):
        with pytest.raises(ClaimError) as caught:
            decode_claims(broken, "key 'jwt' of Secret ns/s")
        assert "the token from key 'jwt' of Secret ns/s is not a JWT" in caught.value.message
        assert broken not in caught.value.message and token[:20] not in caught.value.message
