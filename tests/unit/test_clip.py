"""Clipping outside text before it reaches a message."""

from __future__ import annotations

import pydantic
import pytest

from vault_access_operator.clip import clip
from vault_access_operator.errors import ConfigError
from vault_access_operator.registry import load_providers
from vault_access_operator.validation import validate_spec


def test_short_text_is_unchanged() -> None:
    assert clip("x" * 2048) == "x" * 2048
    assert clip("") == ""


def test_long_text_keeps_its_head_and_counts_the_rest() -> None:
    words = "word " * 1000  # 5000 characters
    clipped = clip(words, 100)
    assert clipped == "word " * 20 + "… (4900 more characters)"


def test_a_word_cut_by_the_limit_is_dropped_whole() -> None:
    text = "Vault said: " + "hvs." + "A" * 5000
    assert clip(text, 100) == "Vault said: … (5004 more characters)"
    assert clip("A" * 5000, 100) == "… (5000 more characters)"  # one word: nothing of it shown


def test_spec_text_may_be_cut_mid_word() -> None:
    assert clip("eyJ" * 1000, 200, whole_words=False) == ("eyJ" * 67)[:200] + "… (2800 more characters)"


def test_a_surrogate_pair_is_never_split() -> None:
    text = "a" * 99 + "\ud83d\ude00" + "b" * 50  # a pair as two code points (from surrogatepass decoding)
    clipped = clip(text, 100, whole_words=False)
    assert clipped == "a" * 99 + "… (52 more characters)"


def test_unknown_field_names_of_any_length_give_a_short_message() -> None:
    registry = load_providers()
    name = "eyJ" * 40_000
    with pytest.raises(ConfigError) as caught:
        validate_spec({"address": "https://v:8200", "auth": {"kubernetes": {"role": "r", name: 1}}}, registry)
    assert caught.value.message.endswith("...(120000 characters) is not a known field")
    assert len(caught.value.message) < 400
    with pytest.raises(ConfigError) as unknown:  # a method name must be a short name: refused before lookup
        validate_spec({"address": "https://v:8200", "auth": {name: {"role": "r"}}}, registry)
    assert len(unknown.value.message) < 500


def test_only_the_first_problems_are_listed() -> None:
    registry = load_providers()
    block = {"role": "r", **{f"field{index}-" + "x" * 500: 1 for index in range(1000)}}
    with pytest.raises(ConfigError) as caught:
        validate_spec({"address": "https://v:8200", "auth": {"kubernetes": block}}, registry)
    assert caught.value.message.endswith("; and 990 more problems")
    assert len(caught.value.message) < 8 * 300


def test_pydantic_is_what_echoes_the_names() -> None:
    """The reason clipping is needed: pydantic puts an unknown field's full name in the error location."""

    class Model(pydantic.BaseModel, extra="forbid"):
        pass

    with pytest.raises(pydantic.ValidationError) as caught:
        Model.model_validate({"y" * 10_000: 1})
    assert caught.value.errors()[0]["loc"] == ("y" * 10_000,)
