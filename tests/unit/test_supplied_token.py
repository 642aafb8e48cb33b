"""What the core makes of a supplied token's lookup (core/supplied_token.py): its lease and the facts shown."""

from __future__ import annotations

from vault_access_operator.supplied_token import grant_from_lookup, lookup_facts, rejected

LOOKUP = {"accessor": "acc-1", "id": "s.the-token-itself", "ttl": 3599, "renewable": True, "period": 3600,
          "policies": ["team-a", "default"], "type": "service", "expire_time": "2030-01-01T00:00:00Z"}


def test_the_lease_comes_from_the_lookup() -> None:
    grant = grant_from_lookup("s.the-token-itself", LOOKUP)
    assert (grant.accessor, grant.ttl, grant.renewable) == ("acc-1", 3599.0, True)
    assert "the-token" not in repr(grant)


def test_a_token_expiring_within_the_second_is_not_taken_for_one_that_never_expires() -> None:
    assert grant_from_lookup("t", {**LOOKUP, "ttl": 0}).ttl == 1.0  # Vault rounds the remainder down
    assert grant_from_lookup("t", {**LOOKUP, "ttl": 0, "expire_time": None}).ttl == 0.0  # a root token


def test_the_facts_shown_are_policies_type_renewability_and_period_never_the_id() -> None:
    assert lookup_facts(LOOKUP) == {"policies": "default,team-a", "tokenType": "service", "renewable": "true",
                                    "period": "1h"}
    batch = {"policies": ["default"], "type": "batch", "renewable": False}
    assert lookup_facts(batch) == {"policies": "default", "tokenType": "batch", "renewable": "false"}


def test_a_rejected_token_is_credentials_rejected_and_retried() -> None:
    error = rejected("Vault rejected the token in Secret x: permission denied")
    assert error.reason == "CredentialsRejected" and error.retryable
    assert error.message.startswith("Vault rejected the token in Secret x: permission denied: it has expired")
