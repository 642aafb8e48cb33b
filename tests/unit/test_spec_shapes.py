"""Input shapes (issue 12): names, Secret keys, mount paths, addresses, lengths, tls with http, durations.

Each rule is checked twice: the models refuse the value with a message that says what to fix, and the
generated CRD schema refuses it too (so the API server does, before the operator ever sees it).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.test_generated_files import cel_failures, crd_schema
from vault_access_operator.durations import DURATION_PATTERN, parse_duration
from vault_access_operator.errors import ConfigError
from vault_access_operator.fields import MOUNT_PATH_PATTERN, PATTERN_HELP
from vault_access_operator.plugin import AuthContext, AuthProvider, LoginRequest, SpecModel
from vault_access_operator.registry import load_providers
from vault_access_operator.validation import validate_spec

REGISTRY = load_providers()
HTTPS = "https://vault.example.com:8200"
NAME_HELP = "must be a Kubernetes object name (DNS-1123 subdomain)"
NS_HELP = "must be a Kubernetes namespace (DNS-1123 label)"
KEY_HELP = "must be a Secret key: letters, digits, -, _ and . only"
SA_HELP = "must be NAME or NAMESPACE/NAME of a service account"
MOUNT_HELP = "must be a Vault mount path: letters, digits, _ and - in segments separated by / or ."
ROLE_HELP = "must be a Vault role name"
USERINFO = ("must not contain a user name or password; put credentials in spec.auth (the operator logs in with "
            "them), never in the address")
QUERY = "must not have a query (?) or fragment (#)"
TLS_HTTP = "spec.tls is set but spec.address is http://: use https:// or remove spec.tls"


def k8s(**fields: Any) -> dict[str, Any]:
    return {"address": HTTPS, "auth": {"kubernetes": {"role": "operator", **fields}}}


def jwt_secret(**ref: Any) -> dict[str, Any]:
    return {"address": HTTPS, "auth": {"jwt": {"role": "r", "jwtSecretRef": {"name": "s", "key": "k", **ref}}}}


MOUNT_HELP_FULL = PATTERN_HELP[MOUNT_PATH_PATTERN]


def refused_by(spec: dict[str, Any], registry: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        validate_spec(spec, registry)
    return caught.value.message


def refused(spec: dict[str, Any]) -> str:
    return refused_by(spec, REGISTRY)


def schema_refuses(spec: dict[str, Any]) -> bool:
    obj = {"apiVersion": "vault.platform.io/v1alpha1", "kind": "VaultConnection", "metadata": {"name": "x"},
           "spec": spec}
    try:
        jsonschema.validate(obj, crd_schema())
    except jsonschema.ValidationError:
        return True
    return bool(cel_failures(obj))


REFUSED: list[tuple[str, dict[str, Any], str]] = [
    ("sa-traversal", k8s(serviceAccount="kube-system/../../../../apis/x/v1/y"),
     f"spec.auth.kubernetes.serviceAccount {SA_HELP}"),
    ("sa-upper", k8s(serviceAccount="NS/Name"), f"spec.auth.kubernetes.serviceAccount {SA_HELP}"),
    ("sa-three-parts", k8s(serviceAccount="a/b/c"), f"spec.auth.kubernetes.serviceAccount {SA_HELP}"),
    ("sa-too-long", k8s(serviceAccount="a" * 400), "spec.auth.kubernetes.serviceAccount must be at most 317"),
    ("authpath-up", k8s(authPath="../../sys/seal"), f"spec.auth.kubernetes.authPath {MOUNT_HELP}"),
    ("authpath-dotdot-inside", k8s(authPath="a/../sys"), f"spec.auth.kubernetes.authPath {MOUNT_HELP}"),
    ("authpath-query", k8s(authPath="k8s?x=1"), f"spec.auth.kubernetes.authPath {MOUNT_HELP}"),
    ("authpath-hash", k8s(authPath="k8s#x"), f"spec.auth.kubernetes.authPath {MOUNT_HELP}"),
    ("authpath-percent", k8s(authPath="%2e%2e"), f"spec.auth.kubernetes.authPath {MOUNT_HELP}"),
    ("authpath-two-slashes", k8s(authPath="//kubernetes"), f"spec.auth.kubernetes.authPath {MOUNT_HELP}"),
    ("authpath-double-slash", k8s(authPath="a//b"), f"spec.auth.kubernetes.authPath {MOUNT_HELP}"),
    ("authpath-space", k8s(authPath="a b"), f"spec.auth.kubernetes.authPath {MOUNT_HELP}"),
    ("jwt-authpath", {"address": HTTPS, "auth": {"jwt": {"role": "r", "authPath": "../x"}}},
     f"spec.auth.jwt.authPath {MOUNT_HELP}"),
    ("oidc-authpath", {"address": HTTPS, "auth": {"oidc": {"role": "r", "authPath": "x/.."}}},
     f"spec.auth.oidc.authPath {MOUNT_HELP}"),
    ("aws-authpath", {"address": HTTPS, "auth": {"aws": {"role": "r", "authPath": "a/./b"}}},
     f"spec.auth.aws.authPath {MOUNT_HELP}"),
    ("role-slash", k8s(role="../x"), f"spec.auth.kubernetes.role {ROLE_HELP}"),
    ("role-too-long", k8s(role="r" * 513), "spec.auth.kubernetes.role must be at most 512 characters"),
    ("secret-name", jwt_secret(name="../token"), f"spec.auth.jwt.jwtSecretRef.name {NAME_HELP}"),
    ("secret-name-upper", jwt_secret(name="Token"), f"spec.auth.jwt.jwtSecretRef.name {NAME_HELP}"),
    ("secret-namespace", jwt_secret(namespace="kube-system/x"), f"spec.auth.jwt.jwtSecretRef.namespace {NS_HELP}"),
    ("secret-namespace-dot", jwt_secret(namespace="a.b"), f"spec.auth.jwt.jwtSecretRef.namespace {NS_HELP}"),
    ("secret-key", jwt_secret(key="a/b"), f"spec.auth.jwt.jwtSecretRef.key {KEY_HELP}"),
    ("secret-key-long", jwt_secret(key="k" * 254), "spec.auth.jwt.jwtSecretRef.key must be at most 253 characters"),
    ("nonce-ref", {"address": HTTPS, "auth": {"aws": {"role": "r", "authType": "ec2",
                                                      "nonceSecretRef": {"name": "n", "key": "k", "namespace": "X"}}}},
     f"spec.auth.aws.nonceSecretRef.namespace {NS_HELP}"),
    ("ca-ref", {"address": HTTPS, "auth": {"kubernetes": {"role": "r"}},
                "tls": {"caSecretRef": {"name": "ca", "key": "c a"}}}, f"spec.tls.caSecretRef.key {KEY_HELP}"),
    ("address-query", {**k8s(), "address": "https://v:8200?x=1"}, f"spec.address {QUERY}"),
    ("address-fragment", {**k8s(), "address": "https://v:8200#x"}, f"spec.address {QUERY}"),
    ("address-userinfo", {**k8s(), "address": "https://admin:pw@v:8200"}, f"spec.address {USERINFO}"),
    ("address-user", {**k8s(), "address": "https://admin@v"}, f"spec.address {USERINFO}"),
    ("address-space", {**k8s(), "address": "https://v:8200 /x"}, "spec.address must not contain whitespace"),
    ("address-newline", {**k8s(), "address": "https://v:8200\n"}, "spec.address must not contain whitespace"),
    ("address-percent", {**k8s(), "address": "https://v/%2e%2e/sys"}, "spec.address must not contain percent"),
    ("address-dotdot", {**k8s(), "address": "https://v/a/../sys"}, "spec.address must not contain . or .. path"),
    ("address-port", {**k8s(), "address": "https://v:99999"}, "spec.address has an invalid port"),
    ("address-empty-port", {**k8s(), "address": "https://v:"}, "spec.address has an invalid port"),
    ("address-scheme", {**k8s(), "address": "ftp://v"}, "spec.address must be an http:// or https:// URL"),
    ("address-no-host", {**k8s(), "address": "https://:8200"}, "spec.address must name a host"),
    ("address-too-long", {**k8s(), "address": "https://v/" + "a" * 2048}, "spec.address must be at most 2048"),
    ("sts-query", {"address": HTTPS, "auth": {"aws": {"role": "r", "stsEndpoint": "https://sts?x"}}},
     f"spec.auth.aws.stsEndpoint {QUERY}"),
    ("tls-with-http", {**k8s(), "address": "http://v:8200", "tls": {"caSecretRef": {"name": "ca", "key": "ca"}}},
     TLS_HTTP),
    ("tls-skip-with-http", {**k8s(), "address": "http://v:8200", "tls": {"skipVerify": True}}, TLS_HTTP),
    ("audiences-many", k8s(audiences=[f"a{i}" for i in range(17)]),
     "spec.auth.kubernetes.audiences must have at most 16 items"),
    ("audience-long", k8s(audiences=["a" * 2049]), "spec.auth.kubernetes.audiences.0 must be at most 2048"),
    ("claim-long", {"address": HTTPS, "auth": {"oidc": {"role": "r", "userClaim": "c" * 4097}}},
     "spec.auth.oidc.userClaim must be at most 4096 characters"),
    ("issuer-long", {"address": HTTPS, "auth": {"jwt": {"role": "r", "expectedIssuer": "i" * 2049}}},
     "spec.auth.jwt.expectedIssuer must be at most 2048 characters"),
    ("unicode-duration", {**k8s(), "healthCheckInterval": "\u0663\u0660s"},
     "spec.healthCheckInterval '\u0663\u0660s' is not a duration: use ASCII digits"),
    ("fullwidth-duration", k8s(tokenDuration="\uff11h"), "spec.auth.kubernetes.tokenDuration '\uff11h' is not a"),
    ("spaced-duration", {**k8s(), "healthCheckInterval": " 30s"}, "spec.healthCheckInterval ' 30s' is not a"),
    ("micro-sign-duration", {**k8s(), "healthCheckInterval": "5\u00b5s"}, "is not a duration"),
]


@pytest.mark.parametrize(("spec", "message"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_the_model_refuses_and_says_what_to_fix(spec: dict[str, Any], message: str) -> None:
    assert message in refused(spec)


# The CRD can say all but these: a pattern cannot see a bad port, a missing host or a .. segment, and
# jsonschema's $ (Python's) matches before a final newline where the API server's (Go's) does not.
# The operator's own check covers them.
NOT_IN_CRD = {"address-dotdot", "address-port", "address-empty-port", "address-no-host", "address-newline"}


@pytest.mark.parametrize("spec", [c[1] for c in REFUSED if c[0] not in NOT_IN_CRD],
                         ids=[c[0] for c in REFUSED if c[0] not in NOT_IN_CRD])
def test_the_crd_refuses_it_too(spec: dict[str, Any]) -> None:
    assert schema_refuses(spec)


ACCEPTED: list[dict[str, Any]] = [
    k8s(serviceAccount="vault-access-operator-controller-manager"),
    k8s(serviceAccount="team-a/app.v2"),
    k8s(authPath="kubernetes/"),  # as `vault auth list` prints it
    k8s(authPath="/kubernetes"),
    k8s(authPath="clusters/prod-1/k8s.v2"),
    k8s(role="app_role-1.x@team"),
    jwt_secret(name="vault-token.v1", namespace="vault-access-operator-system", key="token.jwt_1-a"),
    {**k8s(), "address": "http://127.0.0.1:8200"},
    {**k8s(), "address": "https://[::1]:8200/vault/prefix/"},
    {**k8s(), "address": "https://vault.example.com", "tls": {"skipVerify": True}},
    {**k8s(), "address": HTTPS, "tls": {"caSecretRef": {"name": "ca", "key": "ca.crt"}}},
    {**k8s(), "healthCheckInterval": "1h30m0.5s"},
]


@pytest.mark.parametrize("spec", ACCEPTED, ids=range(len(ACCEPTED)))
def test_good_values_pass_both_checks(spec: dict[str, Any]) -> None:
    validate_spec(spec, REGISTRY)
    assert not schema_refuses(spec)


def test_a_mount_path_with_a_trailing_slash_is_used_without_it() -> None:
    assert validate_spec(k8s(authPath="k8s/"), REGISTRY).mount == "k8s"
    assert validate_spec(k8s(authPath="/k8s/"), REGISTRY).mount == "k8s"


def _walk(schema: dict[str, Any], path: str) -> list[tuple[str, dict[str, Any]]]:
    found = [(path, schema)]
    for name, sub in schema.get("properties", {}).items():
        found += _walk(sub, f"{path}.{name}")
    if isinstance(schema.get("items"), dict):
        found += _walk(schema["items"], f"{path}[]")
    return found


def test_every_string_in_the_spec_schema_has_a_max_length_and_every_list_max_items() -> None:
    spec = crd_schema()["properties"]["spec"]
    for path, schema in _walk(spec, "spec"):
        if schema.get("type") == "string":
            assert "maxLength" in schema or "enum" in schema, path
        if schema.get("type") == "array":
            assert "maxItems" in schema, path


def test_the_crd_checks_the_built_in_auth_blocks_and_keeps_unknown_fields() -> None:
    auth = crd_schema()["properties"]["spec"]["properties"]["auth"]
    assert sorted(auth["properties"]) == ["appRole", "aws", "bootstrap", "gcp", "jwt", "kubernetes", "oidc", "token"]
    assert auth["x-kubernetes-preserve-unknown-fields"] is True  # methods that plugins add
    for block in auth["properties"].values():
        assert block["x-kubernetes-preserve-unknown-fields"] is True  # the operator names unknown fields
        assert all("default" not in prop for prop in block["properties"].values())  # no API-server defaulting


def _go_fullmatch(pattern: str, text: str) -> bool:
    # Go's RE2 (the API server) and Rust's regex: $ is the end of the text; Python's $ also matches before "\n".
    return re.search(pattern.replace("$", r"\Z"), text) is not None


DURATION_LIKE = st.text(alphabet="0123456789.hmsnu\u00b5\u0663 \n", max_size=8)


@settings(max_examples=100, deadline=None)
@given(st.from_regex(DURATION_PATTERN, fullmatch=True) | DURATION_LIKE)
def test_the_duration_parser_accepts_exactly_what_the_crd_pattern_does(text: str) -> None:
    try:
        parse_duration(text)
        parsed = True
    except ValueError:
        parsed = False
    assert parsed == _go_fullmatch(DURATION_PATTERN, text), text


class LaxConfig(SpecModel):
    """A third-party plugin's config that takes its mount as any string."""

    auth_path: str = "lax"


class LaxProvider(AuthProvider[LaxConfig]):
    key = "lax"
    config_model = LaxConfig

    def mount(self, config: LaxConfig) -> str:
        return config.auth_path

    async def login_request(self, config: LaxConfig, ctx: AuthContext) -> LoginRequest:
        raise AssertionError("never called: validation only")


@pytest.mark.parametrize("mount", ["../../sys/seal", "lax?x=1", "a//b", "lax#x"])
def test_the_core_checks_every_plugins_mount_even_without_mount_path(mount: str) -> None:
    registry = dataclasses.replace(REGISTRY, providers={**REGISTRY.providers, "lax": LaxProvider()})
    spec = {"address": HTTPS, "auth": {"lax": {"authPath": mount}}}
    assert refused_by(spec, registry) == f"spec.auth.lax: the auth mount {mount.strip('/')!r} {MOUNT_HELP_FULL}"
    assert validate_spec({"address": HTTPS, "auth": {"lax": {"authPath": "lax/v2"}}}, registry).mount == "lax/v2"
