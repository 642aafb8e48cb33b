"""Hostile-input rows for input shapes (issue 12): paths, addresses, names, nesting, durations, Secret values.

Every spec here except the binary Secret is refused before the operator talks to anyone, so the
listener must stay silent. Messages are exact substrings of what core/validation.py and core/kube.py say.
"""

from __future__ import annotations

from typing import Any

from tests.hostile.case import HostileCase

NS = "vault-access-operator-system"
INVALID = "InvalidSpec"
SA_HELP = "must be NAME or NAMESPACE/NAME of a service account"
MOUNT_HELP = "must be a Vault mount path: letters, digits, _ and - in segments separated by / or ."
QUERY = "spec.address must not have a query (?) or fragment (#)"
TLS_HTTP = "spec.tls is set but spec.address is http://: use https:// or remove spec.tls"
# Deep enough to have been accepted before (nothing looked inside spec.defaults), shallow enough for the
# emulator, which parses and deep-copies bodies recursively (~450 levels at most). 1000 and 100000 levels
# are in tests/unit/test_spec_nesting.py.
DEPTH = 400
PASSWORD = "pw-7f1c9e2ab44d"  # in an address's userinfo: must reach no status, event or log


def k8s(address: str = "{listener}", **fields: Any) -> dict[str, Any]:
    return {"address": address, "auth": {"kubernetes": {"role": "operator", **fields}}}


def jwt_ref(**ref: str) -> dict[str, Any]:
    return {"address": "{listener}", "auth": {"jwt": {"role": "operator", "jwtSecretRef": {"key": "token", **ref}}}}


def nested(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = {"a": value}
    return value


CASES: list[HostileCase] = [
    # The cases of issue 12.
    HostileCase("shapes-sa-path-traversal", k8s(serviceAccount="kube-system/../../../../apis/x/v1/y"), INVALID,
                f"spec.auth.kubernetes.serviceAccount {SA_HELP}"),
    HostileCase("shapes-authpath-traversal", k8s(authPath="../../sys/seal"), INVALID,
                f"spec.auth.kubernetes.authPath {MOUNT_HELP}"),
    HostileCase("shapes-address-query", k8s("{listener}/?redirect=1"), INVALID, QUERY),
    HostileCase("shapes-address-fragment", k8s("{listener}#v1/sys/seal"), INVALID, QUERY),
    HostileCase("shapes-address-userinfo", k8s(f"https://admin:{PASSWORD}@vault.example.com:8200"), INVALID,
                "spec.address must not contain a user name or password; put credentials in spec.auth",
                secrets={f"{NS}/decoy-password": {"password": PASSWORD}}),
    HostileCase("shapes-deep-defaults", {**k8s(), "defaults": nested(DEPTH)}, INVALID,
                "spec.defaults is nested more than 10 levels deep (at spec.defaults.a.a.a...): flatten it"),
    HostileCase("shapes-unicode-digit-duration", {**k8s(), "healthCheckInterval": "\u0663\u0660s"}, INVALID,
                "spec.healthCheckInterval '\u0663\u0660s' is not a duration: use ASCII digits"),
    HostileCase("shapes-tls-with-http", {**k8s(), "tls": {"caSecretRef": {"name": "no-such-ca", "key": "ca.crt"}}},
                INVALID, TLS_HTTP),
    HostileCase(
        "shapes-binary-secret-value",
        {"address": "{vault}", "auth": {"jwt": {
            "role": "operator", "jwtSecretRef": {"name": "binary-jwt", "namespace": NS, "key": "token"}}}},
        "SecretNotFound",
        f"key token of Secret {NS}/binary-jwt is not UTF-8 text: store it as text (base64 in data is decoded once)",
        secrets={f"{NS}/binary-jwt": {"token": b"\xff\xfe\x00binary\x80"}},
    ),
    HostileCase("shapes-huge-field-name", k8s(**{"eyJ" * 40_000: "x"}), INVALID,
                "...(120000 characters) is not a known field"),
    # More of the same class.
    HostileCase("shapes-secret-name-traversal", jwt_ref(name="../../../api/v1/namespaces/kube-system/secrets/x"),
                INVALID, "spec.auth.jwt.jwtSecretRef.name must be a Kubernetes object name (DNS-1123 subdomain)"),
    HostileCase("shapes-secret-namespace-slash", jwt_ref(name="s", namespace="kube-system/secrets"), INVALID,
                "spec.auth.jwt.jwtSecretRef.namespace must be a Kubernetes namespace (DNS-1123 label)"),
    HostileCase("shapes-secret-key-slash", {**k8s("https://vault.example.com"),
                                            "tls": {"caSecretRef": {"name": "ca", "key": "../ca.crt"}}}, INVALID,
                "spec.tls.caSecretRef.key must be a Secret key: letters, digits, -, _ and . only"),
    HostileCase("shapes-address-percent-dotdot", k8s("{listener}/%2e%2e/sys/seal"), INVALID,
                "spec.address must not contain percent-escapes (%)"),
    HostileCase("shapes-address-dot-segments", k8s("{listener}/prefix/../../sys"), INVALID,
                "spec.address must not contain . or .. path segments"),
    HostileCase("shapes-address-newline", k8s("{listener}\n/v1/sys/seal"), INVALID,
                "spec.address must not contain whitespace or control characters"),
    HostileCase("shapes-oidc-authpath-fragment", {"address": "{listener}", "auth": {"oidc": {"role": "operator",
                                                                                               "authPath": "oidc#x"}}},
                INVALID, f"spec.auth.oidc.authPath {MOUNT_HELP}"),
    HostileCase("shapes-role-path", k8s(role="../../sys/seal"), INVALID,
                "spec.auth.kubernetes.role must be a Vault role name"),
    HostileCase("shapes-sts-endpoint-userinfo",
                {"address": "{listener}",
                 "auth": {"aws": {"role": "operator", "stsEndpoint": f"https://AKIA:{PASSWORD}@sts.amazonaws.com"}}},
                INVALID, "spec.auth.aws.stsEndpoint must not contain a user name or password",
                secrets={f"{NS}/decoy-sts": {"password": PASSWORD}}),
    HostileCase("shapes-deep-auth-block", k8s(extra=nested(DEPTH)), INVALID,
                "spec.auth.kubernetes is nested more than 10 levels deep (at spec.auth.kubernetes.extra.a.a...)"),
    HostileCase("shapes-wide-defaults", {**k8s(), "defaults": {f"k{i}": i for i in range(2500)}}, INVALID,
                "spec has more than 2000 values (fields and list items): remove what is not needed"),
    HostileCase("shapes-fullwidth-token-duration", k8s(tokenDuration="\uff11h"), INVALID,
                "spec.auth.kubernetes.tokenDuration '\uff11h' is not a duration"),
    HostileCase("shapes-huge-method-name", {"address": "{listener}", "auth": {"eyJ" * 40_000: {"role": "operator"}}},
                INVALID, "spec.auth must be keyed by an auth method name: letters, digits, _ and - (at most 63"),
    HostileCase("shapes-many-unknown-fields", k8s("{listener}", **{f"typo{i}": 1 for i in range(50)}), INVALID,
                "; and 40 more problems"),
]
