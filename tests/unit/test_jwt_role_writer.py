"""The jwt role writer (plugins/oidc/role_writer*.py): spec.jwt model, full payloads, tenancy, drift, ownership."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from vault_access_operator.plugin import BoundAccount, ConfigError, RoleBinding, TenancyError
from vault_access_operator.plugins.oidc.role_writer import JWTRoleWriter
from vault_access_operator.plugins.oidc.role_writer_config import KUBERNETES_AUDIENCE, JWTRoleConfig

WRITER = JWTRoleWriter()
OWNER = {"managed-by": "vault-access-operator", "k8s-resource": "team-a/app", "k8s-kind": "VaultRole"}
BINDING = RoleBinding(
    kind="VaultRole", namespace="team-a", name="app", vault_name="vao.jwt.team-a.app", mount="jwt",
    service_accounts=(BoundAccount("team-a", "app"),), policies=("vao.jwt.team-a.read",),
    token_ttl=None, token_max_ttl=None, ownership=OWNER,
)
CONFINED = dataclasses.replace(BINDING, confined=True)


def config(**block: Any) -> JWTRoleConfig:
    return JWTRoleConfig.model_validate(block)


def payload(binding: RoleBinding = BINDING, **block: Any) -> dict[str, Any]:
    return WRITER.payload(binding, config(**block) if block else None)


def refused(binding: RoleBinding, **block: Any) -> str:
    with pytest.raises(TenancyError) as caught:
        payload(binding, **block)
    assert caught.value.reason == "TenancyViolation" and caught.value.setting == "spec.tenancy.confinement"
    return caught.value.message


def model_error(**block: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        config(**block)
    return str(caught.value)


# --- the model: the replaced operator's field names, enums and defaults ------------------------------------

def test_defaults_are_the_replaced_operators() -> None:
    c = JWTRoleConfig()
    assert (c.user_claim, c.bound_claims_type, c.role_type, c.bound_audiences) == ("sub", "string", "jwt", None)


def test_camel_case_fields_of_the_upstream_spec() -> None:
    c = config(userClaim="email", boundAudiences=["a"], boundClaims={"x": "1"}, boundClaimsList={"y": ["2"]},
               boundClaimsType="glob", roleType="jwt")
    assert c.merged_claims() == {"x": (["1"], "jwt.boundClaims"), "y": (["2"], "jwt.boundClaimsList")}


@pytest.mark.parametrize(("block", "says"), [
    ({"boundSubject": "s", "boundClaimsList": {"a": ["b"]}}, "jwt.boundSubject and jwt.boundClaims"),
    ({"boundClaimsType": "glob"}, "jwt.boundClaimsType is glob but no jwt.boundClaims"),
    ({"boundClaimsType": "glob", "boundSubject": "x"}, "jwt.boundClaimsType is glob but no"),
    ({"boundClaimsList": {"team": []}}, "jwt.boundClaimsList['team'] lists no values"),
    ({"boundAudiences": []}, "boundAudiences"),
    ({"boundAudiences": [""]}, "jwt.boundAudiences has an empty audience"),
    ({"roleType": "oidc"}, "roleType"),
    ({"boundClaimsType": "regex"}, "boundClaimsType"),
    ({"userClaim": ""}, "userClaim"),
    ({"boundClaims": {"": "x"}}, "boundClaims"),
    ({"bogus": 1}, "bogus"),
])
def test_what_vault_would_refuse_or_binds_nobody_is_refused_naming_the_field(block: dict[str, Any], says: str) -> None:
    assert says in model_error(**block)


def test_claims_value_wins_from_the_list_field_for_a_name_in_both() -> None:
    c = config(boundClaims={"team": "a"}, boundClaimsList={"team": ["b", "c"]})
    assert c.merged_claims() == {"team": (["b", "c"], "jwt.boundClaimsList")}


# --- payloads: whole, with resets ---------------------------------------------------------------------

def test_default_is_the_single_service_accounts_subject_with_claims_reset() -> None:
    assert payload() == {
        "role_type": "jwt", "user_claim": "sub", "bound_audiences": [KUBERNETES_AUDIENCE],
        "token_policies": ["vao.jwt.team-a.read"], "bound_claims": {}, "bound_claims_type": "string",
        "bound_subject": "system:serviceaccount:team-a:app", "token_ttl": 0, "token_max_ttl": 0,
        "alias_metadata": OWNER,
        "oidc_scopes": ["vao-owner:k8s-kind=VaultRole", "vao-owner:k8s-resource=team-a/app",
                        "vao-owner:managed-by=vault-access-operator"],
    }


def test_claims_reset_the_subject_and_every_payload_has_the_same_fields() -> None:
    with_claims = payload(boundClaimsList={"/kubernetes.io/namespace": ["team-a"]}, boundClaimsType="glob")
    assert with_claims["bound_subject"] == "" and with_claims["bound_claims_type"] == "glob"
    assert with_claims["bound_claims"] == {"/kubernetes.io/namespace": ["team-a"]}
    assert set(with_claims) == set(payload()) == set(payload(boundSubject="x"))


def test_deprecated_single_value_claims_are_sent_as_lists() -> None:
    assert payload(boundClaims={"team": "a"})["bound_claims"] == {"team": ["a"]}


def test_ttls_are_sent_as_seconds_and_zero_when_left_out() -> None:
    timed = payload(dataclasses.replace(BINDING, token_ttl=600, token_max_ttl=3600))
    assert (timed["token_ttl"], timed["token_max_ttl"]) == (600, 3600)
    assert (payload()["token_ttl"], payload()["token_max_ttl"]) == (0, 0)


def test_a_ttl_longer_than_the_max_is_refused_with_the_spec_names() -> None:
    with pytest.raises(ConfigError, match=r"tokenTTL \(7200s\) is longer than tokenMaxTTL \(3600s\)"):
        payload(dataclasses.replace(BINDING, token_ttl=7200, token_max_ttl=3600))


def test_audiences_spec_then_the_connections_login_then_the_kubernetes_default() -> None:
    logged_in = dataclasses.replace(BINDING, login_audiences=("vault",))
    assert payload(logged_in)["bound_audiences"] == ["vault"]
    assert payload(logged_in, boundAudiences=["x", "y"])["bound_audiences"] == ["x", "y"]
    assert payload()["bound_audiences"] == [KUBERNETES_AUDIENCE]


def test_no_account_and_no_jwt_identity_says_what_to_set() -> None:
    with pytest.raises(ConfigError, match="binds nobody on jwt mount jwt: set serviceAccounts"):
        payload(dataclasses.replace(BINDING, service_accounts=()))


def test_several_accounts_become_a_sub_claim_of_each_subject() -> None:
    cluster = dataclasses.replace(
        BINDING, kind="VaultClusterRole", namespace=None,
        service_accounts=(BoundAccount("b", "x"), BoundAccount("a", "y")),
    )
    body = payload(cluster)
    assert body["bound_subject"] == "" and body["bound_claims_type"] == "string"
    assert body["bound_claims"] == {"sub": ["system:serviceaccount:a:y", "system:serviceaccount:b:x"]}


def test_a_cluster_roles_subject_is_its_accounts_own_namespace() -> None:
    cluster = dataclasses.replace(BINDING, kind="VaultClusterRole", namespace=None, confined=True,
                                  service_accounts=(BoundAccount("ops", "deployer"),))
    assert payload(cluster)["bound_subject"] == "system:serviceaccount:ops:deployer"
    # A cluster role is the platform team's: never confined, whatever the flag says.
    assert payload(cluster, boundSubject="anything")["bound_subject"] == "anything"


# --- tenancy -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("block", [
    {},
    {"boundSubject": "system:serviceaccount:team-a:other"},
    {"boundClaimsList": {"/kubernetes.io/namespace": ["team-a"], "team": ["x"]}},
    {"boundClaims": {"kubernetes.io/namespace": "team-a"}},
    {"boundClaimsList": {"sub": ["system:serviceaccount:team-a:*"]}, "boundClaimsType": "glob"},
    {"boundClaimsList": {"sub": ["system:serviceaccount:team-a:a", "system:serviceaccount:team-a:b"]}},
])
def test_confined_roles_may_bind_their_namespace(block: dict[str, Any]) -> None:
    payload(CONFINED, **block)


@pytest.mark.parametrize(("block", "says"), [
    ({"boundSubject": "system:serviceaccount:team-b:app"}, "jwt.boundSubject is 'system:serviceaccount:team-b:app'"),
    ({"boundSubject": "project_path:group/app"}, "jwt.boundSubject is 'project_path:group/app'"),
    ({"boundClaimsList": {"/kubernetes.io/namespace": ["team-a", "team-b"]}},
     "jwt.boundClaimsList['/kubernetes.io/namespace'] admits 'team-b'"),
    ({"boundClaims": {"kubernetes.io/namespace": "team-b"}}, "jwt.boundClaims['kubernetes.io/namespace'] admits"),
    ({"boundClaimsList": {"/kubernetes.io/namespace": ["team-*"]}, "boundClaimsType": "glob"},
     "admits glob 'team-*'"),
    ({"boundClaimsList": {"sub": ["system:serviceaccount:team-a*"]}, "boundClaimsType": "glob"},
     "jwt.boundClaimsList['sub'] admits glob 'system:serviceaccount:team-a*'"),
    ({"boundClaimsList": {"sub": ["*"]}, "boundClaimsType": "glob"}, "admits glob '*'"),
    ({"boundClaimsList": {"project_path": ["group/app"]}}, "(claims: project_path) do not pin the namespace"),
    ({"boundClaimsList": {"/kubernetes.io/namespace": ["team-a"], "sub": ["system:serviceaccount:x:y"]}},
     "jwt.boundClaimsList['sub'] admits"),
])
def test_confined_roles_may_not_reach_outside_their_namespace(block: dict[str, Any], says: str) -> None:
    message = refused(CONFINED, **block)
    assert says in message
    assert "outside namespace team-a" in message and "with a VaultClusterRole" in message
    assert "spec.tenancy.allowForeignIdentities: true" in message


def test_an_unconfined_role_binds_what_it_says() -> None:
    assert payload(boundSubject="system:serviceaccount:team-b:app")["bound_subject"].endswith("team-b:app")


# --- drift and ownership -------------------------------------------------------------------------------

def test_a_payload_has_no_differences_with_itself_and_ownership_is_not_drift() -> None:
    desired = payload()
    assert WRITER.differences(desired, desired) == []
    without_ownership = {k: v for k, v in desired.items() if k not in ("alias_metadata", "oidc_scopes")}
    assert WRITER.differences(desired, without_ownership) == []


def test_drift_names_each_changed_field() -> None:
    desired = payload(dataclasses.replace(BINDING, token_ttl=60))
    assert WRITER.differences(desired, {**desired, "token_ttl": 120, "bound_subject": "x"}) == [
        "bound_subject", "token_ttl"]
    assert WRITER.differences(desired, {**desired, "bound_claims": {"team": ["x"]}}) == ["bound_claims"]


def test_a_claim_read_back_as_one_string_equals_its_one_element_list() -> None:
    desired = payload(boundClaimsList={"team": ["x"]})
    assert WRITER.differences(desired, {**desired, "bound_claims": {"team": "x"}}) == []
    assert WRITER.differences(desired, {**desired, "bound_claims": {"team": "y"}}) == ["bound_claims"]


def test_ownership_is_read_from_alias_metadata_or_else_the_scopes() -> None:
    desired = payload()
    assert WRITER.ownership_of(desired) == OWNER
    assert WRITER.ownership_of({**desired, "alias_metadata": None}) == OWNER
    assert WRITER.ownership_of({"oidc_scopes": ["openid"]}) is None
    assert WRITER.ownership_of({}) is None


# --- tenancy, as a property: what a confined role accepts never matches another namespace's identity ------

def vault_glob(pattern: str, value: str) -> bool:
    """ryanuber/go-glob, which Vault's bound_claims_type glob uses: * matches any run of characters."""
    return re.fullmatch(".*".join(re.escape(p) for p in pattern.split("*")), value, re.S) is not None


NAMES = st.from_regex(r"[a-z][a-z0-9-]{0,6}", fullmatch=True)
#: Other namespaces, near team-a on purpose: a check that compares prefixes would let these through.
OTHERS = st.one_of(NAMES, NAMES.map(lambda n: "team-a" + n), st.sampled_from(["team", "team-", "team-b", "a"]))
#: Claim values dense around the edge: a literal head near team-a, maybe a *, a tail.
PATTERNS = st.tuples(
    st.sampled_from(["", "*", "team", "team-a", "team-a-", "system:serviceaccount:", "system:serviceaccount:team",
                     "system:serviceaccount:team-a", "system:serviceaccount:team-a:"]),
    st.sampled_from(["", "*"]), st.sampled_from(["", "x", ":x", "*", "-b", "b:x"]),
).map("".join).filter(bool)


@given(value=PATTERNS, other=OTHERS, account=NAMES, glob=st.booleans())
def test_an_accepted_sub_claim_never_admits_another_namespace(value: str, other: str, account: str,
                                                             glob: bool) -> None:
    block: dict[str, Any] = {"boundClaimsList": {"sub": [value]}}
    if glob:
        block["boundClaimsType"] = "glob"
    try:
        payload(CONFINED, **block)
    except (TenancyError, ValidationError):
        return
    subject = f"system:serviceaccount:{other}:{account}"
    if other != "team-a":
        assert not (vault_glob(value, subject) if glob else value == subject)


@given(value=PATTERNS, other=OTHERS, glob=st.booleans())
def test_an_accepted_namespace_claim_never_admits_another_namespace(value: str, other: str, glob: bool) -> None:
    block: dict[str, Any] = {"boundClaimsList": {"/kubernetes.io/namespace": [value]}}
    if glob:
        block["boundClaimsType"] = "glob"
    try:
        payload(CONFINED, **block)
    except (TenancyError, ValidationError):
        return
    if other != "team-a":
        assert not (vault_glob(value, other) if glob else value == other)
