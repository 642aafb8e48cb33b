"""The redactor's exact-value layer: counted values, matching at any position, cost independent of their number."""

from __future__ import annotations

import secrets

from vault_access_operator.redact import MASK, Redactor


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
