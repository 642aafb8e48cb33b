"""The redactor's exact-value layer: counted values, their encoded forms, short values, overlaps, URL passwords."""

from __future__ import annotations

import base64
import json
import secrets
import urllib.parse

import pytest

from vault_access_operator.redact import MASK, Redactor
from vault_access_operator.secret_index import forms


def test_values_are_masked_anywhere_and_longest_first() -> None:
    redact = Redactor()
    for value in ("abcdefgh", "abcdefgh-and-more", "zz-tail-value"):
        redact.remember(value)
    assert redact("abcdefgh-and-more|abcdefgh|xzz-tail-value") == f"{MASK}|{MASK}|x{MASK}"
    assert redact("abcdefg") == "abcdefg"  # a prefix of a value is not the value


def test_values_under_four_characters_are_never_remembered() -> None:
    redact = Redactor()
    for value in ("", "a", "ab", "abc", None):
        redact.remember(value)
    assert len(redact) == 0 and redact.indexed == 0 and redact("a ab abc") == "a ab abc"


def test_short_values_are_masked_only_as_whole_words() -> None:
    redact = Redactor()
    redact.remember("1234567")
    redact.remember("pass")
    assert redact("1234567") == MASK
    assert redact("nonce=1234567, n 1234567\n") == f"nonce={MASK}, n {MASK}\n"
    assert redact("x12345678 a1234567 password passes bypass") == "x12345678 a1234567 password passes bypass"
    assert redact("(pass) pass") == f"({MASK}) {MASK}"


def test_a_shared_value_stays_masked_until_its_last_holder_forgets_it() -> None:
    redact = Redactor()
    redact.remember("shared-secret-value")
    redact.remember("shared-secret-value")  # two connections read the same Secret
    redact.forget("shared-secret-value")
    assert redact("x shared-secret-value") == f"x {MASK}"
    redact.forget("shared-secret-value")
    assert redact("x shared-secret-value") == "x shared-secret-value"
    assert len(redact) == 0
    redact.forget("never-remembered")  # harmless


def test_many_values_same_prefix() -> None:
    redact = Redactor()
    values = [f"prefix00-{i:04d}-{secrets.token_hex(4)}" for i in range(2000)]
    for value in values:
        redact.remember(value)
    text = f"one {values[7]} two {values[1999]} and prefix00-not-a-value"
    assert redact(text) == f"one {MASK} two {MASK} and prefix00-not-a-value"


def _wrapped(text: str, width: int) -> str:
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))


SECRET = "Tr0ub4dor&3 / p@ss+wörd=" + "x9" * 40  # long enough to wrap; characters that every encoding changes


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(SECRET, id="raw"),
        pytest.param(urllib.parse.quote(SECRET), id="quote"),
        pytest.param(urllib.parse.quote(SECRET, safe=""), id="quote-no-safe"),
        pytest.param(urllib.parse.quote_plus(SECRET), id="quote_plus"),
        pytest.param(base64.b64encode(SECRET.encode()).decode(), id="base64"),
        pytest.param(base64.b64encode(SECRET.encode()).decode().rstrip("="), id="base64-unpadded"),
        pytest.param(base64.urlsafe_b64encode(SECRET.encode()).decode(), id="base64url"),
        pytest.param(base64.urlsafe_b64encode(SECRET.encode()).decode().rstrip("="), id="base64url-unpadded"),
        pytest.param(json.dumps(SECRET)[1:-1], id="json"),
        pytest.param(json.dumps(SECRET, ensure_ascii=False)[1:-1], id="json-utf8"),
        pytest.param(_wrapped(SECRET, 64), id="wrapped-64"),
        pytest.param(_wrapped(base64.b64encode(SECRET.encode()).decode(), 76), id="base64-wrapped-76"),
        pytest.param(_wrapped(base64.b64encode(SECRET.encode()).decode(), 64).replace("\n", "\r\n"), id="pem-crlf"),
    ],
)
def test_a_registered_value_is_masked_in_the_forms_it_travels_in(form: str) -> None:
    redact = Redactor()
    redact.remember(SECRET)
    assert redact(f"before <{form}> after") == f"before <{MASK}> after"


def test_derived_forms_are_forgotten_with_their_value() -> None:
    redact = Redactor()
    redact.remember(SECRET)
    redact.remember(SECRET)
    held = redact.indexed
    assert held == len(forms(SECRET)) >= 6  # raw, URL-encoded, JSON-escaped, base64 (equal ones counted once)
    redact.forget(SECRET)
    assert redact.indexed == held
    redact.forget(SECRET)
    assert redact.indexed == 0 and len(redact) == 0
    assert redact(base64.b64encode(SECRET.encode()).decode()) == base64.b64encode(SECRET.encode()).decode()


def test_two_values_with_a_common_form_are_each_counted() -> None:
    redact = Redactor()
    redact.remember("a%2Fb-c-d-e-f")  # is also quote("a/b-c-d-e-f", safe="")
    redact.remember("a/b-c-d-e-f")
    redact.forget("a/b-c-d-e-f")
    assert redact("x a%2Fb-c-d-e-f") == f"x {MASK}"
    redact.forget("a%2Fb-c-d-e-f")
    assert redact.indexed == 0


def test_overlapping_values_are_both_fully_masked() -> None:
    redact = Redactor()
    redact.remember("abcdefgh12")
    redact.remember("gh12345678")
    assert redact("x abcdefgh12345678 y") == f"x {MASK} y"
    assert redact("abcdefgh12|gh12345678") == f"{MASK}|{MASK}"


def test_a_password_in_a_url_is_masked_wherever_it_appears() -> None:
    redact = Redactor()
    text = "cannot reach https://admin:pw@vault.example.com:8200/v1 (also http://u:p%40ss:w@h)"
    assert redact(text) == f"cannot reach https://admin:{MASK}@vault.example.com:8200/v1 (also http://u:{MASK}@h)"
    assert redact("https://vault.example.com:8200/v1/sys/health") == "https://vault.example.com:8200/v1/sys/health"


@pytest.mark.parametrize(
    "text",
    [
        "Vault at https://vault.example.com:8200 is sealed: unseal it",
        "spec.auth.kubernetes.role is required; spec.tls.caSecretRef.key must match ^[-._a-zA-Z0-9]+$",
        "the token's audiences are [vault]: make the role's bound_audiences include one of them",
        "session token expired, secret id missing, signature does not match",
        "permission denied for s.a.b.c and hvs.short and AKIA-like words",
    ],
)
def test_ordinary_messages_are_left_alone(text: str) -> None:
    redact = Redactor()
    for value in ("vault", "role", "session"):  # short values are whole words only; these are not registered words here
        redact.remember(value + "-not-in-text")
    assert redact(text) == text
