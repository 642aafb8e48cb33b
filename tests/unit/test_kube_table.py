"""The emulator's server-side printing: what kubectl shows in `get` depends on these exact forms."""

from __future__ import annotations

import datetime

import pytest

from vault_access_operator_devkit.kube_crds import unknown_fields
from vault_access_operator_devkit.kube_table import human_age, jsonpath, printer_columns, table, wants_table

NOW = datetime.datetime(2026, 1, 10, tzinfo=datetime.UTC)


@pytest.mark.parametrize(("seconds", "shown"), [
    (0, "0s"), (119, "119s"), (120, "2m"), (150, "2m30s"), (600, "10m"), (3 * 3600, "3h"), (3 * 3600 + 60, "3h1m"),
    (8 * 3600 + 59, "8h"), (49 * 3600, "2d1h"), (9 * 86400, "9d"), (3 * 365 * 86400 + 86400, "3y1d"),
    (9 * 365 * 86400, "9y"),
])
def test_ages_read_as_kubectl_prints_them(seconds: int, shown: str) -> None:
    then = (NOW - datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert human_age(then, NOW) == shown


def test_jsonpath_follows_keys_indexes_and_filters() -> None:
    obj = {"status": {"conditions": [{"type": "Authenticated", "status": "False"},
                                     {"type": "Ready", "status": "True"}]}}
    assert jsonpath(obj, '.status.conditions[?(@.type=="Ready")].status') == "True"
    assert jsonpath(obj, ".status.conditions[0].type") == "Authenticated"
    assert jsonpath(obj, ".status.conditions[5].type") is None
    assert jsonpath(obj, ".spec.address") is None


def test_a_table_has_name_the_crd_columns_and_cells_typed_as_the_crd_says() -> None:
    columns = printer_columns([{"name": "Healthy", "type": "string", "jsonPath": ".status.healthy"},
                               {"name": "Failures", "type": "integer", "jsonPath": ".status.failures"}])
    obj = {"metadata": {"name": "a", "creationTimestamp": "2026-01-01T00:00:00Z"},
           "status": {"healthy": True, "failures": 3}}
    result = table(columns, [obj], "7")
    assert [c["name"] for c in result["columnDefinitions"]] == ["Name", "Healthy", "Failures", "Age"]
    assert result["rows"][0]["cells"][:3] == ["a", "true", 3]
    assert result["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert result["kind"] == "Table" and result["metadata"] == {"resourceVersion": "7"}


def test_only_a_meta_v1_table_request_gets_a_table() -> None:
    kubectl = ("application/json;as=Table;v=v1;g=meta.k8s.io,"
               "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")
    assert wants_table({"Accept": kubectl})
    assert not wants_table({"accept": "application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json"})
    assert not wants_table({"Accept": "application/json"})


def test_strict_field_validation_names_each_undeclared_field() -> None:
    schema = {"type": "object", "properties": {"spec": {"type": "object", "properties": {
        "address": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "auth": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "items": {"type": "array", "items": {"type": "object", "properties": {"a": {"type": "string"}}}}}}}}
    obj = {"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "n"}, "extra": 1,
           "spec": {"address": "a", "labels": {"any": "x"}, "auth": {"anything": {}}, "typo": 1,
                    "items": [{"a": "1"}, {"b": "2"}]}}
    assert unknown_fields(obj, schema) == ["extra", "spec.typo", "spec.items[1].b"]
