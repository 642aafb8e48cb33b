"""Tenancy rules (core/access/tenancy.py): each bypass of UPSTREAM-ACCESS.md §8 (#1, #4; details in §1.3) as
its own test, accepted and refused examples with their messages, and properties checked with a small matcher
of Vault's ACL path semantics (``+`` = one segment, ``*`` = glob only as the last character)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from vault_access_operator.access.tenancy import (
    FLAG_CONFINEMENT,
    KV2_SUBPATHS,
    SYSTEM_PATHS,
    PolicyScope,
    TenancySettings,
    check_namespace_allowed,
    check_policy_rules,
    confinement_override,
    may_reach_prefix,
    parse_confinement,
    tenancy_for,
)
from vault_access_operator.app import OperatorConfig
from vault_access_operator.cli import main
from vault_access_operator.errors import Reason, TenancyError
from vault_access_operator.models import Confinement, TenancySpec, VaultConnectionSpec

from .test_generated_files import crd_schema

SHAPE = ("a confined path has the shape <mount>/<namespace>/... or, for KV v2, "
         "<mount>/data|metadata|delete|undelete|destroy/<namespace>/... "
         "(refused by the VaultConnection's spec.tenancy.confinement=namespace)")


@dataclasses.dataclass(frozen=True)
class Rule:
    path: str
    capabilities: Sequence[str] = ("read",)


def tenancy_of(**spec: object) -> TenancySettings:
    return tenancy_for(TenancySpec.model_validate(spec))


CONFINED = tenancy_of(confinement="namespace")


def refusal(paths: Sequence[str], tenancy: TenancySettings = CONFINED, namespace: str = "team-a",
            capabilities: Sequence[str] = ("read",)) -> TenancyError:
    with pytest.raises(TenancyError) as caught:
        check_policy_rules([Rule(p, capabilities) for p in paths], PolicyScope(namespace), tenancy)
    assert caught.value.reason == Reason.TENANCY_VIOLATION == "TenancyViolation"  # type: ignore[comparison-overlap]
    assert caught.value.retryable is False
    return caught.value


def accepted(paths: Sequence[str], tenancy: TenancySettings = CONFINED, namespace: str = "team-a") -> None:
    check_policy_rules([Rule(p) for p in paths], PolicyScope(namespace), tenancy)


# --- §8 #1: a tenant writes `path "*"` with sudo; no operator setting could stop it -------------------------

def test_bypass_1_tenant_wildcard_sudo_policy_refused_by_confinement() -> None:
    error = refusal(["*"], capabilities=["sudo", "create", "read", "update", "delete", "list"])
    assert error.rule_index == 0 and error.setting == "spec.tenancy.confinement"
    assert str(error) == f"spec.rules[0].path '*': the path has no segment for the namespace 'team-a'; {SHAPE}"


def test_bypass_1_sudo_refused_by_the_capability_allow_list() -> None:
    tenancy = tenancy_of(allowedCapabilities=["create", "read", "update", "delete", "list"])
    error = refusal(["secret/data/{{namespace}}/*", "secret/data/{{namespace}}/x"], tenancy,
                    capabilities=["read", "sudo"])
    assert error.rule_index == 0 and error.setting == "spec.tenancy.allowedCapabilities"
    assert str(error) == ("spec.rules[0] (path 'secret/data/{{namespace}}/*') grants sudo, which "
                          "the VaultConnection's spec.tenancy.allowedCapabilities does not list "
                          "(create, delete, list, read, update); "
                          "remove it")


def test_bypass_1_system_paths_refused_by_denied_prefixes_even_through_globs() -> None:
    tenancy = tenancy_of(deniedPathPrefixes=["sys/", "auth/", "identity/"])
    for path in ("*", "s*", "+/policies/acl/*", "auth/kubernetes/role/x", "identity/*", "{{identity.entity.name}}/x"):
        error = refusal([path], tenancy)
        assert error.setting == "spec.tenancy.deniedPathPrefixes" and error.rule_index == 0
    assert str(refusal(["secret/*", "+/policies/acl/*"], tenancy)) == (
        "spec.rules[1].path '+/policies/acl/*' can reach paths under 'sys/', which the VaultConnection's "
        "spec.tenancy.deniedPathPrefixes refuses")


def test_bypass_1_the_tenant_cannot_switch_the_operator_override_off() -> None:
    # enforceNamespaceBoundary was the tenant's own switch; the override is the operator's, on every connection.
    tenancy = tenancy_for(TenancySpec(confinement="none"), Confinement.NAMESPACE)
    error = refusal(["secret/data/*"], tenancy)
    assert error.setting == FLAG_CONFINEMENT
    assert str(error).endswith("(refused by --tenancy-confinement (env VAO_TENANCY_CONFINEMENT)=namespace)")
    assert tenancy_for(None, Confinement.NAMESPACE).confinement is Confinement.NAMESPACE
    assert tenancy_for(TenancySpec(confinement="namespace"), Confinement.NONE).confinement is Confinement.NAMESPACE


# --- §8 #4 / §1.3: the boundary check was bypassable even when enabled -------------------------------------

def test_bypass_4_plus_segment_before_the_namespace() -> None:
    assert str(refusal(["+/data/{{namespace}}/*"])) == (
        f"spec.rules[0].path '+/data/{{{{namespace}}}}/*': a + segment before the namespace matches other "
        f"namespaces' paths; {SHAPE}")
    assert "a + segment in the namespace's place" in str(refusal(["secret/subkeys/+/x"], namespace="x"))
    for path in ("secret/data/+/{{namespace}}/*", "secret/+/{{namespace}}/*"):  # the + takes the namespace's place
        assert "a + segment in the namespace's place matches every namespace" in str(refusal([path]))


def test_bypass_4_glob_right_after_the_namespace() -> None:
    assert str(refusal(["secret/data/{{namespace}}*"])) == (
        f"spec.rules[0].path 'secret/data/{{{{namespace}}}}*': a glob right after the namespace also matches "
        f"namespaces such as team-a-other; {SHAPE}")


def test_bypass_4_foreign_prefix() -> None:
    assert str(refusal(["secret/data/other-team/{{namespace}}"])) == (
        f"spec.rules[0].path 'secret/data/other-team/{{{{namespace}}}}': segment 3 is 'other-team', outside the "
        f"namespace: it must be 'team-a' ({{{{namespace}}}}); {SHAPE}")
    assert "segment 2 is 'team-b'" in str(refusal(["kv/team-b/*"]))


def test_bypass_4_namespace_in_the_mount_place() -> None:
    assert "the namespace must follow a mount" in str(refusal(["{{namespace}}/*"]))


@pytest.mark.parametrize("namespace", sorted(SYSTEM_PATHS))
def test_bypass_4_namespace_named_like_a_vault_system_path(namespace: str) -> None:
    error = refusal(["{{namespace}}/*"], namespace=namespace)
    assert error.rule_index is None
    assert str(error) == (f"namespace {namespace!r} is named like Vault's {namespace}/ path: confined policies are "
                          "refused in it (refused by the VaultConnection's spec.tenancy.confinement=namespace); "
                          "use a namespace with another name")


@pytest.mark.parametrize("namespace", ["config", "creds", "issue", "keys"])
def test_bypass_4_namespace_named_like_an_engine_endpoint(namespace: str) -> None:
    # kv/config (the mount's settings), database/creds/*, pki/issue/*, transit/keys/*: every mount's endpoint
    error = refusal(["secret/{{namespace}}/*"], namespace=namespace)
    assert str(error).startswith(f"namespace {namespace!r} is named like a Vault endpoint (<mount>/{namespace}/): ")
    accepted(["secret/{{namespace}}/*"], tenancy_of(), namespace)  # without confinement, as the replaced operator


def test_bypass_4_system_mount() -> None:
    assert "sys/ is Vault's own path, not a tenant's mount" in str(refusal(["sys/{{namespace}}/*"]))
    assert "auth/ is Vault's own path" in str(refusal(["auth/data/{{namespace}}"]))


def test_bypass_4_dot_dot_segment() -> None:
    assert str(refusal(["secret/data/{{namespace}}/../other/*"])) == (
        f"spec.rules[0].path 'secret/data/{{{{namespace}}}}/../other/*': a . or .. segment is refused; {SHAPE}")
    assert "a . or .. segment is refused" in str(refusal(["secret/./{{namespace}}/*"]))


def test_empty_segments_cannot_shift_the_namespaces_place() -> None:
    for path in ("/secret/{{namespace}}/*", "secret//{{namespace}}/*", "secret/data//{{namespace}}"):
        assert "an empty segment (a leading / or //) is refused" in str(refusal([path]))
    accepted(["secret/data/{{namespace}}/"])  # a trailing / names the folder


def test_bypass_4_templates_and_name_before_or_in_place_of_the_namespace() -> None:
    assert "a glob or template in the namespace's place" in str(refusal(["secret/data/{{identity.entity.name}}/*"]))
    assert "a glob or template before the namespace" in str(refusal(["{{name}}/data/{{namespace}}/*"]))


def test_bypass_4_namespace_named_like_a_kv2_subpath_cannot_claim_the_whole_mount() -> None:
    refusal(["secret/data/*"], namespace="data")  # <mount>/data/... is KV v2: the namespace is the next segment
    accepted(["secret/data/{{namespace}}/*"], namespace="data")


def test_the_rule_index_names_the_first_refused_rule() -> None:
    error = refusal(["secret/data/{{namespace}}/*", "kv/{{namespace}}/x", "secret/data/*"])
    assert error.rule_index == 2 and str(error).startswith("spec.rules[2].path 'secret/data/*'")


# --- accepted ------------------------------------------------------------------------------------------------

def test_confined_paths_accepted() -> None:
    accepted([f"secret/{sub}/{{{{namespace}}}}/*" for sub in sorted(KV2_SUBPATHS)] + [
        "secret/data/{{namespace}}", "kv/{{namespace}}/+/config", "kv/{{namespace}}/{{name}}/*",
        "secret/data/{{namespace}}/{{identity.entity.name}}/*", "kv/team-a/x", "team-a/team-a/*"])


def test_default_settings_keep_the_replaced_operators_behaviour() -> None:
    default = tenancy_for(None)
    assert default == TenancySettings() and default.confinement is Confinement.NONE
    accepted(["*", "secret/data/+/{{namespace}}/*", "sys/policies/acl/*", "secret/data/{{namespace}}*"], default)
    check_policy_rules([Rule("*", ["sudo"])], PolicyScope("team-a"), default)


def test_cluster_policies_are_not_confined() -> None:
    strict = tenancy_of(confinement="namespace", allowedNamespaces=[], allowedCapabilities=["read"],
                      deniedPathPrefixes=["sys/"])
    check_policy_rules([Rule("sys/*", ["sudo"])], PolicyScope(None), strict)


def test_deny_is_always_allowed() -> None:
    check_policy_rules([Rule("secret/data/{{namespace}}/x", ["deny"])], PolicyScope("team-a"),
                       tenancy_of(allowedCapabilities=[]))


# --- which namespaces may use a connection --------------------------------------------------------------------

def test_allowed_namespaces_are_globs() -> None:
    tenancy = tenancy_of(allowedNamespaces=["team-*", "platform"])
    check_namespace_allowed(tenancy, "team-a")
    check_namespace_allowed(tenancy, "platform")
    with pytest.raises(TenancyError) as caught:
        check_namespace_allowed(tenancy, "other")
    assert caught.value.setting == "spec.tenancy.allowedNamespaces"
    assert str(caught.value) == ("namespace 'other' may not use this VaultConnection: its "
                                 "spec.tenancy.allowedNamespaces lists team-*, platform; ask the platform team to "
                                 "add it, or use another connection")
    assert "lists none" in str(refusal(["x"], tenancy_of(allowedNamespaces=[]), "team-a"))
    check_namespace_allowed(tenancy_for(None), "anything")


# --- the spec field and the override --------------------------------------------------------------------------

def test_spec_tenancy_is_optional_and_strict() -> None:
    base = {"address": "https://vault:8200", "auth": {"kubernetes": {"role": "r"}}}
    assert VaultConnectionSpec.model_validate(base).tenancy is None
    spec = VaultConnectionSpec.model_validate({**base, "tenancy": {
        "allowedNamespaces": ["team-*"], "confinement": "namespace", "allowedCapabilities": ["read", "list"],
        "deniedPathPrefixes": ["sys/", "auth/"]}})
    assert spec.tenancy is not None and spec.tenancy.confinement == "namespace"
    for wrong in ({"confinement": "strict"}, {"allowedCapabilities": ["root"]}, {"deniedPathPrefixes": ["sys/*"]},
                  {"deniedPathPrefixes": ["+/x"]}, {"allowedNamespaces": ["Team"]}, {"enforce": True}):
        with pytest.raises(ValidationError):
            VaultConnectionSpec.model_validate({**base, "tenancy": wrong})


def test_the_crd_checks_spec_tenancy_as_the_model_does() -> None:
    schema = crd_schema()
    base = {"address": "https://vault:8200", "auth": {"kubernetes": {"role": "r"}}}
    good = {"allowedNamespaces": ["team-*"], "confinement": "namespace", "allowedCapabilities": ["read"],
            "deniedPathPrefixes": ["sys/", "auth/"]}
    jsonschema.validate({"spec": {**base, "tenancy": good}}, schema)
    jsonschema.validate({"spec": {**base, "tenancy": {}}}, schema)
    for wrong in ({"confinement": "strict"}, {"allowedCapabilities": ["root"]}, {"deniedPathPrefixes": ["sys/*"]},
                  {"allowedNamespaces": ["Team"]}):  # an unknown key is pruned by the API server, refused by the model
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"spec": {**base, "tenancy": wrong}}, schema)


def test_parse_confinement_names_the_setting() -> None:
    assert parse_confinement(" Namespace ", "VAO_TENANCY_CONFINEMENT") is Confinement.NAMESPACE
    with pytest.raises(ValueError) as caught:
        parse_confinement("strict", "VAO_TENANCY_CONFINEMENT")
    assert str(caught.value) == "VAO_TENANCY_CONFINEMENT: 'strict' is not a confinement; use none or namespace"


def test_the_override_comes_from_the_flag_else_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"VAO_TENANCY_CONFINEMENT": "namespace"}
    assert confinement_override(None, {}) is None
    assert confinement_override(None, {"VAO_TENANCY_CONFINEMENT": " "}) is None
    assert confinement_override(None, env) is Confinement.NAMESPACE
    assert confinement_override("none", env) is Confinement.NONE  # the flag replaces the env var
    monkeypatch.setenv("VAO_TENANCY_CONFINEMENT", "namespace")
    assert OperatorConfig.from_env().tenancy_confinement is Confinement.NAMESPACE
    result = CliRunner().invoke(main, ["run"], env={"VAO_TENANCY_CONFINEMENT": "strict"})
    assert result.exit_code == 2 and "VAO_TENANCY_CONFINEMENT: 'strict' is not a confinement" in result.output
    result = CliRunner().invoke(main, ["run", "--tenancy-confinement", "strict"])
    assert result.exit_code == 2 and "'strict' is not one of 'none', 'namespace'" in result.output


# --- properties under Vault's ACL path semantics ---------------------------------------------------------------

def vault_matches(pattern: str, path: str) -> bool:
    """Vault's ACL matching: ``*`` as the last character is a prefix glob; a ``+`` segment is any one segment."""
    glob = pattern.endswith("*")
    body = pattern[:-1] if glob else pattern
    wanted, given_ = body.split("/"), path.split("/")
    if len(given_) < len(wanted) or (not glob and len(given_) != len(wanted)):
        return False
    for index, segment in enumerate(wanted):
        last = index == len(wanted) - 1
        if segment == "+":
            continue
        if glob and last:
            return "/".join(given_[index:]).startswith(segment)
        if segment != given_[index]:
            return False
    return True


def inside(path: str, namespace: str) -> bool:
    segments = path.split("/")
    position = 2 if len(segments) > 1 and segments[1] in KV2_SUBPATHS else 1
    return len(segments) > position and segments[0] not in SYSTEM_PATHS and segments[position] == namespace


NAMES = ["team-a", "team-a-evil", "data", "sys", "x"]
PATTERN_SEGMENTS = ["{{namespace}}", "+", "*", "{{namespace}}*", "data", "sys", "x", "..", ""]


@st.composite
def pattern_and_match(draw: st.DrawFn) -> tuple[str, str, str]:
    """A rule path, a namespace, and a request path that the filled-in rule matches."""
    namespace = draw(st.sampled_from(["team-a", "data"]))
    pattern = "/".join(draw(st.lists(st.sampled_from(PATTERN_SEGMENTS), min_size=1, max_size=4)))
    pattern += draw(st.sampled_from(["", "*", "/*"]))
    filled = pattern.replace("{{namespace}}", namespace)
    glob = filled.endswith("*")
    segments = (filled[:-1] if glob else filled).split("/")
    request = "/".join(draw(st.sampled_from(NAMES)) if s == "+" else s for s in segments)
    if glob:
        request += draw(st.sampled_from(["", "-evil", "/x", "-b/secret", "x/y"]))
    return pattern, namespace, request


@settings(max_examples=300)
@given(pattern_and_match())
def test_no_accepted_confined_path_matches_outside_the_namespace(case: tuple[str, str, str]) -> None:
    pattern, namespace, request = case
    filled = pattern.replace("{{namespace}}", namespace)
    assert vault_matches(filled, request)  # the generator is right about Vault's semantics
    try:
        check_policy_rules([Rule(pattern)], PolicyScope(namespace), CONFINED)
    except TenancyError:
        return
    assert inside(request, namespace), f"{pattern!r} accepted for {namespace!r} yet matches {request!r}"


@given(pattern_and_match(), st.sampled_from(["sys/", "auth/", "secret/data/team-a-evil/", "x"]))
def test_a_path_that_cannot_reach_a_denied_prefix_matches_nothing_under_it(
    case: tuple[str, str, str], prefix: str
) -> None:
    pattern, namespace, request = case
    if not may_reach_prefix(pattern.replace("{{namespace}}", namespace), prefix):
        assert not request.startswith(prefix)


def test_the_effective_settings_are_worked_out_once_per_connection_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every pass of every object asks (1.5 passes per object in an initial sync); working the settings out anew
    # built a TenancySpec for a connection with none, an enum and the settings each time.
    from vault_access_operator.access import tenancy as tenancy_module

    built: list[TenancySettings] = []

    def counted(**fields: object) -> TenancySettings:
        built.append(TenancySettings(**fields))  # type: ignore[arg-type]
        return built[-1]

    monkeypatch.setattr(tenancy_module, "TenancySettings", counted)
    monkeypatch.setattr(tenancy_module, "_EFFECTIVE", {}, raising=False)  # none worked out by earlier tests
    spec = TenancySpec(confinement="namespace", allowed_namespaces=["team-*"])
    for _ in range(100):
        assert tenancy_for(spec).allowed_namespaces == ("team-*",)
        assert tenancy_for(None).confinement is Confinement.NONE
        assert tenancy_for(None, Confinement.NAMESPACE).confinement_setting == FLAG_CONFINEMENT
    assert len(built) == 3  # before: 300
    edited = TenancySpec(confinement="none", allowed_namespaces=["team-*"])  # an edited connection: a new spec
    assert tenancy_for(edited).confinement is Confinement.NONE and len(built) == 4
    assert tenancy_for(spec).confinement is Confinement.NAMESPACE and len(built) == 4
