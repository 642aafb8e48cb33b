"""The gcp plugin's pure pieces: the JWT claims, the endpoints from the environment, the key-file checks."""

from __future__ import annotations

import datetime
import json

import pytest

from vault_access_operator.plugin import CredentialsError
from vault_access_operator.plugins.gcp import Endpoints, iam_claims
from vault_access_operator.plugins.gcp.keyfile import parse_key

NOW = datetime.datetime(2026, 11, 30, 9, 0, 0, tzinfo=datetime.UTC)
WHERE = "key 'k' of Secret ns/s"


def test_claims_are_for_vault_role_and_fifteen_minutes_from_now() -> None:
    assert iam_claims("ops", "a@p.iam.gserviceaccount.com", NOW) == {
        "aud": "vault/ops", "sub": "a@p.iam.gserviceaccount.com", "iat": 1796029200, "exp": 1796029200 + 900}
    with pytest.raises(ValueError, match="timezone-aware"):
        iam_claims("ops", "a@p", NOW.replace(tzinfo=None))


def test_endpoints_come_from_the_environment_only() -> None:
    assert Endpoints.from_env({}) == Endpoints()
    assert Endpoints().sign_jwt_url("a@p.iam.gserviceaccount.com") == (
        "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/a@p.iam.gserviceaccount.com:signJwt")
    custom = Endpoints.from_env({"VAO_GCP_IAM_CREDENTIALS_ENDPOINT": "https://iam.psc.example/",
                                 "VAO_GCP_TOKEN_ENDPOINT": "https://token.psc.example/token",
                                 "GCE_METADATA_HOST": "10.0.0.2:8080", "GOOGLE_SERVICE_ACCOUNT_EMAIL": "x@y.com"})
    assert (custom.iam_credentials, custom.token, custom.metadata_host, custom.default_email) == (
        "https://iam.psc.example", "https://token.psc.example/token", "10.0.0.2:8080", "x@y.com")
    # An account name from a key file cannot walk the IAM URL elsewhere.
    assert Endpoints().sign_jwt_url("a/../../x?y@p.com").endswith("/serviceAccounts/a%2F..%2F..%2Fx%3Fy@p.com:signJwt")


def test_a_key_keeps_its_account_and_takes_the_operators_token_endpoint() -> None:
    text = json.dumps({"type": "service_account", "client_email": "a@p.iam.gserviceaccount.com", "private_key": "PEM",
                       "private_key_id": "k1", "token_uri": "https://collector.example/token"})
    key = parse_key(text, WHERE, "https://oauth2.googleapis.com/token")
    assert (key.client_email, key.key_id, key.info["token_uri"]) == (
        "a@p.iam.gserviceaccount.com", "k1", "https://oauth2.googleapis.com/token")
    assert "PEM" not in repr(key)


@pytest.mark.parametrize(("text", "message"), [
    ("", f"{WHERE} (credentialsSecretRef) is not JSON (Expecting value at line 1 column 1)"),
    ("[1]", f"{WHERE} (credentialsSecretRef) is JSON but not an object"),
    ("[" * 100000, f"{WHERE} (credentialsSecretRef) is JSON nested too deeply to be a key file"),
    ('{"type": "external_account"}', f"{WHERE} (credentialsSecretRef) holds credentials of type 'external_account'"),
    ('{"type": "service_account", "client_email": "a@b"}',
     f"{WHERE} (credentialsSecretRef) is a service-account key without private_key"),
])
def test_a_bad_key_file_is_named_without_its_content(text: str, message: str) -> None:
    with pytest.raises(CredentialsError) as caught:
        parse_key(text, WHERE, "https://oauth2.googleapis.com/token")
    assert caught.value.message.startswith(message), caught.value.message
