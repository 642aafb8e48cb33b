"""kopf's per-object state: nothing on the access objects, kopf's own annotations on every other kind."""

from __future__ import annotations

from typing import Any, cast

import kopf
import pytest

from vault_access_operator.handlers import ACCESS_KINDS, KOPF_PREFIX
from vault_access_operator.kinds import VAULT_CONNECTION, VAULT_POLICY
from vault_access_operator.kopf_state import InMemoryProgress, StatelessDiffBase

KINDS = [(kind.api_version, kind.kind) for kind in ACCESS_KINDS]
RECORD: kopf.ProgressRecord = {"started": "2026-11-30T10:00:00", "retries": 2, "delayed": "2026-11-30T10:00:05"}


def _body(kind: Any, uid: str = "u-1", **meta: Any) -> kopf.Body:
    return kopf.Body(cast(kopf.RawBody, {"apiVersion": kind.api_version, "kind": kind.kind,
                                         "metadata": {"name": "app", "namespace": "default", "uid": uid, **meta},
                                         "spec": {"connectionRef": "vault"}, "status": {"phase": "Active"}}))


def test_an_access_object_has_no_diff_base_and_every_event_looks_unchanged() -> None:
    storage = StatelessDiffBase(kopf.AnnotationsDiffBaseStorage(prefix=KOPF_PREFIX), KINDS)
    for kind in ACCESS_KINDS:
        body, patch = _body(kind), kopf.Patch()
        assert storage.fetch(body=body) == storage.build(body=body) == {}
        storage.store(body=body, patch=patch, essence={"spec": {"x": 1}})
        assert not patch


def test_a_kind_not_listed_keeps_kopfs_diff_base() -> None:  # the operator lists VaultConnection too
    storage = StatelessDiffBase(kopf.AnnotationsDiffBaseStorage(prefix=KOPF_PREFIX), KINDS)
    body, patch = _body(VAULT_CONNECTION), kopf.Patch()
    essence = storage.build(body=body)
    assert essence == {"spec": {"connectionRef": "vault"}}
    storage.store(body=body, patch=patch, essence=essence)
    assert f"{KOPF_PREFIX}/last-handled-configuration" in patch["metadata"]["annotations"]


def test_a_retried_deletion_is_remembered_in_memory_and_forgotten_when_done() -> None:
    progress = InMemoryProgress(kopf.AnnotationsProgressStorage(prefix=KOPF_PREFIX), KINDS)
    body, other, patch = _body(VAULT_POLICY), _body(VAULT_POLICY, uid="u-2"), kopf.Patch()
    progress.store(key=kopf.HandlerId("deleted"), record=RECORD, body=body, patch=patch)
    assert not patch  # nothing for kopf to write onto the object
    assert progress.fetch(key=kopf.HandlerId("deleted"), body=body) == RECORD
    assert progress.fetch(key=kopf.HandlerId("deleted"), body=other) is None  # per object (by uid)
    progress.purge(key=kopf.HandlerId("deleted"), body=body, patch=patch)
    assert not patch and progress.held == 0
    progress.store(key=kopf.HandlerId("deleted"), record=RECORD, body=other, patch=patch)
    progress.forget("u-2")  # gone without a purge (its finalizer removed by hand)
    assert progress.held == 0


def test_the_wake_up_after_a_delay_is_the_only_write_and_never_removed_from_an_access_object() -> None:
    progress = InMemoryProgress(kopf.AnnotationsProgressStorage(prefix=KOPF_PREFIX), KINDS)
    touch = kopf.Patch()
    progress.touch(body=_body(VAULT_POLICY), patch=touch, value="2026-11-30T10:00:05")
    assert touch["metadata"]["annotations"][f"{KOPF_PREFIX}/touch-dummy"] == "2026-11-30T10:00:05"
    touched = _body(VAULT_POLICY, annotations={f"{KOPF_PREFIX}/touch-dummy": "2026-11-30T10:00:05"})
    removal = kopf.Patch()
    progress.touch(body=touched, patch=removal, value=None)
    assert not removal  # the object goes with its deletion: no PATCH of its own for this


def test_a_connection_keeps_kopfs_progress_annotations() -> None:
    progress = InMemoryProgress(kopf.AnnotationsProgressStorage(prefix=KOPF_PREFIX), KINDS)
    body, patch = _body(VAULT_CONNECTION), kopf.Patch()
    progress.store(key=kopf.HandlerId("hold"), record=RECORD, body=body, patch=patch)
    assert f"{KOPF_PREFIX}/hold" in patch["metadata"]["annotations"]
    assert progress.held == 0


def test_telling_an_access_object_by_its_kind_reads_the_plain_body(monkeypatch: pytest.MonkeyPatch) -> None:
    # kopf asks these storages four to six times per watch event (three events per access object in a sync); each
    # key read through kopf's body view walks a parsed path. Counted: the path walks for 100 events' questions.
    from kopf._cogs.structs import dicts

    walks: list[object] = []
    plain = dicts.resolve

    def counted(*args: Any, **kwargs: Any) -> Any:
        walks.append(args[1] if len(args) > 1 else None)
        return plain(*args, **kwargs)

    monkeypatch.setattr(dicts, "resolve", counted)
    storage = StatelessDiffBase(kopf.AnnotationsDiffBaseStorage(prefix=KOPF_PREFIX), KINDS)
    progress = InMemoryProgress(kopf.AnnotationsProgressStorage(prefix=KOPF_PREFIX), KINDS)
    key = kopf.HandlerId("deleted")
    for i in range(100):
        body, patch = _body(VAULT_POLICY, uid=f"u-{i}"), kopf.Patch()
        assert storage.build(body=body) == storage.fetch(body=body) == {}
        storage.store(body=body, patch=patch, essence={})
        assert progress.fetch(key=key, body=body) is None
        progress.store(key=key, record=RECORD, body=body, patch=patch)
        assert progress.fetch(key=key, body=body) == RECORD
        progress.purge(key=key, body=body, patch=patch)
        assert not patch
    assert walks == []  # before: 2,400 (the kind and apiVersion at each question, the uid at some)
    assert progress.held == 0
    connection = _body(VAULT_CONNECTION)
    assert storage.build(body=connection) == {"spec": {"connectionRef": "vault"}}  # other kinds: kopf's, as before
