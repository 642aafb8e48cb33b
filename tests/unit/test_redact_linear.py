"""Masking is linear in the text on any input (bounded by counting work, not by timing), and masks at
least everything the former regular expressions masked."""

from __future__ import annotations

import re
import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vault_access_operator.redact import MASK, Redactor

MB = 1_000_000
WORK_PER_CHARACTER = 32  # by construction at most ~24 (index: 1 + overflow + 4 groups + 5 spans; shapes ~12)
VALUE = "prefix00-" + secrets.token_urlsafe(48)


def _adversarial() -> dict[str, str]:
    wrapped_b64 = "\n".join(["QUJD" * 16] * (MB // 65))
    return {
        "eyJ": "eyJ" * (MB // 3),
        "eyJa.": "eyJa." * (MB // 5),
        "eyJ-segments": ("eyJ" * 300 + ".") * (MB // 901),
        "s.": "s." * (MB // 2),
        "hvs-runs": ("hvs." + "A" * 19) * (MB // 23),
        "x-vault-token": "x-vault-token:" * (MB // 14),
        "x-vault-token-spaced": "x-vault-token: " * (MB // 15),
        "signature-spaces": ("x-amz-signature:" + " " * 50 + "\"") * (MB // 67),
        "token-chars": "A" * MB,
        "near-miss": (VALUE[:-1] + "!") * (MB // len(VALUE)),
        "prefix-of-shared-windows": "prefix00-" * (MB // 9),
        "urls": "https://" * (MB // 8),
        "userinfo": ("https://user:" + "p" * 40 + " ") * (MB // 54),
        "wrapped": wrapped_b64,
        "short-words": "nonce " * (MB // 6),
    }


@pytest.fixture(scope="module")
def loaded() -> Redactor:
    """A redactor holding what a busy operator holds: many values, some sharing long prefixes, a short one."""
    redact = Redactor()
    redact.remember(VALUE)
    redact.remember("nonce")
    for index in range(500):
        redact.remember(f"prefix00-{index:04d}-{secrets.token_hex(8)}")
        redact.remember("A" * (20 + index))  # degenerate values: every window is "AAAAAAAA"... see the bound
    return redact


@pytest.mark.parametrize("name", list(_adversarial()))
def test_work_is_linear_in_the_text(name: str, loaded: Redactor) -> None:
    text = _adversarial()[name]
    fresh = Redactor()
    for redact in (fresh, loaded):
        before = redact.work.units
        redact(text)
        assert redact.work.units - before <= WORK_PER_CHARACTER * len(text), (name, redact.work.units - before)


def test_work_doubles_when_the_text_doubles(loaded: Redactor) -> None:
    """The counter is not a constant: twice the text, twice the work (quadratic would be four times)."""
    costs = []
    for size in (100_000, 200_000):
        before = loaded.work.units
        loaded("eyJ" * size + "x-vault-token:" * size)
        costs.append(loaded.work.units - before)
    assert 1.9 <= costs[1] / costs[0] <= 2.1


def test_masked_text_is_still_masked(loaded: Redactor) -> None:
    text = f"a {VALUE} b eyJhbGciOiJIUzI1.eyJzdWIiOiIx.c2lnbmF0dXJl c"
    assert loaded(text) == f"a {MASK} b {MASK} c"


# The patterns the masker had before it became linear (the JWT one is quadratic): the reference.
_OLD = [
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
    re.compile(r"\b(?:hv[sbr]|s|b|r)\.[A-Za-z0-9_-]{20,}"),
    re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
    re.compile(r"(?i)(signature=|x-amz-signature[=:]\s*|x-amz-security-token[=:]\s*)[A-Za-z0-9%/+=_-]+"),
    re.compile(r"(?i)(x-vault-token[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"),
    re.compile(r"(<(?:SecretAccessKey|SessionToken)>)[^<]+"),
    re.compile(
        r"(?i)([\"']?(?:secret_?access_?key|session_?token|secret_id|client_token)[\"']?\s*[:=]\s*[\"']?)"
        r"[^\s\"',}]+"
    ),
]
_PIECES = [
    "eyJ", "eyJhbGci", ".", "-", "_", "hvs", "hvb", "s", "b", "r", "AKIA", "ASIA", "ABCDEFGHIJKL", "0123",
    "a", "Z", "x", " ", ":", "=", "\"", "'", ",", "}", "<", ">", "%2F", "+", "/", "signature=",
    "X-Amz-Signature", "x-amz-security-token", "x-vault-token", "<SessionToken>", "<SecretAccessKey>",
    "secret_access_key", "SessionToken", "secret_id", "client_token", "\n", "é",
]


def _old_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for pattern in _OLD:
        for match in pattern.finditer(text):
            start = match.end(1) if pattern.groups else match.start()
            if match.end() > start:
                spans.append((start, match.end()))
    return spans


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=60).map("".join))
def test_the_new_masker_masks_everything_the_old_patterns_masked(text: str) -> None:
    masked: set[int] = set()
    for start, end in Redactor().masked_spans(text):
        masked.update(range(start, end))
    for start, end in _old_spans(text):
        assert set(range(start, end)) <= masked, (text, text[start:end])


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
        "xeyJhbGciOi.eyJzdWIi.sig",
        "token hvs.CAESIJ0123456789abcdefghij and b.AAAAAAAAAAAAAAAAAAAAAAAA",
        "key AKIAABCDEFGHIJKLMNOP, ASIA0123456789ABCDEF.",
        "X-Amz-Signature=abc%2F123&X-Amz-Security-Token: FwoGZXIvYXdz",
        "{\"X-Vault-Token\": \"hunter2hunter2\"}",
        "<SecretAccessKey>wJalrXUtnFEMI/K7MDENG</SecretAccessKey><SessionToken>Fwo//x</SessionToken>",
        "secret_id=abc123 client_token: 'xyz789' secretAccessKey=wJalr0K SESSION_TOKEN = t0k3n",
    ],
)
def test_examples_of_secret_shapes(text: str) -> None:
    masked = Redactor()(text)
    for start, end in _old_spans(text):
        assert text[start:end] not in masked
