"""What registering a secret costs, and that the cheaper hash still finds every registered value."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vault_access_operator import redact as redact_module
from vault_access_operator import secret_index
from vault_access_operator.redact import DEFER_FROM, MASK, Redactor
from vault_access_operator.secret_shapes import Work, secret_shapes


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _jwt() -> str:
    """A service-account token's shape: every one from the same issuer shares its header."""
    header = _b64(json.dumps({"alg": "RS256", "kid": "0f3c9a6b2e114d0c9f7a5b8e3d2c1a09"}).encode())
    claims = {"aud": ["vault"], "sub": "system:serviceaccount:ops:vault-access-operator", "jti": secrets.token_hex(16)}
    return f"{header}.{_b64(json.dumps(claims).encode())}.{_b64(secrets.token_bytes(256))}"


@pytest.fixture
def ord_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts the module's ``ord`` calls: one per character walked in Python."""
    calls = [0]

    def counting_ord(char: str) -> int:
        calls[0] += 1
        return ord(char)

    monkeypatch.setattr(secret_index, "ord", counting_ord, raising=False)
    yield calls


def test_registering_a_jwt_walks_none_of_its_characters_in_python(ord_calls: list[int]) -> None:
    # Each login registers its service-account JWT; hashing its ~6 forms a character at a time cost
    # 0.4 ms, about a tenth of the operator's CPU per login (bench/README.md, session 8).
    redact = Redactor()
    tokens = [_jwt() for _ in range(20)]
    for token in tokens:
        redact.remember(token)
    assert ord_calls[0] == 0
    text = f"login with {tokens[3]} and {_b64(tokens[11].encode())}"
    assert redact(text) == f"login with {MASK} and {MASK}"
    assert ord_calls[0] > 0  # the scan still hashes the text it looks at: the counter counts


def test_jwts_sharing_a_header_are_masked_each_and_forgotten_each() -> None:
    redact = Redactor()
    tokens = [_jwt() for _ in range(200)]
    for token in tokens:
        redact.remember(token)
    other = _jwt()  # same header and length, never registered
    text = f"{tokens[0]} {tokens[199]} {other}"
    # The exact-value layer alone (the shapes layer masks anything JWT-shaped anyway): each registered
    # token found by its hash, the unregistered one not.
    first, second = len(tokens[0]), len(tokens[0]) + 1 + len(tokens[199])
    assert redact(text) == f"{MASK} {MASK} {MASK}"  # a text this long indexes the JWTs (see DEFER_FROM)
    assert redact._index.find(text, Work()) == [(0, first), (first + 1, second)]
    for token in tokens:
        redact.forget(token)
    assert redact.indexed == 0 and redact._index.find(text, Work()) == []


_ANY_CHARACTER = st.characters(codec=None, exclude_characters="\r\n")  # line breaks are skipped while matching


@settings(max_examples=300, deadline=None)
@given(st.text(_ANY_CHARACTER, min_size=8, max_size=40), st.text(_ANY_CHARACTER, max_size=20))
def test_values_of_any_code_points_are_masked(value: str, around: str) -> None:
    # Surrogates, astral characters and NUL included: the registration hash (C) and the scan's prefix
    # hashes (Python) must agree on every code point, or a value would slip through.
    redact = Redactor()
    redact.remember(value)
    masked = redact(f"{around}{value}{around}")
    assert value not in masked and MASK in masked


@pytest.fixture
def indexed_values(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every value the secret index is given (its forms computed and hashed), in order."""
    given: list[str] = []
    add = secret_index.SecretIndex.add

    def counting_add(index: secret_index.SecretIndex, value: str) -> None:
        given.append(value)
        add(index, value)

    monkeypatch.setattr(secret_index.SecretIndex, "add", counting_add)
    return given


def test_a_jwt_is_indexed_only_once_a_text_long_enough_to_hold_it_is_masked(indexed_values: list[str]) -> None:
    # Each login registers its service-account JWT and masks only short texts (the status details): indexing
    # the JWT's forms at registration cost about 0.14 ms per login (bench/README.md, session 10).
    redact = Redactor()
    tokens = [_jwt() for _ in range(100)]
    for token in tokens:
        redact.remember(token)
    redact.remember("s.0123456789abcdefghijklmn")  # a Vault token: short, indexed at once
    assert indexed_values == ["s.0123456789abcdefghijklmn"] and redact.pending == 100
    details = "vault-access-operator-system/vault-access-operator-controller-manager"
    assert redact(details) == details and redact(f"{'x' * (DEFER_FROM - 1)}") == "x" * (DEFER_FROM - 1)
    assert len(indexed_values) == 1  # no text that short can hold a JWT
    redact.forget(tokens[0])  # forgotten before any long text: never indexed
    wrapped = "\n".join(tokens[7][i:i + 64] for i in range(0, len(tokens[7]), 64))  # a JWT wrapped over lines
    assert redact(f"login with {wrapped}.") == f"login with {MASK}."
    assert sorted(indexed_values[1:]) == sorted(tokens[1:]) and redact.pending == 0
    assert redact(_b64(tokens[42].encode())) == MASK
    assert redact._index.find(tokens[0], Work()) == []  # (the shapes layer masks anything JWT-shaped anyway)
    assert len(indexed_values) == 100  # each indexed once
    for token in tokens[1:]:
        redact.forget(token)
    redact.forget("s.0123456789abcdefghijklmn")
    assert redact.indexed == 0 and redact.pending == 0 and len(redact) == 0


def test_a_long_value_forgotten_unindexed_is_not_masked_and_one_held_twice_stays(indexed_values: list[str]) -> None:
    redact = Redactor()
    value = "k" * 10 + "\n" + secrets.token_hex(DEFER_FROM)  # line breaks do not count towards DEFER_FROM
    redact.remember(value)
    redact.remember(value)
    redact.forget(value)
    assert redact(f"[{value}]") == f"[{MASK}]" and indexed_values == [value]
    redact.forget(value)
    assert redact(f"[{value}]") == f"[{value}]" and redact.indexed == 0


def test_a_short_text_found_free_of_secret_shapes_is_not_scanned_for_them_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Every login masks its status details, the same few texts for every connection: their scans for secret
    # shapes were most of that (bench/README.md, session 10).
    scanned: list[str] = []
    plain = secret_shapes  # the function redact's module calls by this name

    def counting_shapes(text: str, work: Work) -> list[tuple[int, int]]:
        scanned.append(text)
        return plain(text, work)

    monkeypatch.setattr(redact_module, "secret_shapes", counting_shapes)
    redact = Redactor()
    details = ["vault-access-operator-system/vault-access-operator-controller-manager", "TokenRequest"]
    shaped = "client_token=abc123 and hvs." + "x" * 24
    for _ in range(100):
        assert [redact(text) for text in details] == details
        assert redact(shaped) == f"client_token={MASK} and {MASK}"  # secret-shaped: scanned each time, never kept
    assert scanned == [*details, shaped, *[shaped] * 99]
    token = "s.0123456789abcdefghijklmn"  # a value registered later is still masked in a text kept as clean
    redact.remember(token)
    assert redact(f"{details[1]} {token}") == f"{details[1]} {MASK}" and redact(details[1]) == details[1]
    long_text = "y " * DEFER_FROM
    assert redact(long_text) == long_text and redact(long_text) == long_text
    assert scanned.count(long_text) == 2  # long texts are not kept
