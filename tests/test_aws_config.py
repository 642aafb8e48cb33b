"""spec.auth.aws: the guide's YAML validates unchanged; mistakes are reported, never ignored."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from vault_access_operator.plugin import ConfigError
from vault_access_operator.plugins.aws_iam import AwsAuthConfig, AwsAuthProvider
from vault_access_operator.registry import load_providers
from vault_access_operator.validation import validate_spec

GUIDE_YAML = """
apiVersion: vault.platform.io/v1alpha1
kind: VaultConnection
metadata:
  name: vault-aws
spec:
  address: https://vault.example.com:8200
  tls:
    caSecretRef:
      name: vault-ca-cert
      namespace: vault-access-operator-system
      key: ca.crt
  auth:
    aws:
      role: vault-access-operator
      authType: iam
      # region: us-west-2
      # stsEndpoint: https://...
      # iamServerIdHeaderValue: ...
"""


def spec_with(aws: dict[str, Any]) -> dict[str, Any]:
    return {"address": "https://vault.example.com:8200", "auth": {"aws": aws}}


def test_guide_yaml_validates_with_defaults() -> None:
    spec = yaml.safe_load(GUIDE_YAML)["spec"]
    validated = validate_spec(spec, load_providers())
    config = validated.config
    assert isinstance(validated.provider, AwsAuthProvider)
    assert isinstance(config, AwsAuthConfig)
    assert (config.role, config.auth_type, config.auth_path) == ("vault-access-operator", "iam", "aws")
    assert config.region is None and config.sts_endpoint is None and config.iam_server_id_header_value is None
    assert validated.mount == "aws"


def test_every_field_by_its_camel_case_name() -> None:
    config = AwsAuthConfig.model_validate({
        "role": "r", "authPath": "aws-eks/", "authType": "iam", "region": "us-gov-west-1",
        "stsEndpoint": "https://vpce-1.sts.us-gov-west-1.vpce.amazonaws.com", "iamServerIdHeaderValue": "vault.x",
        "roleArn": "arn:aws-us-gov:iam::123456789012:role/path/vault", "externalId": "ext-1", "sessionName": "vao@x",
    })
    assert AwsAuthProvider().mount(config) == "aws-eks"
    assert config.model_dump(by_alias=True, exclude_none=True)["iamServerIdHeaderValue"] == "vault.x"


@pytest.mark.parametrize(("aws", "expected"), [
    ({}, "spec.auth.aws.role is required"),
    ({"role": ""}, "spec.auth.aws.role"),
    ({"role": "r", "authType": "ldap"}, "spec.auth.aws.authType"),
    ({"role": "r", "region": "Mars"}, "spec.auth.aws.region must match"),
    ({"role": "r", "stsEndpoint": "sts.amazonaws.com"}, "stsEndpoint must be an http:// or https:// URL, such as https://sts."),
    ({"role": "r", "roleArn": "arn:aws:iam::123:role/x"}, "spec.auth.aws.roleArn must match"),
    ({"role": "r", "externalId": "ext-1"}, "externalId is only used with roleArn"),
    ({"role": "r", "sessionName": "s1"}, "sessionName is only used with roleArn"),
    ({"role": "r", "authType": "ec2", "iamServerIdHeaderValue": "v"}, "iamServerIdHeaderValue only apply"),
    ({"role": "r", "nonceSecretRef": {"name": "n", "key": "k"}}, "nonceSecretRef only applies to authType ec2"),
    ({"role": "r", "headerValue": "v"}, "spec.auth.aws.headerValue is not a known field"),
    ({"role": 7}, "spec.auth.aws.role"),
])
def test_mistakes_are_reported_with_the_field(aws: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        validate_spec(spec_with(aws), load_providers())
    assert expected in error.value.message
    assert error.value.retryable is False


def test_ec2_accepts_region_and_nonce_secret() -> None:
    config = AwsAuthConfig.model_validate(
        {"role": "r", "authType": "ec2", "region": "eu-west-1", "nonceSecretRef": {"name": "nonce", "key": "n"}})
    assert config.nonce_secret_ref is not None and config.nonce_secret_ref.name == "nonce"


def test_model_is_strict_and_frozen() -> None:
    with pytest.raises(ValidationError):
        AwsAuthConfig.model_validate({"role": "r", "authType": ["iam"]})
    config = AwsAuthConfig.model_validate({"role": "r"})
    with pytest.raises(ValidationError):
        config.role = "other"
