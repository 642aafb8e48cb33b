"""spec.auth.bootstrap: the pair rule, the block's validation, the operator's policy, the cluster address settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic
import pytest
from click.testing import CliRunner

from vault_access_operator.cli import main
from vault_access_operator.errors import ConfigError
from vault_access_operator.models import VaultConnectionSpec
from vault_access_operator.plugin import validate_provider
from vault_access_operator.plugins.bootstrap import BootstrapConfig, BootstrapProvider
from vault_access_operator.plugins.bootstrap.cluster import CA_FILE_ENV, HOST_ENV, cluster_address
from vault_access_operator.plugins.bootstrap.policy import operator_policy
from vault_access_operator.registry import load_providers
from vault_access_operator.testing.tls import make_ca_pem
from vault_access_operator.validation import validate_spec

BOOT = {"secretRef": {"name": "boot", "key": "token"}}
K8S = {"role": "vault-access-operator"}
PAIR_ONLY = "bootstrap sets up kubernetes auth and must be paired with exactly one kubernetes block"


def spec(**auth: Any) -> dict[str, Any]:
    return {"address": "https://vault:8200", "auth": auth}


def test_the_pair_is_one_login_with_kubernetes_and_a_set_up_block() -> None:
    model = VaultConnectionSpec.model_validate(spec(bootstrap=BOOT, kubernetes=K8S))
    assert model.auth_method == "kubernetes" and model.setup_method == "bootstrap"
    assert model.auth_config == K8S
    validated = validate_spec(spec(bootstrap=BOOT, kubernetes=K8S), load_providers())
    assert validated.method == "kubernetes" and validated.mount == "kubernetes"
    assert validated.setup is not None and validated.setup.method == "bootstrap"
    assert validated.setup.config == BootstrapConfig.model_validate(BOOT)
    assert validated.setup.config.auto_revoke is True and validated.setup.config.cleanup_auth_mount is False


def test_one_method_alone_has_no_set_up_block() -> None:
    model = VaultConnectionSpec.model_validate(spec(kubernetes=K8S))
    assert model.auth_method == "kubernetes" and model.setup_method is None
    assert validate_spec(spec(kubernetes=K8S), load_providers()).setup is None


@pytest.mark.parametrize(("auth", "found"), [
    ({"bootstrap": BOOT}, "no other block"),
    ({"bootstrap": BOOT, "jwt": {"role": "r"}}, "jwt"),
    ({"bootstrap": BOOT, "kubernetes": K8S, "aws": {"role": "r"}}, "aws, kubernetes"),
])
def test_bootstrap_alone_or_with_another_method_is_refused(auth: dict[str, Any], found: str) -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        VaultConnectionSpec.model_validate(spec(**auth))
    assert f"{PAIR_ONLY} (found {found}): add spec.auth.kubernetes (the login it sets up) and remove any other " \
           "method" in str(caught.value)


def test_two_login_methods_keep_their_message() -> None:
    with pytest.raises(pydantic.ValidationError, match=r"exactly one auth method block is required under spec.auth "
                                                        r"\(found: jwt, kubernetes\)"):
        VaultConnectionSpec.model_validate(spec(jwt={"role": "r"}, kubernetes=K8S))


@pytest.mark.parametrize(("block", "message"), [
    ({}, "spec.auth.bootstrap.secretRef is required"),
    ({**BOOT, "autoRevoke": "false"}, "spec.auth.bootstrap.autoRevoke Input should be a valid boolean"),
    ({**BOOT, "cleanup": True}, "spec.auth.bootstrap.cleanup is not a known field"),
    ({"secretRef": {"name": "Not_A_Name", "key": "token"}}, "spec.auth.bootstrap.secretRef.name"),
])
def test_a_wrong_bootstrap_block_is_named_by_field(block: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        validate_spec(spec(bootstrap=block, kubernetes=K8S), load_providers())
    assert message in caught.value.message


def test_the_kubernetes_block_beside_it_is_validated_as_ever() -> None:
    with pytest.raises(ConfigError, match=r"spec\.auth\.kubernetes\.role is required"):
        validate_spec(spec(bootstrap=BOOT, kubernetes={}), load_providers())


def test_the_provider_keeps_the_contract_and_is_listed() -> None:
    assert validate_provider(BootstrapProvider) == []
    assert BootstrapProvider.sets_up == frozenset({"kubernetes"})
    listed = CliRunner().invoke(main, ["plugins"]).output
    # METHOD ROLES PLUGIN PACKAGE VERSION STATUS: bootstrap writes no roles ("-")
    assert any(line.split()[:4] == ["bootstrap", "-", "bootstrap", "vault-access-operator"] and line.endswith("ok")
               for line in listed.splitlines()), listed


def test_the_operator_policy_is_the_aws_guides_step_5_for_the_mount_plus_its_own_token() -> None:
    lines = operator_policy("clusters/prod").splitlines()
    assert lines == [
        'path "sys/policies/acl/*" { capabilities = ["create", "read", "update", "delete", "list"] }',
        'path "sys/policies/acl"   { capabilities = ["list"] }',
        'path "auth/clusters/prod/role/*" { capabilities = ["create", "read", "update", "delete", "list"] }',
        'path "auth/clusters/prod/role"   { capabilities = ["list"] }',
        'path "auth/token/lookup-self" { capabilities = ["read"] }',
        'path "auth/token/renew-self"  { capabilities = ["update"] }',
        'path "auth/token/revoke-self" { capabilities = ["update"] }',
    ]
    with_cleanup = operator_policy("clusters/prod", cleanup_auth_mount=True).splitlines()
    assert with_cleanup == [*lines, 'path "sys/auth/clusters/prod" { capabilities = ["read", "delete", "sudo"] }']


def test_the_cluster_address_comes_from_the_spec_then_the_settings_then_the_pod(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in (HOST_ENV, CA_FILE_ENV, "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(CA_FILE_ENV, str(tmp_path / "absent.crt"))
    with pytest.raises(ConfigError, match=f"set spec.auth.kubernetes.kubernetesHost, or the operator's env {HOST_ENV}"):
        cluster_address(None)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "fd00::1")
    assert cluster_address(None).host == "https://[fd00::1]:443"
    monkeypatch.setenv(HOST_ENV, "https://api.example:6443/")
    found = cluster_address(None)
    assert found.host == "https://api.example:6443" and found.ca_pem is None
    assert found.ca_source == f"no file at {tmp_path / 'absent.crt'}"
    assert cluster_address("https://spec.example:6443").host == "https://spec.example:6443"
    pem = make_ca_pem("kube")
    (tmp_path / "ca.crt").write_text(pem)
    monkeypatch.setenv(CA_FILE_ENV, str(tmp_path / "ca.crt"))
    assert cluster_address(None).ca_pem == pem.strip() + "\n"
    (tmp_path / "ca.crt").write_text("not a certificate")
    with pytest.raises(ConfigError, match="holds no PEM certificate"):
        cluster_address(None)
