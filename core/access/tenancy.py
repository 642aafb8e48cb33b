"""Tenancy rules for namespaced access objects: the interface, with the default (confinement off) behaviour.

The tenancy work (issue 14, tenancy helper) owns this module's real content: which namespaces may use a
connection, confinement of namespaced policies, allow-lists. This version keeps the agreed interface and
allows every rule, as the replaced operator does at its defaults.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from ..errors import VaultAccessError


class TenancyError(VaultAccessError):
    """A rule the connection's tenancy settings refuse; the message names the rule, its path and the setting."""

    reason = "TenancyViolation"
    retryable = False


class PolicyRuleLike(Protocol):
    @property
    def path(self) -> str: ...

    @property
    def capabilities(self) -> Sequence[str]: ...


@dataclasses.dataclass(frozen=True)
class PolicyScope:
    namespace: str | None  # None for VaultClusterPolicy


@dataclasses.dataclass(frozen=True)
class TenancySettings:
    """The effective tenancy of one connection (default: no confinement)."""

    confine_namespaced: bool = False


def tenancy_for(block: Mapping[str, Any] | None, operator_override: Any = None) -> TenancySettings:
    """The settings a connection's ``spec.tenancy`` block gives, with the operator-wide override applied."""
    return TenancySettings()


def check_policy_rules(rules: Sequence[PolicyRuleLike], scope: PolicyScope, tenancy: TenancySettings) -> None:
    """Raise TenancyError for the first rule ``tenancy`` refuses in ``scope``; at the default, none is refused."""
    return None
