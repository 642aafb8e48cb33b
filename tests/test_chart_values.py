"""values.schema.json: wrong values fail at install (helm validates them before rendering)."""

from __future__ import annotations

from typing import Any

import helm_python as helm
import pytest

from tests.test_chart import CHART, PRODUCTION, RESTRICTED, chart, render

WRONG = {
    "string replicaCount": ({"replicaCount": "2"}, "/replicaCount"),
    "negative replicaCount": ({"replicaCount": -1}, "/replicaCount"),
    "unknown top-level key": ({"replicas": 2}, "additional properties 'replicas'"),
    "misspelt nested key": ({"serviceAccount": {"annotation": {}}}, "additional properties 'annotation'"),
    "logLevel not in the enum": ({"logLevel": "trace"}, "/logLevel"),
    "pullPolicy not in the enum": ({"image": {"pullPolicy": "Sometimes"}}, "/image/pullPolicy"),
    "non-string annotation": ({"serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": 1}}}, "role-arn"),
    "port out of range": ({"metrics": {"port": 70000}}, "/metrics/port"),
    "extraEnv without a name": ({"extraEnv": [{"value": "x"}]}, "/extraEnv/0"),
    "namespace with a slash": ({"trust": {"secretNamespaces": ["a/b"]}}, "/trust/secretNamespaces/0"),
    "token account without namespace": ({"trust": {"tokenServiceAccounts": ["app"]}}, "/trust/tokenServiceAccounts/0"),
    "unknown trust key": ({"trust": {"secretNamespace": ["team-a"]}}, "additional properties 'secretNamespace'"),
    "secretNamespaces as a string": ({"trust": {"secretNamespaces": "team-a"}}, "/trust/secretNamespaces"),
    "a glob that is not *": ({"trust": {"secretNamespaces": ["team-*"]}}, "/trust/secretNamespaces/0"),
    "allowMountedToken as a string": ({"trust": {"allowMountedToken": "yes"}}, "/trust/allowMountedToken"),
    "lifetime in words": ({"trust": {"maxTokenLifetime": "1 hour"}}, "/trust/maxTokenLifetime"),
    "lifetime as a number": ({"trust": {"maxTokenLifetime": 3600}}, "/trust/maxTokenLifetime"),
    "audience with a comma": ({"trust": {"apiAudiences": ["a,b"]}}, "/trust/apiAudiences/0"),
    "vaultAddresses as a string": ({"trust": {"vaultAddresses": "https://v:8200"}}, "/trust/vaultAddresses"),
    "the old rbac.secretNamespaces": ({"rbac": {"secretNamespaces": ["ci"]}}, "additional properties 'secretNamesp"),
    "the old rbac.extraTokenServiceAccounts": ({"rbac": {"extraTokenServiceAccounts": []}}, "'extraTokenService"),
    "unknown networkPolicy key": ({"networkPolicy": {"egress": []}}, "additional properties 'egress'"),
    "vault entry without a cidr": ({"networkPolicy": {"vault": [{"ports": [8200]}]}}, "/networkPolicy/vault/0"),
    "vault cidr without a prefix": ({"networkPolicy": {"vault": [{"cidr": "10.0.0.1"}]}}, "/networkPolicy/vault/0"),
    "api server port out of range": ({"networkPolicy": {"apiServer": {"ports": [0]}}}, "/networkPolicy/apiServer"),
    "metricsFrom as an object": ({"networkPolicy": {"metricsFrom": {"podSelector": {}}}}, "/networkPolicy/metrics"),
    "clusterName with a dot": ({"clusterName": "east.1"}, "/clusterName"),
    "confinement not in the enum": ({"tenancy": {"confinement": "strict"}}, "/tenancy/confinement"),
    "unknown tenancy key": ({"tenancy": {"allowedNamespaces": []}}, "additional properties 'allowedNamespaces'"),
    "shard without a name": ({"shards": [{"clusterScoped": True}]}, "/shards/0"),
    "shard name with a dot": ({"shards": [{"name": "a.b", "clusterScoped": True}]}, "/shards/0/name"),
    "shard selector value not a string": ({"shards": [{"name": "a", "selector": {"k": 1}}]}, "/shards/0/selector"),
    "peering lifetime too short": ({"peering": {"lifetime": 5}}, "/peering/lifetime"),
    "bad resource quantity": ({"resources": {"limits": {"memory": "lots"}}}, "/resources/limits/memory"),
}


@pytest.mark.parametrize(("values", "where"), WRONG.values(), ids=WRONG.keys())
def test_wrong_values_are_rejected(values: dict[str, Any], where: str) -> None:
    with chart() as loaded:
        with pytest.raises(helm.HelmValuesError, match=where):
            loaded.validate_schema(loaded.merge_values(values))
        with pytest.raises(helm.HelmValuesError, match=where):  # what install/template do
            loaded.render(values, name="vault-access-operator")
    report = helm.lint(CHART, values)
    assert any(where in error for error in report["errors"]), report["errors"]


@pytest.mark.parametrize("values", [{}, PRODUCTION, RESTRICTED], ids=["default", "production", "restricted"])
def test_good_values_pass(values: dict[str, Any]) -> None:
    with chart() as loaded:
        loaded.validate_schema(loaded.merge_values(values))


def test_every_default_value_is_described_by_the_schema() -> None:
    """additionalProperties: false everywhere we own the keys, so a typo never passes silently."""
    with chart() as loaded:
        schema, values = loaded.schema, loaded.values
    assert schema is not None
    for key, value in values.items():
        prop = schema["properties"][key]
        if isinstance(value, dict) and prop.get("type") == "object" and "properties" in prop:
            assert prop.get("additionalProperties") is False, key
            assert set(value) <= set(prop["properties"]), key


def test_replica_count_zero_stops_the_operator() -> None:
    deployment = next(o for o in render({"replicaCount": 0}) if o["kind"] == "Deployment")
    assert deployment["spec"]["replicas"] == 0
