"""spec.discovery's model, the rules an auto-created VaultPolicy mirrors, and the adoption hold (pure parts;
the scans themselves run against OpenBao in tests/e2e/test_discovery.py)."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from vault_access_operator.access.discovery_adopt import rules_of
from vault_access_operator.access.discovery_hold import adoption_hold
from vault_access_operator.access.discovery_models import DependantsStatus
from vault_access_operator.access.discovery_scan import _owner, suggested_name
from vault_access_operator.access.outcome import Outcome
from vault_access_operator.models import DiscoverySpec, VaultConnectionSpec


def test_the_replaced_operators_fields_and_defaults() -> None:
    spec = DiscoverySpec.model_validate({"enabled": True})
    assert spec.interval == 3600 and spec.exclude_system_policies and not spec.auto_create_crs
    full = DiscoverySpec.model_validate({"enabled": True, "interval": "30m", "policyPatterns": ["app-*"],
                                         "rolePatterns": ["r?"], "excludeSystemPolicies": False,
                                         "customSystemPolicies": ["ops"], "autoCreateCRs": True,
                                         "targetNamespace": "adopt"})
    assert full.interval == 1800 and full.target_namespace == "adopt"
    assert DiscoverySpec.model_validate({"interval": "1m"}).effective_interval == 300  # at least 5m
    connection = VaultConnectionSpec.model_validate({"address": "http://v:8200", "auth": {"kubernetes": {}},
                                                     "discovery": {"enabled": True, "interval": "2h"}})
    assert connection.discovery is not None and connection.discovery.interval == 7200


@pytest.mark.parametrize(("body", "text"), [
    ({"autoCreateCRs": True}, "targetNamespace is required"),
    ({"policyPatterns": ["app-[ab"]}, "every \\[ needs its \\]"),
    ({"enabled": "yes"}, "valid boolean"),
    ({"unknown": 1}, "Extra inputs"),
])
def test_bad_discovery_settings_are_refused(body: dict[str, Any], text: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=text):
        DiscoverySpec.model_validate(body)


def test_rules_a_vault_policy_can_express_are_mirrored() -> None:
    document = '''
path "secret/data/team/*" { capabilities = ["read", "list"] }
path "sys/mounts" {
  capabilities = ["read"]
  allowed_parameters = { "*" = ["a", "b"] }
  required_parameters = ["x"]
}'''
    assert rules_of(document) == [
        {"path": "secret/data/team/*", "capabilities": ["read", "list"]},
        {"path": "sys/mounts", "capabilities": ["read"], "parameters": {"allowed": ["a", "b"], "required": ["x"]}}]


@pytest.mark.parametrize("document", [
    'path "a" { capabilities = ["read", "patch"] }',  # patch is not in the CRD's enum
    'path "a" { capabilities = ["read"] allowed_parameters = { "ttl" = ["1h"] } }',  # per-parameter list
    'path "a" { capabilities = ["read"] min_wrapping_ttl = "1h" }',
    'path "secret/{{identity.entity.id}}/*" { capabilities = ["read"] }',
    'path "a" { capabilities = ["read"',
    "",
])
def test_rules_it_cannot_express_exactly_are_not_mirrored(document: str) -> None:
    assert rules_of(document) is None


def test_names_and_owners() -> None:
    assert suggested_name("Team_App.read") == "team-app-read"
    assert _owner("vao.e2e.team-a.app", "e2e") == "team-a/app"
    assert _owner("vao.e2e._.shared", "e2e") == "shared"
    assert _owner("vao.e2e.team-a.app.v2", "e2e") == "team-a/app.v2"
    assert _owner("vao.west.team-a.app", "e2e") is None


def test_the_vault_name_annotation_is_honoured_only_in_the_target_namespace() -> None:
    spec = VaultConnectionSpec.model_validate({"address": "http://v:8200", "auth": {"kubernetes": {}},
                                               "discovery": {"autoCreateCRs": True, "targetNamespace": "adopt"}})
    name = {"vault.platform.io/vault-name": "team-app-read"}
    assert adoption_hold("adopt", name, spec) == "team-app-read"
    refused = adoption_hold("team-a", name, spec)
    assert isinstance(refused, Outcome) and "honoured only in the VaultConnection's spec.discovery.targetNamespace" \
        in refused.message
    # Pending or not, the name stands: sync_policy writes nothing while discovery-pending is set
    # (tests/unit/test_policy_annotations.py).
    assert adoption_hold("adopt", {**name, "vault.platform.io/discovery-pending": "true"}, spec) == "team-app-read"
    assert adoption_hold("team-a", {}, spec) is None


def test_dependants_say_what_they_are() -> None:
    assert DependantsStatus(policies=2, kv_secrets=1).describe() == "2 policies, 1 KV secret"
    assert DependantsStatus(policies=2, kv_secrets=1).total == 3
