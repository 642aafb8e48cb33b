"""Hostile-input rows for spec.auth.bootstrap (the one pair of blocks spec.auth accepts, with kubernetes).

"{vault}" is an OpenBao whose kubernetes auth trusts the emulator with role "operator"; a role it lacks
makes the kubernetes login fail, which is what runs the bootstrap (and reads its Secret).
"""

from __future__ import annotations

from tests.hostile.case import HostileCase

NS = "vault-access-operator-system"
BOGUS = "s.bogus-bootstrap-token-0123456789"


def _ref(name: str, namespace: str = NS, key: str = "token") -> dict[str, str]:
    return {"name": name, "namespace": namespace, "key": key}


def _pair(address: str, bootstrap: dict[str, object], role: str = "no-such-role") -> dict[str, object]:
    return {"address": address, "auth": {"bootstrap": bootstrap, "kubernetes": {"role": role}}}


PAIR_ONLY = "bootstrap sets up kubernetes auth and must be paired with exactly one kubernetes block"

CASES: list[HostileCase] = [
    HostileCase(
        id="bootstrap-alone",
        spec={"address": "{listener}", "auth": {"bootstrap": {"secretRef": _ref("root-token")}}},
        reason="InvalidSpec",
        message=f"{PAIR_ONLY} (found no other block): add spec.auth.kubernetes",
    ),
    HostileCase(
        id="bootstrap-with-jwt",
        spec={"address": "{listener}", "auth": {"bootstrap": {"secretRef": _ref("root-token")}, "jwt": {"role": "r"}}},
        reason="InvalidSpec",
        message=f"{PAIR_ONLY} (found jwt)",
    ),
    HostileCase(
        id="bootstrap-with-kubernetes-and-aws",
        spec={"address": "{listener}", "auth": {"bootstrap": {"secretRef": _ref("root-token")},
                                                "kubernetes": {"role": "r"}, "aws": {"role": "r"}}},
        reason="InvalidSpec",
        message=f"{PAIR_ONLY} (found aws, kubernetes)",
    ),
    HostileCase(
        id="bootstrap-without-secret-ref",
        spec=_pair("{listener}", {"autoRevoke": False}),
        reason="InvalidSpec",
        message="spec.auth.bootstrap.secretRef is required",
    ),
    HostileCase(
        id="bootstrap-unknown-field",
        spec=_pair("{listener}", {"secretRef": _ref("root-token"), "revokeAfter": "1h"}),
        reason="InvalidSpec",
        message="spec.auth.bootstrap.revokeAfter is not a known field",
    ),
    HostileCase(
        id="bootstrap-auto-revoke-not-a-bool",
        spec=_pair("{listener}", {"secretRef": _ref("root-token"), "autoRevoke": "yes"}),
        reason="InvalidSpec",
        message="spec.auth.bootstrap.autoRevoke",
    ),
    HostileCase(
        id="bootstrap-secret-in-kube-system",
        spec=_pair("{listener}", {"secretRef": _ref("root-token", "kube-system")}),
        secrets={"kube-system/root-token": {"token": BOGUS + "-kube-system"}},
        reason="ForbiddenByPolicy",
        message="spec.auth.bootstrap.secretRef names Secret kube-system/root-token, but the operator reads Secrets "
        "only in vault-access-operator-system",
    ),
    HostileCase(
        id="bootstrap-secret-missing",
        spec=_pair("{vault}", {"secretRef": _ref("no-such-bootstrap-secret")}),
        reason="SecretNotFound",
        message=f"spec.auth.bootstrap.secretRef: Secret {NS}/no-such-bootstrap-secret not found: create it or fix "
        "the reference",
        listener_silent=False,  # the address is the real OpenBao, not the listener
    ),
    HostileCase(
        id="bootstrap-secret-wrong-key",
        spec=_pair("{vault}", {"secretRef": _ref("wrong-key-bootstrap", key="root-token")}),
        secrets={f"{NS}/wrong-key-bootstrap": {"token": BOGUS + "-wrong-key"}},
        reason="SecretNotFound",
        message=f"spec.auth.bootstrap.secretRef: Secret {NS}/wrong-key-bootstrap has no key 'root-token' "
        "(keys: token)",
        listener_silent=False,
    ),
    HostileCase(
        id="bootstrap-secret-empty",
        spec=_pair("{vault}", {"secretRef": _ref("empty-bootstrap")}),
        secrets={f"{NS}/empty-bootstrap": {"token": "  \n"}},
        reason="SecretNotFound",  # retried: filling the Secret heals it
        message=f"key 'token' of Secret {NS}/empty-bootstrap (spec.auth.bootstrap.secretRef) is empty",
        listener_silent=False,
    ),
    HostileCase(
        id="bootstrap-token-refused-by-vault",
        spec=_pair("{vault}", {"secretRef": _ref("bogus-bootstrap")}),
        secrets={f"{NS}/bogus-bootstrap": {"token": BOGUS}},
        reason="CredentialsRejected",
        message=f"Vault refused the bootstrap token (key 'token' of Secret {NS}/bogus-bootstrap, "
        "spec.auth.bootstrap): it is expired, revoked",
        listener_silent=False,
    ),
    HostileCase(
        id="bootstrap-not-needed-when-the-kubernetes-login-works",
        spec=_pair("{vault}", {"secretRef": _ref("unused-bootstrap")}, role="operator"),
        secrets={f"{NS}/unused-bootstrap": {"token": BOGUS + "-unused"}},
        phase="Active",
        reason="Connected",
        message="",
        listener_silent=False,
    ),
]
