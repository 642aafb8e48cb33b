"""Input shapes through the running operator: a deeply nested spec and a binary Secret value (issue 12)."""

from __future__ import annotations

import base64
import json

from tests.e2e.helpers import condition, k8s_spec, status_of, wait_phase
from tests.e2e.test_bad_input import assert_reported
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import VAULTCONNECTIONS
from vault_access_operator_devkit.operator import RunningOperator

NS = "vault-access-operator-system"


def create_with_deep_defaults(kube: FakeKube, name: str, spec: dict[str, object], levels: int) -> None:
    """The body is written by hand: json.dumps itself recurses, and would fail near 1000 levels.

    The emulator parses and deep-copies bodies with Python's recursive json and copy (two frames a level),
    so a body deeper than ~450 levels never reaches the operator here; a real API server takes up to 10000.
    1000 and 100000 levels go through validate_spec and the reconciler in tests/unit/test_spec_nesting.py.
    Before the depth check, this spec went Active (nothing looked inside spec.defaults).
    """
    head = json.dumps({"apiVersion": VAULTCONNECTIONS.api_version, "kind": VAULTCONNECTIONS.kind,
                       "metadata": {"name": name}, "spec": spec})
    deep = '{"a":' * levels + "1" + "}" * levels
    body = head[: -2] + f', "defaults": {deep}' + "}}"
    kube.call("POST", VAULTCONNECTIONS.url(None), data=body, headers={"Content-Type": "application/json"})


def test_a_400_level_defaults_block_gets_an_invalid_spec_status(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, operator: RunningOperator
) -> None:
    create_with_deep_defaults(fake_kube, "deep", {"address": vault_k8s.url, "auth": {"kubernetes": {"role": "r"}}},
                              400)
    fake_kube.create_vaultconnection("good", k8s_spec(vault_k8s.url))
    assert_reported(fake_kube, "deep", "InvalidSpec",
                    "spec.defaults is nested more than 10 levels deep (at spec.defaults.a.a.a...): flatten it")
    wait_phase(fake_kube, "good", "Active")


def test_a_binary_secret_value_is_reported_without_its_bytes(
    fake_kube: FakeKube, vault_k8s: OpenBaoServer, operator: RunningOperator
) -> None:
    value = b"\xff\xfe" + bytes(range(256))
    fake_kube.ensure_namespace(NS)
    fake_kube.create("secrets", {"metadata": {"name": "binary-jwt"},
                                 "data": {"token": base64.b64encode(value).decode()}}, NS)
    spec = {"address": vault_k8s.url,
            "auth": {"jwt": {"role": "r", "jwtSecretRef": {"name": "binary-jwt", "namespace": NS, "key": "token"}}}}
    fake_kube.create_vaultconnection("binary", spec)
    text = f"key token of Secret {NS}/binary-jwt is not UTF-8 text: store it as text (base64 in data is decoded once)"
    assert_reported(fake_kube, "binary", "SecretNotFound", text)
    status = status_of(fake_kube, "binary")
    assert "UnicodeDecodeError" not in status["message"] and "0xff" not in status["message"]
    assert condition(status, "Ready")["status"] == "False"
