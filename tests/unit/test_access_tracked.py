"""What the access controller keeps per object (core/access/tracked.py): few allocations, the written status once."""

from __future__ import annotations

import gc
import json
import sys
from typing import Any

from vault_access_operator.access.tracked import Tracked

RECORDS = 300
#: Allocations one record may hold: itself, the body and status bytes, its clock reading (until session 10 also its
#: wake-up event). A parsed VaultPolicy with its status held about 60 (bench/README.md).
BLOCKS_PER_RECORD = 12


def _status(i: int, reason: str = "Succeeded") -> dict[str, Any]:
    conditions = [{"type": kind, "status": "True", "reason": reason, "message": "", "observedGeneration": 1,
                   "lastTransitionTime": f"2026-11-30T13:{i % 60:02d}:21Z"} for kind in ("Ready", "Synced", "Drifted")]
    return {"phase": "Active", "vaultName": f"vao.default.team-{i}.policy-{i}", "observedGeneration": 1,
            "lastSyncedAt": f"2026-11-30T13:{i % 60:02d}:21Z", "lastAppliedHash": f"{i:064x}", "conditions": conditions}


def _body(i: int, status: dict[str, Any] | None = None, version: int = 1) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "vault.platform.io/v1alpha1", "kind": "VaultPolicy",
        "metadata": {"name": f"policy-{i}", "namespace": f"team-{i}", "uid": f"uid-{i:08d}", "generation": 1,
                     "resourceVersion": str(version), "finalizers": ["vault.platform.io/finalizer"],
                     "managedFields": [{"manager": "kubectl", "operation": "Apply", "fieldsType": "FieldsV1",
                                        "fieldsV1": {"f:spec": {"f:rules": {}, "f:connectionRef": {}}}}]},
        "spec": {"connectionRef": f"vault-{i % 7}", "rules": [{"path": f"secret/data/{i}/*",
                                                                "capabilities": ["read", "list"]}]}}
    if status is not None:
        body["status"] = status
    return body


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")))


def _as_the_api_server_sends_it(value: Any) -> Any:
    """A copy parsed from JSON, keys sorted (a real API server reorders a custom object's fields)."""
    return json.loads(json.dumps(value, sort_keys=True))


def _written_and_seen_again(i: int) -> Tracked:
    """A record after a first pass: seen, its status written, then the watch event carrying that status."""
    tracked = Tracked(adapter=None, raw=_as_the_api_server_sends_it(_body(i)))  # type: ignore[arg-type]
    tracked.status = _status(i)
    tracked.raw = _as_the_api_server_sends_it(_body(i, _status(i), version=2))
    return tracked


def test_a_record_holds_a_few_allocations_whatever_its_body() -> None:
    gc.collect()
    before = sys.getallocatedblocks()
    records = [_written_and_seen_again(i) for i in range(RECORDS)]
    gc.collect()
    per_record = (sys.getallocatedblocks() - before) / RECORDS
    assert per_record <= BLOCKS_PER_RECORD, f"{per_record:.1f} allocations kept per record"
    assert records[7].raw["spec"]["connectionRef"] == "vault-0"


def test_the_status_written_and_seen_again_is_kept_once() -> None:
    tracked = _written_and_seen_again(3)
    alone = Tracked(adapter=None, raw=_body(3))  # type: ignore[arg-type]
    body_bytes = len(json.dumps(alone.raw, separators=(",", ":")))
    assert tracked.kept_bytes == body_bytes + _size(_status(3))
    assert tracked.status == _status(3) and tracked.raw["status"] == _status(3)

    # A new status written: the body still shows the one its event carried, until the next event.
    tracked.status = _status(3, reason="Other")
    assert tracked.raw["status"] == _status(3)
    assert tracked.status == _status(3, reason="Other")
    tracked.raw = _body(3, _status(3, reason="Other"), version=3)
    assert tracked.raw["status"] == _status(3, reason="Other")
    assert tracked.kept_bytes == body_bytes + _size(_status(3, reason="Other"))


def test_a_record_keeps_what_passes_read_and_not_managed_fields() -> None:
    body = _body(5, _status(5))
    tracked = Tracked(adapter=None, raw=body)  # type: ignore[arg-type]
    kept = tracked.raw
    assert "managedFields" not in kept["metadata"]
    del body["metadata"]["managedFields"]
    assert kept == body and tracked.connection == "vault-5"
    assert tracked.status is None  # none written by this operator yet

    kept["spec"]["connectionRef"] = "changed"  # a copy: the record is changed by assigning only
    assert tracked.raw["spec"]["connectionRef"] == "vault-5"
    tracked.raw = {**tracked.raw, "spec": {"connectionRef": "other"}}
    assert tracked.connection == "other" and "status" in tracked.raw
    tracked.raw = {"metadata": {"name": "policy-5"}, "spec": {}}
    assert tracked.connection is None and "status" not in tracked.raw


def test_a_pass_starts_from_the_status_last_written() -> None:
    tracked = Tracked(adapter=None, raw=_body(4))  # type: ignore[arg-type]
    assert tracked.for_pass()["status"] is None and not tracked.wrote_status
    tracked.raw = _body(4, _status(4, reason="Shown"))
    assert tracked.for_pass()["status"] == _status(4, reason="Shown") and not tracked.wrote_status
    tracked.status = _status(4)  # written; the watch still shows the older one
    assert tracked.for_pass() == {**tracked.raw, "status": _status(4)} and tracked.wrote_status
