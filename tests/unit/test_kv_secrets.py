"""VaultKVSecret's spec, CRD, samples and KV tenancy rules (pure; the Vault side is in tests/e2e/test_kv_secrets.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pydantic
import pytest
import yaml

from vault_access_operator.access.kv_models import VaultKVSecretSpec
from vault_access_operator.access.kv_tenancy import check_kv_path
from vault_access_operator.access.kv_vault import KVMetadata, NotKV2Error, locate, owner_stamp
from vault_access_operator.access.tenancy import FLAG_CONFINEMENT, TenancyError, tenancy_for
from vault_access_operator.models import Confinement, TenancySpec

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = list(yaml.safe_load_all((ROOT / "tests/data/kv_samples.yaml").read_text()))
CRD = yaml.safe_load((ROOT / "charts/vault-access-operator/crds/vaultkvsecrets.yaml").read_text())
SCHEMA: dict[str, Any] = CRD["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


@pytest.mark.parametrize("sample", SAMPLES, ids=[s["metadata"]["name"] for s in SAMPLES])
def test_a_sample_validates(sample: dict[str, Any]) -> None:
    jsonschema.validate(sample, SCHEMA)
    spec = VaultKVSecretSpec.model_validate(sample["spec"])
    assert spec.deletion_policy in ("Delete", "Retain")


def test_the_crd_keeps_the_replaced_operators_face() -> None:
    version = CRD["spec"]["versions"][0]
    assert CRD["spec"]["names"]["shortNames"] == ["vks"] and CRD["spec"]["scope"] == "Namespaced"
    assert [c["jsonPath"] for c in version["additionalPrinterColumns"]] == [
        ".status.vaultPath", ".status.phase", ".status.seeded", ".metadata.creationTimestamp"]
    path = SCHEMA["properties"]["spec"]["properties"]["path"]
    assert {"rule": "self == oldSelf", "message": path["x-kubernetes-validations"][0]["message"]} \
        == path["x-kubernetes-validations"][0]
    assert SCHEMA["properties"]["spec"]["properties"]["deletionPolicy"]["default"] == "Delete"


@pytest.mark.parametrize("path", ["secret/data/a", "secret/data/apps/x/y", "kv/team/data/app", "a/b/c/data/d/e"])
def test_paths_with_a_data_segment_are_accepted(path: str) -> None:
    VaultKVSecretSpec.model_validate({"connectionRef": "v", "path": path})


@pytest.mark.parametrize("path", ["secret/app", "data/x", "secret/data/", "secret/data/a/../b", "/secret/data/a",
                                  "secret//data/a", "secret/data/a b", "secret/data/a?x"])
def test_paths_without_a_proper_data_segment_are_refused(path: str) -> None:
    with pytest.raises(pydantic.ValidationError):
        VaultKVSecretSpec.model_validate({"connectionRef": "v", "path": path})


def test_a_key_in_data_and_data_from_is_refused_by_both_the_model_and_the_crd() -> None:
    spec = {"connectionRef": "v", "path": "secret/data/a", "data": {"pw": ""},
            "dataFrom": {"pw": {"secretKeyRef": {"name": "db", "key": "pw"}}}}
    with pytest.raises(pydantic.ValidationError, match="pw are in both data and dataFrom"):
        VaultKVSecretSpec.model_validate(spec)
    rule = SCHEMA["properties"]["spec"]["x-kubernetes-validations"][0]["rule"]
    assert "self.dataFrom.all(k, !(k in self.data))" in rule


def test_the_mount_vault_reports_splits_the_path() -> None:
    assert locate("kv/team/data/app/x", "kv/team/").rel == "app/x"
    assert locate("kv/team/data/app/x", "kv/team").metadata_path == "kv/team/metadata/app/x"
    assert locate("secret/data/kv/data/x", "secret/").rel == "kv/data/x"  # the first data/ after the mount
    with pytest.raises(NotKV2Error, match="must be kv/data/<path>"):
        locate("kv/team/data/app", "kv/")  # Vault says the mount is kv/: team/... is not data/


def test_ownership_needs_the_identity_and_the_object() -> None:
    stamp = owner_stamp("east", "team-a/app", 3, "2026-01-01T00:00:00Z")
    assert KVMetadata(3, stamp).owned_by("east", "team-a/app")
    assert KVMetadata(3, stamp).seeded_version == 3
    assert not KVMetadata(3, stamp).owned_by("west", "team-a/app")
    assert not KVMetadata(3, stamp).owned_by("east", "team-a/other")
    assert not KVMetadata(3, {**stamp, "managed-by": "someone"}).owned_by("east", "team-a/app")


def _tenancy(confinement: str = "none", flag: Confinement | None = None, **more: Any) -> Any:
    return tenancy_for(TenancySpec.model_validate({"confinement": confinement, **more}), flag)


def test_no_tenancy_settings_refuse_nothing() -> None:
    check_kv_path("secret/data/anything/at/all", "secret", "team-a", _tenancy())


def test_confinement_keeps_a_namespace_in_its_own_area_of_any_kv_mount() -> None:
    confined = _tenancy("namespace")
    check_kv_path("secret/data/team-a/app", "secret", "team-a", confined)
    check_kv_path("kv/team/data/team-a/app/x", "kv/team", "team-a", confined)
    for path, mount in (("secret/data/team-b/app", "secret"), ("secret/data/team-a", "secret"),
                        ("secret/data/team-ab/x", "secret"), ("kv/team/data/team-a-x/y", "kv/team")):
        with pytest.raises(TenancyError, match=r"refused by the VaultConnection's spec.tenancy.confinement=namespace"):
            check_kv_path(path, mount, "team-a", confined)
    with pytest.raises(TenancyError, match="refused by --tenancy-confinement") as error:
        check_kv_path("secret/data/team-b/app", "secret", "team-a", _tenancy(flag=Confinement.NAMESPACE))
    assert error.value.setting == FLAG_CONFINEMENT


def test_allowed_kv_paths_decide_and_name_the_setting() -> None:
    listed = _tenancy(allowedKVPaths=["secret/data/apps/{{namespace}}/*", "shared/data/common/*"])
    check_kv_path("secret/data/apps/team-a/db", "secret", "team-a", listed)
    check_kv_path("shared/data/common/x", "shared", "team-a", listed)
    with pytest.raises(TenancyError, match=r"spec\.tenancy\.allowedKVPaths lists") as error:
        check_kv_path("secret/data/apps/team-b/db", "secret", "team-a", listed)
    assert error.value.setting == "spec.tenancy.allowedKVPaths"
    # Under confinement only the globs pinned to the namespace count.
    confined = _tenancy("namespace", allowedKVPaths=["secret/data/apps/{{namespace}}/*", "shared/data/common/*",
                                                     "*/data/{{namespace}}/*"])
    check_kv_path("secret/data/apps/team-a/db", "secret", "team-a", confined)
    for path, mount in (("shared/data/common/x", "shared"), ("x/data/team-a/y", "x")):
        with pytest.raises(TenancyError, match="only the globs with"):
            check_kv_path(path, mount, "team-a", confined)


def test_allowed_namespaces_and_denied_prefixes_apply_to_kv_too() -> None:
    with pytest.raises(TenancyError, match="allowedNamespaces"):
        check_kv_path("secret/data/team-a/x", "secret", "team-a", _tenancy(allowedNamespaces=["team-b"]))
    with pytest.raises(TenancyError, match="deniedPathPrefixes"):
        check_kv_path("secret/data/team-a/x", "secret", "team-a", _tenancy(deniedPathPrefixes=["secret/metadata/"]))
