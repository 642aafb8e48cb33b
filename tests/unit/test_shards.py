"""Shards: which namespaced objects a deployment owns, and the flags that say so."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from vault_access_operator.cli import main
from vault_access_operator.shards import ShardSettings, shard_from_flags


def _obj(namespace: str, **labels: str) -> dict[str, object]:
    return {"metadata": {"name": "p", "namespace": namespace, "labels": labels}}


def test_no_shard_owns_everything() -> None:
    shard = shard_from_flags(None, (), (), None, {})
    assert shard == ShardSettings() and shard.cluster_scoped
    assert shard.owns(_obj("anything"))


def test_namespaces_and_labels_must_both_match() -> None:
    shard = shard_from_flags("a", ("team-*", "ops"), ("vao-shard=a",), None, {})
    assert not shard.cluster_scoped  # a named shard owns no cluster-scoped objects unless told so
    assert shard.owns(_obj("team-x", **{"vao-shard": "a"}))
    assert shard.owns(_obj("ops", **{"vao-shard": "a", "other": "x"}))
    assert not shard.owns(_obj("team-x", **{"vao-shard": "b"}))  # relabelled away
    assert not shard.owns(_obj("team-x"))
    assert not shard.owns(_obj("dev", **{"vao-shard": "a"}))


def test_disjoint_shards_never_own_the_same_object() -> None:
    a = shard_from_flags("a", (), ("vao-shard=a",), True, {})
    b = shard_from_flags("b", (), ("vao-shard=b",), None, {})
    for labels in ({"vao-shard": "a"}, {"vao-shard": "b"}, {}, {"vao-shard": "c"}):
        assert not (a.owns(_obj("ns", **labels)) and b.owns(_obj("ns", **labels)))


def test_environment_fills_what_flags_leave_out() -> None:
    env = {"VAO_SHARD": "b", "VAO_SHARD_NAMESPACES": "x, y", "VAO_SHARD_SELECTOR": "k=v,l=w",
           "VAO_SHARD_CLUSTER_SCOPED": "true"}
    shard = shard_from_flags(None, (), (), None, env)
    assert shard == ShardSettings("b", ("x", "y"), (("k", "v"), ("l", "w")), True)
    assert shard_from_flags("c", (), (), False, env).name == "c"  # the flag wins
    assert not shard_from_flags("c", (), (), False, env).cluster_scoped


@pytest.mark.parametrize(("args", "env", "message"), [
    ((None, ("x",), (), None), {}, "--shard is needed with --shard-namespace, --shard-selector or --cluster-scoped"),
    (("A_B", (), (), None), {}, "--shard: 'A_B' is not a DNS label"),
    (("a", (), ("nolabel",), None), {}, "--shard-selector: 'nolabel' is not a label key=value"),
    (("a", (), ("k!=v",), None), {}, "--shard-selector: 'k!=v' is not a label key=value"),
    ((None, (), (), None), {"VAO_SHARD": "a", "VAO_SHARD_SELECTOR": "=x"}, "VAO_SHARD_SELECTOR: '=x'"),
    ((None, (), (), None), {"VAO_SHARD": "a", "VAO_SHARD_CLUSTER_SCOPED": "yes"},
     "VAO_SHARD_CLUSTER_SCOPED must be true or false"),
])
def test_bad_settings_name_the_flag_or_variable(
        args: tuple[str | None, tuple[str, ...], tuple[str, ...], bool | None], env: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        shard_from_flags(*args, env)


def test_the_run_command_refuses_a_bad_shard_before_starting() -> None:
    result = CliRunner().invoke(main, ["run", "--shard-selector", "k=v"])
    assert result.exit_code == 2 and "--shard is needed" in result.output


def test_describe_says_what_the_shard_serves() -> None:
    shard = shard_from_flags("a", ("t-*",), ("k=v",), True, {})
    assert shard.describe() == "shard a: namespaces t-*, labels k=v, and the cluster-scoped objects"
    assert ShardSettings().describe() == "all objects (no shard)"
