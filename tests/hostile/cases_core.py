"""Rows of the hostile-input table about the auth block itself (what the core decides before any plugin)."""

from __future__ import annotations

from tests.hostile.case import HostileCase

CASES = [
    HostileCase(
        id="unknown-auth-method",
        spec={"address": "{listener}", "auth": {"ldap": {"username": "x"}}},
        reason="PluginUnavailable",
        message="ldap",
    ),
    HostileCase(
        id="two-auth-blocks",
        spec={"address": "{listener}", "auth": {"kubernetes": {"role": "a"}, "jwt": {"role": "b"}}},
        reason="InvalidSpec",
        message="exactly one auth method block is required under spec.auth (found: jwt, kubernetes)",
    ),
    HostileCase(
        id="no-auth-block",
        spec={"address": "{listener}", "auth": {}},
        reason="InvalidSpec",
        message="exactly one auth method block is required under spec.auth (found: none)",
    ),
    HostileCase(
        id="auth-block-not-a-map",
        spec={"address": "{listener}", "auth": {"kubernetes": "role=operator"}},
        reason="InvalidSpec",
        message="spec.auth.kubernetes",
    ),
    HostileCase(
        id="kubernetes-role-missing",
        spec={"address": "{listener}", "auth": {"kubernetes": {}}},
        reason="InvalidSpec",
        message="spec.auth.kubernetes.role is required",
    ),
    HostileCase(
        id="address-not-a-url",
        spec={"address": "file:///etc/passwd", "auth": {"kubernetes": {"role": "operator"}}},
        reason="InvalidSpec",
        message="spec.address must be an http:// or https:// URL",
    ),
]
