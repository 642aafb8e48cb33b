"""Hostile-input rows for the operator's trust policy (default policy: operator namespace
vault-access-operator-system, service account vault-access-operator-controller-manager).

Every row is refused before the operator reads a Secret, mints a token or sends anything to the spec's address.
"""

from __future__ import annotations

from tests.hostile.case import HostileCase

OPERATOR = "vault-access-operator-system/vault-access-operator-controller-manager"
LEGACY = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6a3ViZS1zeXN0ZW06bGVnYWN5In0.bGVnYWN5"
POLICY = "ForbiddenByPolicy"


def _ref(namespace: str, name: str, key: str) -> dict[str, str]:
    return {"name": name, "namespace": namespace, "key": key}


def _k8s(**fields: object) -> dict[str, object]:
    return {"address": "{listener}", "auth": {"kubernetes": {"role": "operator", **fields}}}


CASES: list[HostileCase] = [
    HostileCase(
        id="trust-jwt-secret-in-kube-system",
        spec={"address": "{listener}",
              "auth": {"jwt": {"role": "r", "jwtSecretRef": _ref("kube-system", "legacy-sa-token", "token")}}},
        secrets={"kube-system/legacy-sa-token": {"token": LEGACY}},
        reason=POLICY,
        message="spec.auth.jwt.jwtSecretRef names Secret kube-system/legacy-sa-token, but the operator reads Secrets "
        "only in vault-access-operator-system",
    ),
    HostileCase(
        id="trust-oidc-secret-in-default",
        spec={"address": "{listener}",
              "auth": {"oidc": {"role": "r", "jwtSecretRef": _ref("default", "ci-jwt", "token")}}},
        secrets={"default/ci-jwt": {"token": LEGACY + "x"}},
        reason=POLICY,
        message="spec.auth.oidc.jwtSecretRef names Secret default/ci-jwt",
    ),
    HostileCase(
        id="trust-aws-nonce-secret-in-kube-system",
        spec={"address": "{listener}",
              "auth": {"aws": {"role": "r", "authType": "ec2", "region": "eu-west-1",
                               "nonceSecretRef": _ref("kube-system", "nonce", "nonce")}}},
        secrets={"kube-system/nonce": {"nonce": "n0nce-kube-system"}},
        reason=POLICY,
        message="spec.auth.aws.nonceSecretRef names Secret kube-system/nonce",
    ),
    HostileCase(
        id="trust-ca-secret-in-kube-system",
        spec={"address": "https://127.0.0.1:9", "tls": {"caSecretRef": _ref("kube-system", "ca", "ca.crt")},
              "auth": {"kubernetes": {"role": "operator"}}},
        reason=POLICY,
        message="spec.tls.caSecretRef names Secret kube-system/ca",
    ),
    HostileCase(
        id="trust-api-server-audience",
        spec=_k8s(audiences=["vault", "https://kubernetes.default.svc"]),
        reason=POLICY,
        message="spec.auth.kubernetes asks for a token with audience 'https://kubernetes.default.svc', which is the "
        "Kubernetes API server's own",
    ),
    HostileCase(
        id="trust-api-server-audience-spelled-otherwise",
        spec=_k8s(audiences=["HTTPS://kubernetes.default.svc.cluster.local/"]),
        reason=POLICY,
        message="asks for a token with audience 'HTTPS://kubernetes.default.svc.cluster.local/'",
    ),
    HostileCase(
        id="trust-api-server-audience-oidc",
        spec={"address": "{listener}", "auth": {"oidc": {"role": "r", "audiences": ["kubernetes.default.svc"]}}},
        reason=POLICY,
        message="spec.auth.oidc asks for a token with audience 'kubernetes.default.svc'",
    ),
    HostileCase(
        id="trust-year-long-token",
        spec=_k8s(tokenDuration="8760h"),
        reason=POLICY,
        message="spec.auth.kubernetes asks for a token valid for 8760h, longer than the operator's maximum of 1h",
    ),
    HostileCase(
        id="trust-two-hour-jwt-token",
        spec={"address": "{listener}", "auth": {"jwt": {"role": "r", "tokenDuration": "2h"}}},
        reason=POLICY,
        message="spec.auth.jwt asks for a token valid for 2h, longer than the operator's maximum of 1h",
    ),
    HostileCase(
        id="trust-cluster-admin-service-account",
        spec=_k8s(serviceAccount="kube-system/cluster-admin-sa"),
        reason=POLICY,
        message="spec.auth.kubernetes asks for a token of service account kube-system/cluster-admin-sa, but the "
        f"operator requests tokens only for its own account {OPERATOR}",
    ),
    HostileCase(
        id="trust-other-account-in-operator-namespace",
        spec=_k8s(serviceAccount="other-sa"),
        reason=POLICY,
        message="asks for a token of service account vault-access-operator-system/other-sa",
    ),
]
