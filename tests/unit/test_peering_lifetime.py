"""The peering lifetime: 15 s by default, from the flag or VAO_PEERING_LIFETIME, refused out of range."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from vault_access_operator.cli import main
from vault_access_operator.peering import DEFAULT_PEERING_LIFETIME, peering_lifetime_from_env


def test_default_is_fifteen_seconds_not_kopfs_sixty() -> None:
    assert peering_lifetime_from_env({}) == DEFAULT_PEERING_LIFETIME == 15
    assert peering_lifetime_from_env({"VAO_PEERING_LIFETIME": "30"}) == 30


@pytest.mark.parametrize(("raw", "message"), [
    ("10", "VAO_PEERING_LIFETIME must be between 11 and 3600 seconds (got 10)"),
    ("3601", "VAO_PEERING_LIFETIME must be between 11 and 3600 seconds (got 3601)"),
    ("15s", "VAO_PEERING_LIFETIME must be a whole number of seconds (got '15s')"),
])
def test_bad_environment_values_name_the_variable(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        peering_lifetime_from_env({"VAO_PEERING_LIFETIME": raw})


def test_the_flag_is_checked_before_anything_starts() -> None:
    result = CliRunner().invoke(main, ["run", "--peering", "x", "--peering-lifetime", "5"])
    assert result.exit_code == 2
    assert "--peering-lifetime must be between 11 and 3600 seconds (got 5)" in result.output
