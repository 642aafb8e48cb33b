"""spec.auth.gcp logins built by the provider, through google-auth's real transport to the Google double,
sent with the core's Vault client to the Vault gcp double (which verifies them as Vault does) in front of
a real OpenBao."""

from __future__ import annotations

import datetime
from typing import Any

import jwt
import pytest

from tests.conftest import OPERATOR_NS as NAMESPACE
from tests.support.gcp_google import GoogleDouble
from tests.support.gcp_metadata import Instance
from tests.support.gcp_vault_double import GcpVaultDouble
from vault_access_operator.plugin import LoginDeniedError
from vault_access_operator.plugins.gcp import GcpAuthConfig, GcpAuthProvider
from vault_access_operator.testing import RecordingAuthContext, login_with_async, make_login_request_async

pytest_plugins = ["tests.support.gcp_fixtures"]
ROLE = "vault-access-operator"
KEY_REF = {"name": "gcp-credentials", "key": "credentials.json"}


def email(google: GoogleDouble, name: str = "vault-access-operator") -> str:
    return f"{name}@vao-project.iam.gserviceaccount.com"


async def login(block: dict[str, Any], ctx: RecordingAuthContext, vault: GcpVaultDouble) -> Any:
    return await login_with_async(GcpAuthProvider(), block, ctx, vault.url)


@pytest.mark.asyncio
async def test_iam_with_a_key_from_the_secret(google: GoogleDouble, gcp_vault: GcpVaultDouble,
                                              gcp_ctx: RecordingAuthContext) -> None:
    account = google.accounts[email(google)]
    gcp_ctx.add_secret(NAMESPACE, "gcp-credentials", "credentials.json", google.key_json(account))
    gcp_vault.add_role(ROLE, bound_service_accounts=[account.email], policies=["vault-access-operator"])
    grant = await login({"role": ROLE, "credentialsSecretRef": KEY_REF}, gcp_ctx, gcp_vault)
    assert grant.token and gcp_vault.accepted[-1]["service_account_email"] == account.email
    # The JWT Vault got: the spec's role, the key's account, 15 minutes from the context's clock.
    signed = google.sign_requests[-1]
    now = int(gcp_ctx.now().timestamp())
    assert signed == {"caller": account.email, "target": account.email,
                      "payload": {"aud": f"vault/{ROLE}", "sub": account.email, "iat": now, "exp": now + 900}}
    assert google.token_requests == 1  # the key, exchanged at the operator's token endpoint (not the key's token_uri)


@pytest.mark.asyncio
async def test_the_request_details_name_the_account_and_the_secret(
        google: GoogleDouble, gcp_ctx: RecordingAuthContext) -> None:
    account = google.accounts[email(google)]
    gcp_ctx.add_secret(NAMESPACE, "gcp-credentials", "credentials.json", google.key_json(account))
    config = GcpAuthConfig.model_validate({"role": ROLE, "credentialsSecretRef": KEY_REF})
    request = await make_login_request_async(GcpAuthProvider(), config, gcp_ctx)
    assert (request.mount, request.role, sorted(request.body)) == ("gcp", ROLE, ["jwt", "role"])
    assert dict(request.details) == {
        "authType": "iam", "serviceAccount": account.email,
        "credentialSource": f"Secret {NAMESPACE}/gcp-credentials[credentials.json]", "keyId": account.google_key_id,
    }
    # Everything secret the login handled is registered for masking: the key JSON, its private key, the access
    # token and the signed JWT.
    key_text = google.key_json(account)
    assert {key_text, request.body["jwt"], *google.tokens} <= gcp_ctx.remembered
    assert any("PRIVATE KEY" in value for value in gcp_ctx.remembered)


@pytest.mark.asyncio
async def test_service_account_email_wins_over_the_keys_account(google: GoogleDouble, gcp_vault: GcpVaultDouble,
                                                                gcp_ctx: RecordingAuthContext) -> None:
    """The key's account signs for serviceAccountEmail (it holds Token Creator on it): Vault sees the target."""
    signer = google.accounts[email(google)]
    target = google.add_account("vault-login")
    google.grant(signer.email, target.email)
    gcp_ctx.add_secret(NAMESPACE, "gcp-credentials", "credentials.json", google.key_json(signer))
    gcp_vault.add_role(ROLE, bound_service_accounts=[target.email])
    block = {"role": ROLE, "credentialsSecretRef": KEY_REF, "serviceAccountEmail": target.email}
    request = await make_login_request_async(GcpAuthProvider(), GcpAuthConfig.model_validate(block), gcp_ctx)
    assert request.details["serviceAccount"] == target.email and request.details["signer"] == signer.email
    await login(block, gcp_ctx, gcp_vault)
    assert gcp_vault.accepted[-1]["service_account_email"] == target.email


@pytest.mark.asyncio
async def test_iam_with_workload_identity(google: GoogleDouble, on_gke: Instance, gcp_vault: GcpVaultDouble,
                                          gcp_ctx: RecordingAuthContext) -> None:
    """No key: application default credentials from the metadata server (GKE Workload Identity)."""
    gcp_vault.add_role(ROLE, bound_service_accounts=[on_gke.account])
    provider = GcpAuthProvider()
    for _ in range(2):
        await login_with_async(provider, {"role": ROLE}, gcp_ctx, gcp_vault.url)
    assert [s["target"] for s in google.sign_requests] == [on_gke.account] * 2
    assert google.token_requests == 0  # the metadata server issued the access token; kept for the second login
    assert sum(1 for t in google.tokens.values() if t == on_gke.account) == 1
    request = await make_login_request_async(provider, GcpAuthConfig.model_validate({"role": ROLE}), gcp_ctx)
    assert request.details["credentialSource"] == "application default credentials"


@pytest.mark.asyncio
async def test_gce_identity_token_from_the_metadata_server(google: GoogleDouble, on_gke: Instance,
                                                           gcp_vault: GcpVaultDouble,
                                                           gcp_ctx: RecordingAuthContext) -> None:
    gcp_vault.add_role("vm", type="gce", bound_service_accounts=[on_gke.account], bound_projects=["vao-project"])
    config = GcpAuthConfig.model_validate({"role": "vm", "authType": "gce"})
    request = await make_login_request_async(GcpAuthProvider(), config, gcp_ctx)
    assert google.identity_requests[-1] == {"audience": "vault/vm", "format": "full"}
    assert google.identity_accounts == ["default"]
    assert dict(request.details) == {"authType": "gce", "serviceAccount": on_gke.account, "project": "vao-project",
                                     "zone": "europe-west1-b", "instance": "gke-node-1"}
    assert request.body["jwt"] in gcp_ctx.remembered
    await login({"role": "vm", "authType": "gce"}, gcp_ctx, gcp_vault)
    assert gcp_vault.accepted[-1]["instance_name"] == "gke-node-1"
    assert not google.sign_requests  # gce needs no IAM call


@pytest.mark.asyncio
async def test_the_clock_is_the_contexts(google: GoogleDouble, gcp_ctx: RecordingAuthContext) -> None:
    account = google.accounts[email(google)]
    gcp_ctx.add_secret(NAMESPACE, "gcp-credentials", "credentials.json", google.key_json(account))
    gcp_ctx.clock = datetime.datetime.now(datetime.UTC).replace(microsecond=0) + datetime.timedelta(seconds=321)
    config = GcpAuthConfig.model_validate({"role": ROLE, "credentialsSecretRef": KEY_REF})
    request = await make_login_request_async(GcpAuthProvider(), config, gcp_ctx)
    claims = jwt.decode(request.body["jwt"], options={"verify_signature": False})
    assert claims["exp"] == int(gcp_ctx.clock.timestamp()) + 900


@pytest.mark.asyncio
async def test_a_role_not_bound_to_the_account_is_explained(google: GoogleDouble, gcp_vault: GcpVaultDouble,
                                                            gcp_ctx: RecordingAuthContext) -> None:
    account = google.accounts[email(google)]
    gcp_ctx.add_secret(NAMESPACE, "gcp-credentials", "credentials.json", google.key_json(account))
    gcp_vault.add_role(ROLE, bound_service_accounts=["someone@vao-project.iam.gserviceaccount.com"])
    with pytest.raises(LoginDeniedError) as caught:
        await login({"role": ROLE, "credentialsSecretRef": KEY_REF}, gcp_ctx, gcp_vault)
    assert caught.value.message == (
        f"access denied: the service account {account.email} is not bound to the role '{ROLE}' at auth/gcp "
        f'(Vault said: "service account {account.email} (id: {account.unique_id}) is not authorized for role"): '
        f"add it to the role's bound_service_accounts (bound_service_accounts={account.email}), or set "
        "spec.auth.gcp.serviceAccountEmail to an account the role binds")


@pytest.mark.asyncio
async def test_the_keys_token_uri_is_never_called(google: GoogleDouble, gcp_vault: GcpVaultDouble,
                                                  gcp_ctx: RecordingAuthContext, httpserver: Any) -> None:
    """A key is tenant input: its token_uri could name any address. The operator's token endpoint is used."""
    account = google.accounts[email(google)]
    collector = httpserver.url_for("/token")
    gcp_ctx.add_secret(NAMESPACE, "gcp-credentials", "credentials.json", google.key_json(account, token_uri=collector))
    gcp_vault.add_role(ROLE, bound_service_accounts=[account.email])
    await login({"role": ROLE, "credentialsSecretRef": KEY_REF}, gcp_ctx, gcp_vault)
    assert google.token_requests == 1 and not httpserver.log


@pytest.mark.asyncio
async def test_gce_asks_the_metadata_server_for_the_named_account(google: GoogleDouble, on_gke: Instance,
                                                                  gcp_ctx: RecordingAuthContext) -> None:
    config = GcpAuthConfig.model_validate({"role": "vm", "authType": "gce", "serviceAccountEmail": on_gke.account})
    request = await make_login_request_async(GcpAuthProvider(), config, gcp_ctx)
    assert request.details["serviceAccount"] == on_gke.account
    assert google.identity_accounts == [on_gke.account]
