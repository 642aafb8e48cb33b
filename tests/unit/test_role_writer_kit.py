"""The role writer check of the test kit (core/testing/role_writer.py): the shipped writers pass it, and
each way of breaking the contract is reported in words a plugin author can act on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pytest

from vault_access_operator.plugin import RoleBinding, RoleWriter, SpecModel
from vault_access_operator.plugins.oidc import jwt as jwt_plugin
from vault_access_operator.plugins.oidc.role_writer import JWTRoleWriter
from vault_access_operator.testing.role_writer import check_role_writer

JWT_SAMPLES: list[dict[str, Any]] = [
    {},
    {"boundSubject": "system:serviceaccount:team-a:other"},
    {"boundClaimsList": {"/kubernetes.io/namespace": ["team-a"]}, "boundClaimsType": "glob",
     "boundAudiences": ["vault"]},
]


def test_the_jwt_writer_keeps_the_contract() -> None:
    check_role_writer(JWTRoleWriter, JWT_SAMPLES, plugin=jwt_plugin)


class Block(SpecModel):
    principals: list[str]


class Good(RoleWriter[Block]):
    family: ClassVar[str] = "demo"
    login_methods: ClassVar[tuple[str, ...]] = ("demo",)
    spec_key: ClassVar[str | None] = "demo"
    config_model = Block

    def payload(self, binding: RoleBinding, config: Block | None) -> dict[str, Any]:
        return {
            "principals": list(config.principals) if config else [],
            "token_policies": list(binding.policies),
            "token_ttl": binding.token_ttl or 0,
            "token_max_ttl": binding.token_max_ttl or 0,
            "alias_metadata": dict(binding.ownership),
        }


GOOD_SAMPLES = [{"principals": ["a"]}]


def failures_of(cls: type, samples: list[dict[str, Any]] = GOOD_SAMPLES) -> str:
    with pytest.raises(AssertionError) as caught:
        check_role_writer(cls, samples)
    return str(caught.value)


def test_a_good_writer_passes() -> None:
    check_role_writer(Good, GOOD_SAMPLES)


def test_partial_payloads_are_reported() -> None:
    class LeavesOutTTL(Good):
        def payload(self, binding: RoleBinding, config: Block | None) -> dict[str, Any]:
            body = super().payload(binding, config)
            return {k: v for k, v in body.items() if v not in (0, [])}

    assert "must still be sent, with its reset value" in failures_of(LeavesOutTTL)


def test_ttls_not_in_seconds_are_reported() -> None:
    class TTLText(Good):
        def payload(self, binding: RoleBinding, config: Block | None) -> dict[str, Any]:
            return {**super().payload(binding, config), "token_ttl": f"{binding.token_ttl or 0}s"}

    assert "a TTL of 600s is not in the payload as the integer 600" in failures_of(TTLText)


def test_a_stale_default_for_a_left_out_ttl_is_reported() -> None:
    class DefaultTTL(Good):
        def payload(self, binding: RoleBinding, config: Block | None) -> dict[str, Any]:
            return {**super().payload(binding, config), "token_max_ttl": binding.token_max_ttl or 86400}

    assert "token_max_ttl is 86400 when the spec leaves it out" in failures_of(DefaultTTL)


def test_blind_differences_and_lost_ownership_are_reported() -> None:
    class Blind(Good):
        def differences(self, desired: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
            return []

        def ownership_of(self, actual: Mapping[str, Any]) -> Mapping[str, str] | None:
            return None

    text = failures_of(Blind)
    assert "differences() sees no change" in text and "ownership_of(payload)" in text


def test_loose_models_and_bad_attributes_are_reported() -> None:
    class Loose(SpecModel, extra="allow", strict=False):
        principals: list[str]

    class LooseWriter(Good):
        config_model = Loose  # type: ignore[assignment]

    assert "accepts unknown fields" in failures_of(LooseWriter)

    class Nameless(Good):
        family: ClassVar[str] = "Not A Family"
        spec_key: ClassVar[str | None] = None

    text = failures_of(Nameless)
    assert "must be a lower-case name" in text and "spec_key and config_model go together" in text


def test_a_refused_sample_and_a_missing_hook_are_reported() -> None:
    assert "refuses the sample config" in failures_of(Good, [{"principals": "a"}])
    with pytest.raises(AssertionError, match="vao_role_writers hook does not return the class"):
        check_role_writer(Good, GOOD_SAMPLES, plugin=jwt_plugin)


def test_the_kubernetes_writer_keeps_the_contract() -> None:
    from vault_access_operator.plugins import kubernetes as kubernetes_plugin
    from vault_access_operator.plugins.kubernetes.role import KubernetesRoleWriter

    check_role_writer(KubernetesRoleWriter, plugin=kubernetes_plugin)
