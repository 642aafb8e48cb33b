"""A role's view of a policy decodes the policy's status, not its whole body (AccessController.view_for_role).

A role reads three fields of each policy it grants, on every pass: the deletion mark, the Vault name, the phase.
``view`` decoded the policy's whole body for them (0.2 - 0.45% of the sync CPU, bench/README.md session 9); the
deletion mark is looked up in the kept JSON bytes, and the body is decoded only when they name one. Counted here:
the JSON decodes per view. No byte is added to the record.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from tests.support.access_fakes import StatusSink
from tests.support.access_fakes import no_event as _no_event
from vault_access_operator.access.controller import AccessController
from vault_access_operator.access.role_refs import policy_view
from vault_access_operator.access.settings import AccessSettings
from vault_access_operator.access.tracked import Tracked
from vault_access_operator.connections import ConnectionRegistry

KEY = ("VaultPolicy", "team", "p")
RULES = [{"path": f"secret/data/app{i}/*", "capabilities": ["read", "list"]} for i in range(20)]


def _policy(**meta: Any) -> dict[str, Any]:
    return {"metadata": {"name": "p", "namespace": "team", "uid": "u", "generation": 1, **meta},
            "spec": {"connectionRef": "vault", "rules": RULES},
            "status": {"phase": "Active", "vaultName": "vao.team.p"}}


def _controller_with(raw: dict[str, Any]) -> AccessController:
    controller = AccessController(ConnectionRegistry(), StatusSink(), _no_event, AccessSettings(),  # type: ignore[arg-type]
                                  lambda: datetime.datetime.now(datetime.UTC))
    controller._objects[KEY] = Tracked(None, raw)  # type: ignore[arg-type]
    return controller


@pytest.mark.parametrize("meta", [{}, {"deletionTimestamp": "2026-12-01T00:00:00Z"},
                                  {"annotations": {"deletionTimestamp": "x"}}])
def test_a_role_sees_what_view_shows_and_decodes_only_the_status(monkeypatch: pytest.MonkeyPatch,
                                                                 meta: dict[str, Any]) -> None:
    controller = _controller_with(_policy(**meta))
    assert policy_view(controller.view_for_role(KEY)) == policy_view(controller.view(KEY))
    decoded: list[int] = []
    loads = json.loads

    def counting(text: Any, **kwargs: Any) -> Any:
        decoded.append(len(text))
        return loads(text, **kwargs)

    monkeypatch.setattr(json, "loads", counting)  # the json module core/access/tracked.py decodes with
    controller.view_for_role(KEY)
    body = len(controller._objects[KEY]._body)
    named = "deletionTimestamp" in json.dumps(meta)
    assert len(decoded) == (2 if named else 1)  # the status; the body only when its JSON names a deletion mark
    assert decoded.count(body) == (1 if named else 0)
    assert policy_view(controller.view_for_role(("VaultPolicy", "team", "none"))) is None
