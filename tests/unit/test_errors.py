"""Reasons are a StrEnum whose values are API (status, docs, metrics); each error class states its own."""

from __future__ import annotations

import json

from vault_access_operator import errors
from vault_access_operator.errors import Reason, VaultAccessError
from vault_access_operator.kube_errors import KubeError
from vault_access_operator.lifecycle import Backoff
from vault_access_operator.retries import short_ttl_error


def test_reasons_are_plain_strings_on_the_wire() -> None:
    assert (Reason.FORBIDDEN_BY_POLICY == "ForbiddenByPolicy"  # type: ignore[comparison-overlap]
            and f"{Reason.KUBE_THROTTLED}" == "KubernetesAPIThrottled")
    assert json.dumps({"reason": Reason.INTERNAL_ERROR}) == '{"reason": "InternalError"}'
    assert len({r.value for r in Reason}) == len(Reason)  # no two names share a value


def test_every_error_class_carries_a_reason_of_its_own_kind() -> None:
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, VaultAccessError)]
    assert VaultAccessError("x").reason == Reason.INTERNAL_ERROR  # not PluginFailed: nobody in particular
    for cls in classes:
        assert cls.reason in set(Reason), cls
    assert errors.PluginError("x").reason == Reason.PLUGIN_FAILED
    assert errors.InternalError("x").reason == Reason.INTERNAL_ERROR
    too_short = short_ttl_error(1.0, "kubernetes", Backoff())
    assert isinstance(too_short, errors.TokenTTLTooShortError) and too_short.reason == Reason.TOKEN_TTL_TOO_SHORT


def test_a_plugin_may_use_a_reason_string_of_its_own() -> None:
    assert errors.CredentialsError("x", reason="TokenExchangeDenied").reason == "TokenExchangeDenied"


def test_kube_errors_keep_their_reason_per_status() -> None:
    assert [KubeError("x", s).reason for s in (0, 429, 403, 401, 500)] == [
        Reason.KUBE_UNREACHABLE, Reason.KUBE_THROTTLED, Reason.KUBE_FORBIDDEN, Reason.KUBE_FORBIDDEN, Reason.KUBE_ERROR]
