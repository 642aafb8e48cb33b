"""VaultConnections with auth.aws through the real operator: fake Kubernetes API, IRSA via botocore
against moto STS, the Vault auth/aws double in front of a real OpenBao (real tokens and renewal)."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.conftest import OPERATOR_NS, OPERATOR_SA
from tests.e2e.helpers import wait_status
from tests.support.aws_helpers import AwsEnv
from tests.support.aws_moto import ACCOUNT, MotoAws
from tests.support.aws_vault_double import AwsVaultDouble
from vault_access_operator.testing.openbao import OpenBaoServer
from vault_access_operator_devkit.kube import FakeKube
from vault_access_operator_devkit.operator import RunningOperator

pytest_plugins = ["tests.support.aws_fixtures"]
ROLE = "vault-access-operator-role"
SESSION_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/vault-access-operator"
SERVER_ID = "vault.example.com"


@pytest.fixture
def irsa_role(aws_env: AwsEnv, moto_aws: MotoAws, vault_double_bao: AwsVaultDouble, openbao: OpenBaoServer) -> str:
    """The guide's setup: an IRSA role for the operator, Vault's aws auth bound to it (steps 2-6)."""
    role_arn = moto_aws.create_role(ROLE)
    openbao.client().sys.create_or_update_policy("vault-access-operator", 'path "sys/policies/acl" {\n'
                                                 '  capabilities = ["list"]\n}')
    vault_double_bao.configure(iam_server_id_header_value=SERVER_ID, sts_region="us-west-2")
    vault_double_bao.add_role("vault-access-operator", auth_type="iam", bound_iam_principal_arn=role_arn,
                              policies="vault-access-operator", ttl="1h")
    vault_double_bao.add_role("short", bound_iam_principal_arn=role_arn, ttl="2s", max_ttl="4s")
    moto_aws.signatures(True)
    aws_env.irsa(role_arn, moto_aws.url, region="us-west-2")  # what EKS injects into the operator pod
    return role_arn


def aws_spec(double: AwsVaultDouble, **aws: Any) -> dict[str, Any]:
    block = {"role": "vault-access-operator", "authType": "iam", "iamServerIdHeaderValue": SERVER_ID, **aws}
    return {"address": double.url, "auth": {"aws": block}, "healthCheckInterval": "30s"}


def test_aws_connection_becomes_active(fake_kube: FakeKube, irsa_role: str, vault_double_bao: AwsVaultDouble,
                                       openbao: OpenBaoServer, operator: RunningOperator) -> None:
    fake_kube.create_vaultconnection("vault-aws", aws_spec(vault_double_bao))
    status = wait_status(fake_kube, "vault-aws", lambda s: s.get("phase") == "Active", "became Active")
    assert status["healthy"] is True and status["vaultVersion"] and status["message"] == ""
    conditions = {c["type"]: c for c in status["conditions"]}
    assert (conditions["Ready"]["status"], conditions["Authenticated"]["reason"]) == ("True", "LoggedIn")
    auth = status["authStatus"]
    assert (auth["authMethod"], auth["authPath"]) == ("aws", "aws")
    assert auth["tokenAccessor"] and auth["tokenExpiration"] and auth["lastLogin"] and auth["loginCount"] == 1
    assert auth["details"] == {
        "authType": "iam", "region": "us-west-2", "regionSource": "AWS_REGION",
        "stsEndpoint": "https://sts.us-west-2.amazonaws.com", "credentialSource": "assume-role-with-web-identity",
        "iamRoleArn": irsa_role, "iamServerIdHeaderValue": SERVER_ID,
    }
    # The accessor on status is OpenBao's: the token Vault (the double) issued for the IRSA session.
    looked_up = openbao.client().auth.token.lookup_accessor(auth["tokenAccessor"])["data"]
    assert looked_up["meta"]["client_arn"] == SESSION_ARN
    assert "vault-access-operator" in looked_up["policies"]
    everything = repr(fake_kube.get_vaultconnection("vault-aws")) + repr(fake_kube.list_events())
    assert "X-Amz-Security-Token" not in everything and "iam_request_headers" not in everything
    assert "AWS_ACCESS_KEY_ID" not in os.environ  # credentials never reach the process environment


def test_aws_token_is_renewed_then_logged_in_again(fake_kube: FakeKube, irsa_role: str,
                                                   vault_double_bao: AwsVaultDouble,
                                                   operator: RunningOperator) -> None:
    fake_kube.create_vaultconnection("vault-aws-short", aws_spec(vault_double_bao, role="short"))
    renewed = wait_status(fake_kube, "vault-aws-short",
                          lambda s: (s.get("authStatus") or {}).get("tokenRenewalCount", 0) >= 1, "renewed")
    assert renewed["phase"] == "Active" and renewed["authStatus"]["tokenLastRenewed"]
    # On a loaded machine a 2 s token can expire before its renewal lands; the connection then shows Error until
    # a healthy cycle after the new login completes, so wait for both.
    def relogged_and_active(status: dict[str, Any]) -> bool:
        return (status.get("authStatus") or {}).get("loginCount", 0) >= 2 and status.get("phase") == "Active"

    relogged = wait_status(fake_kube, "vault-aws-short", relogged_and_active, "logged in again and Active")
    assert relogged["authStatus"]["loginCount"] >= 2
    signatures = {login["iam_request_headers"] for login in vault_double_bao.logins}
    assert len(signatures) >= 2  # every login signs a fresh request


def test_access_denied_is_explained_on_status(fake_kube: FakeKube, irsa_role: str,
                                              vault_double_bao: AwsVaultDouble, operator: RunningOperator) -> None:
    vault_double_bao.add_role("elsewhere", bound_iam_principal_arn=f"arn:aws:iam::{ACCOUNT}:role/other")
    fake_kube.create_vaultconnection("vault-aws-denied", aws_spec(vault_double_bao, role="elsewhere"))
    status = wait_status(fake_kube, "vault-aws-denied", lambda s: s.get("phase") == "Error", "failed")
    assert status["message"].startswith(f"access denied: Vault denied login for role 'elsewhere' at auth/aws: the "
                                        f"IAM principal presented, {SESSION_ARN}, is not bound to the role")
    assert f"it must be the IAM role ARN {irsa_role}" in status["message"]
    conditions = {c["type"]: c for c in status["conditions"]}
    assert (conditions["Authenticated"]["status"], conditions["Authenticated"]["reason"]) == ("False", "LoginDenied")


def test_no_credentials_found_on_status(fake_kube: FakeKube, aws_env: AwsEnv, moto_aws: MotoAws,
                                        vault_double_bao: AwsVaultDouble, operator: RunningOperator) -> None:
    aws_env.set(AWS_REGION="us-west-2")  # but no IRSA: the service account is not annotated
    fake_kube.create_vaultconnection("vault-aws-nocreds", aws_spec(vault_double_bao))
    status = wait_status(fake_kube, "vault-aws-nocreds", lambda s: s.get("phase") == "Error", "failed")
    assert status["message"].startswith("no credentials found")
    assert f"annotate service account {OPERATOR_NS}/{OPERATOR_SA} with eks.amazonaws.com/role-arn=" in (
        status["message"])
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Authenticated"]["reason"] == "CredentialsNotFound"
