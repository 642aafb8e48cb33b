"""Status is a pure function of what the runtime observed."""

from __future__ import annotations

import datetime
from typing import Any

from vault_access_operator.conditions import status_body
from vault_access_operator.errors import Reason
from vault_access_operator.redact import Redactor
from vault_access_operator.status import Observation, VaultConnectionStatus
from vault_access_operator.status import build_status as build_model

T0 = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)


def active() -> Observation:
    return Observation(
        generation=3,
        method="kubernetes",
        mount="kubernetes",
        phase="Active",
        reason=Reason.CONNECTED,
        message="",
        authenticated=True,
        vault_version="2.7.2",
        accessor="acc",
        expires_at=T0 + datetime.timedelta(hours=1),
        last_login=T0,
        login_count=1,
    )


def build_status(obs: Observation, now: datetime.datetime, previous: dict[str, Any] | None) -> dict[str, Any]:
    """The status as written: built as the model, dumped as its JSON (previous as read back)."""
    last = VaultConnectionStatus.model_validate(previous) if previous is not None else None
    return status_body(build_model(obs, now, last))


def test_unset_fields_are_left_out_not_written_as_null() -> None:
    status = build_status(Observation(generation=None, method="kubernetes"), T0, None)
    assert "vaultVersion" not in status and "observedGeneration" not in status
    assert status["authStatus"] == {"authMethod": "kubernetes", "tokenRenewalCount": 0, "loginCount": 0, "details": {}}
    assert all("observedGeneration" not in c for c in status["conditions"])


def test_active_status_fills_every_field() -> None:
    status = build_status(active(), T0, None)
    assert status["phase"] == "Active" and status["healthy"] is True
    assert status["observedGeneration"] == 3 and status["vaultVersion"] == "2.7.2"
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Ready"]["status"] == "True" and conditions["Ready"]["reason"] == "Connected"
    assert conditions["Authenticated"]["status"] == "True"
    assert status["authStatus"]["tokenExpiration"] == "2026-01-01T13:00:00Z"
    assert status["authStatus"]["lastLogin"] == "2026-01-01T12:00:00Z"


def test_transition_time_only_moves_when_the_status_flips() -> None:
    first = build_status(active(), T0, None)
    later = T0 + datetime.timedelta(minutes=5)
    same = build_status(active(), later, first)
    assert same["conditions"] == first["conditions"]
    failed = active()
    failed.phase, failed.reason, failed.message = "Error", Reason.VAULT_UNREACHABLE, "cannot reach Vault"
    flipped = build_status(failed, later, first)
    ready = next(c for c in flipped["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "False" and ready["reason"] == "VaultUnreachable"
    assert ready["lastTransitionTime"] == "2026-01-01T12:05:00Z"
    assert flipped["healthy"] is False and flipped["message"] == "cannot reach Vault"
    # Vault being down says nothing about the token: Authenticated did not flip
    auth = next(c for c in flipped["conditions"] if c["type"] == "Authenticated")
    assert auth["status"] == "True" and auth["lastTransitionTime"] == "2026-01-01T12:00:00Z"


def test_redactor_masks_known_values_and_secret_shapes() -> None:
    redact = Redactor()
    redact.remember("my-very-secret-value")
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJlLXBhcnQ"
    text = (
        f"value my-very-secret-value jwt {jwt} token hvs.CAESIJ2k3j4k5l6m7n8o9p0q1r2s3t4u5v6w "
        "key AKIAIOSFODNN7EXAMPLE X-Amz-Signature=abcdef0123456789 'X-Vault-Token': 's.abc'"
    )
    clean = redact(text)
    for secret in ("my-very-secret-value", jwt, "hvs.CAES", "AKIAIOSFODNN7EXAMPLE", "abcdef0123456789", "s.abc"):
        assert secret not in clean
    assert clean.count("***") == 6
    assert redact("connected to Vault at https://vault:8200") == "connected to Vault at https://vault:8200"


def test_redactor_masks_credentials_in_library_output() -> None:
    redact = Redactor()
    text = ('<SecretAccessKey>wJalrXUtnFEMI/K7MDENG</SecretAccessKey><SessionToken>IQoJb3JpZ2luX2Vj</SessionToken> '
            '{"client_token": "hvs.abc", "secret_id": "8f2a-11"} aws_secret_access_key=wJalrXUtn')
    clean = redact(text)
    for secret in ("wJalrXUtnFEMI", "IQoJb3JpZ2luX2Vj", "hvs.abc", "8f2a-11", "wJalrXUtn"):
        assert secret not in clean
