"""Every sample of the replaced operator's policy shapes (tests/data/policy_samples.yaml) applied together to the
operator with real OpenBao: each turns Active with the policy it describes, as OpenBao holds it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.helpers import k8s_spec, wait_phase
from tests.e2e.policy_helpers import condition, patch_policy, policy_text, vault_calls, wait_policy
from vault_access_operator.access.hcl import read_ownership
from vault_access_operator.access.hcl_parse import parse_policy
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.context import OperatorIdentity
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.kube_resources import VAULTCLUSTERPOLICIES, VAULTPOLICIES
from vault_access_operator_devkit.operator import RunningOperator, run_operator
from vault_access_operator_devkit.proxy import CountingProxy
from vault_access_operator_devkit.waiting import wait_for

SAMPLES = list(yaml.safe_load_all((Path(__file__).resolve().parents[1] / "data/policy_samples.yaml").read_text()))
CONNECTIONS: dict[str, dict[str, Any]] = {"vault-primary": {}, "vault-gitops": {"defaults": {"driftMode": "correct"}}}
# The paths each sample's policy holds in OpenBao, {{namespace}} and {{name}} replaced (written out by hand).
PATHS = {
    "team-a/app-read": ["secret/data/team-a/*", "secret/metadata/team-a/app-read"],
    "team-b/writer": ["secret/data/team-b/config", "identity/entity/id/{{identity.entity.id}}"],
    "team-c/team-secrets": ["secret/data/team-c/*", "secret/metadata/team-c/*"],
    "team-a/service-secrets": ["secret/data/team-a/*", "secret/data/team-a/service-secrets/*",
                               "secret/metadata/team-a/*"],
    "team-c/crypto": ["transit/encrypt/team-c-key", "transit/decrypt/team-c-key"],
    "team-b/kept": ["secret/data/team-b/*"],
    "production/db-read": ["database/creds/readonly"],
    "production/critical": ["secret/data/production/*"],
    "production/self-healing": ["secret/data/production/critical/*"],
    "team-a/gitops-managed": ["secret/data/team-a/gitops/*"],
    "team-b/often-edited": ["secret/data/team-b/scratch/*"],
    "platform-admin": ["secret/*", "sys/policies/acl/*", "auth/+/role/*"],
    "shared-read": ["secret/data/shared/shared-read/*"],
    "shared-config-reader": ["secret/data/shared/*", "secret/data/global/config", "secret/metadata/shared/*"],
    "cert-issuer": ["pki/issue/internal", "pki/ca/pem"],
    "shared-services": ["secret/data/shared/database", "secret/data/shared/messaging"],
}
DRY_RUN = {"team-b/preview"}
DRIFT_MODES = {"production/critical": "detect", "production/self-healing": "correct",
               "team-a/gitops-managed": "correct", "team-b/often-edited": "ignore", "team-b/writer": "correct",
               "platform-admin": "detect", "shared-read": "ignore"}
HAND_MADE = 'path "database/creds/readonly" { capabilities = ["read", "list"] }'


def sample_id(sample: dict[str, Any]) -> str:
    meta = sample["metadata"]
    return f"{meta['namespace']}/{meta['name']}" if "namespace" in meta else meta["name"]


def vault_name(sample: dict[str, Any]) -> str:
    return f"vao.e2e.{sample['metadata'].get('namespace', '_')}.{sample['metadata']['name']}"


@pytest.fixture
def sample_operator(fake_kube: FakeKube, operator_identity: OperatorIdentity) -> Iterator[RunningOperator]:
    access = AccessSettings(cluster_name="E2E", resync_seconds=60, retry_base_seconds=0.2, retry_cap_seconds=1.0)
    with run_operator(fake_kube.connection_info(), identity=operator_identity, access=access,
                      backoff=Backoff(base=0.2, cap=2.0, login_floor=0.5)) as running:
        yield running


def test_every_sample_turns_active_with_its_policy_in_openbao(
        fake_kube: FakeKube, vault_acl: OpenBaoServer, sample_operator: RunningOperator,
        proxy: CountingProxy) -> None:
    assert {sample_id(s) for s in SAMPLES} == set(PATHS) | DRY_RUN, "a sample without its expected paths here"
    root = vault_acl.client()
    root.sys.create_or_update_acl_policy("vao.e2e.production.db-read", HAND_MADE)  # what db-read adopts
    for name, extra in CONNECTIONS.items():
        fake_kube.create_vaultconnection(name, {**k8s_spec(proxy.url, interval="30s"), **extra})
    for name in CONNECTIONS:
        wait_phase(fake_kube, name, "Active")
    for sample in SAMPLES:
        namespace = sample["metadata"].get("namespace")
        if namespace:
            fake_kube.ensure_namespace(namespace)
        resource = VAULTPOLICIES if namespace else VAULTCLUSTERPOLICIES
        fake_kube.call("POST", resource.url(namespace), json=sample)

    for sample in SAMPLES:
        key, meta, namespace = sample_id(sample), sample["metadata"], sample["metadata"].get("namespace")
        if key in DRY_RUN:
            status = wait_policy(fake_kube, meta["name"], lambda s: condition(s, "DryRun").get("status") == "True",
                                 "reported its dry run", namespace=namespace)
            assert policy_text(root, vault_name(sample)) is None and "lastAppliedHash" not in status
            continue
        status = wait_policy(fake_kube, meta["name"], lambda s: s.get("phase") == "Active" and condition(
            s, "Ready").get("status") == "True", "turned Active", namespace=namespace)
        assert status["vaultName"] == vault_name(sample) and status["rulesCount"] == len(sample["spec"]["rules"])
        assert status["effectiveDriftMode"] == DRIFT_MODES.get(key, "detect"), key
        text = policy_text(root, vault_name(sample))
        assert text is not None, key
        written = parse_policy(text)
        assert [path for path, _ in written] == PATHS[key]
        for (path, attributes), rule in zip(written, sample["spec"]["rules"], strict=True):
            assert dict(attributes)["capabilities"] == tuple(rule["capabilities"]), key
            if "description" in rule:  # a comment line right above its path block
                assert f'# description: {rule["description"]}\npath "{path}" {{' in text, key
        owner = read_ownership(text)
        assert (owner.managed, owner.cluster, owner.k8s_resource, owner.k8s_kind) == (
            True, "e2e", key, sample["kind"]), key
        assert vault_calls(proxy, f"sys/policies/acl/{vault_name(sample)}")["PUT"] == 1, key

    writer = dict(parse_policy(policy_text(root, "vao.e2e.team-b.writer") or "")[0][1])
    assert writer["allowed_parameters"] == (("*", ("foo", "bar")),)
    assert writer["denied_parameters"] == (("*", ("admin",)),)
    assert writer["required_parameters"] == ("owner",)
    assert "Synced" in {e["reason"] for e in fake_kube.list_events(involved_name="db-read")}  # adopted, written

    # A description change alone: one write, the new comment in OpenBao, and not reported as drift.
    first, *others = next(s for s in SAMPLES if sample_id(s) == "team-a/app-read")["spec"]["rules"]
    rules = [{**first, "description": "Read what the team keeps"}, *others]
    patch_policy(fake_kube, "app-read", {"spec": {"rules": rules}}, namespace="team-a")
    acl = "sys/policies/acl/vao.e2e.team-a.app-read"
    wait_for(lambda: vault_calls(proxy, acl)["PUT"] == 2, timeout=20, message="the description was not written")
    status = wait_policy(fake_kube, "app-read", lambda s: s.get("phase") == "Active" and condition(
        s, "Ready").get("observedGeneration") == 2, "synced the new description", namespace="team-a")
    assert condition(status, "Drifted").get("status") != "True"
    assert "# description: Read what the team keeps\n" in (policy_text(root, "vao.e2e.team-a.app-read") or "")
