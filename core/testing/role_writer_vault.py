"""Round trip of a role writer's payload through a real Vault or OpenBao auth mount.

    report = role_round_trip(bao.url, "root", MyWriter(), binding, config)
    assert report.differences == [] and report.ownership == binding.ownership

It writes the payload to ``writer.role_path(binding)`` the way the operator does (the operator's own
VaultAPI: JSON body, PUT), reads the role back and asks the writer for its differences and the ownership
it finds. ``changed_field_is_seen`` then edits one field by hand (as a person with the Vault CLI would)
and checks that ``differences`` names it. The mount must exist (``bao auth enable ...``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ..role_writer import RoleBinding, RoleWriter
from ..vault_api import VaultAPI
from ..vault_transport import VaultHTTP
from .sync import run_sync

__all__ = ["RoundTrip", "changed_field_is_seen", "role_round_trip"]


@dataclasses.dataclass(frozen=True)
class RoundTrip:
    """What one round trip saw: the payload sent, the role read back, and the writer's verdicts on it."""

    payload: dict[str, Any]
    read_back: dict[str, Any]
    differences: list[str]
    ownership: Mapping[str, str] | None


async def _exchange(url: str, token: str, path: str, body: dict[str, Any] | None, verify: Any) -> dict[str, Any]:
    async with VaultHTTP() as http:
        vault = VaultAPI(url, verify, http)
        if body is not None:
            await vault.write(path, body, token=token)
        role = await vault.read(path, token=token)
    if role is None:
        raise AssertionError(f"{path} reads back as missing after the write")
    return role


def role_round_trip(
    url: str, token: str, writer: RoleWriter[Any], binding: RoleBinding, config: Any = None, *, verify: Any = True
) -> RoundTrip:
    """Write ``writer.payload(binding, config)`` to the server at ``url`` and read it back."""
    body = writer.payload(binding, config)
    role = run_sync(_exchange(url, token, writer.role_path(binding), body, verify))
    return RoundTrip(body, role, writer.differences(body, role), writer.ownership_of(role))


def changed_field_is_seen(
    url: str, token: str, writer: RoleWriter[Any], binding: RoleBinding, trip: RoundTrip, field: str, value: Any,
    *, verify: Any = True,
) -> list[str]:
    """Change one field of the role in Vault by hand; return ``differences`` (it must name ``field``).

    The edit writes the payload again with that one field changed: some backends reset fields a write
    leaves out (OpenBao's jwt roles become role_type oidc), so a one-field write would change several.
    """
    edited = {**trip.payload, field: value}
    role = run_sync(_exchange(url, token, writer.role_path(binding), edited, verify))
    return writer.differences(trip.payload, role)
