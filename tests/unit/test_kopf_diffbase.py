"""kopf builds a diff-base (a trimmed deep copy of the body) and reads the stored one on every watch event of
every kind, whether a handler compares them or not. None of ours does: VaultConnection has a daemon and an
on.event handler, the access kinds on.event and on.delete. Counted here: the bodies copied for kopf's diff-base
storage per watch event of a VaultConnection (bench/README.md, session 9: 3 - 4% of a restart's operator CPU), and
the empty diff-bases kopf then clears of its progress annotations.
"""

from __future__ import annotations

import types
from typing import Any, cast

import kopf
import pytest

from vault_access_operator import handlers
from vault_access_operator.handlers import ACCESS_KINDS, build_registry
from vault_access_operator.kinds import VAULT_CONNECTION
from vault_access_operator.shards import ShardSettings

EVENTS = 100


def _configured(monkeypatch: pytest.MonkeyPatch) -> tuple[kopf.OperatorRegistry, kopf.OperatorSettings]:
    """The registry for an operator that owns everything, and kopf's settings as its start-up handler sets them."""
    monkeypatch.setattr(handlers, "install_log_redaction", lambda: None)  # leaves the test's root logger alone
    app = types.SimpleNamespace(config=types.SimpleNamespace(shard=ShardSettings(), peering_lifetime=15),
                                serve_metrics=lambda: None)
    registry = build_registry(app)  # type: ignore[arg-type]
    settings = kopf.OperatorSettings()
    [configure] = [h for h in registry._activities.get_all_handlers() if str(h.id).endswith("configure")]
    configure.fn(settings=settings)  # type: ignore[call-arg]  # it takes **kwargs: kopf's other arguments unread
    return registry, settings


def _connection(generation: int) -> kopf.Body:
    # kopf's RawMeta has no generation field: the body is cast to what kopf.Body takes.
    return kopf.Body(cast(kopf.RawBody, {
        "apiVersion": VAULT_CONNECTION.api_version, "kind": VAULT_CONNECTION.kind,
        "metadata": {"name": f"vault-{generation}", "uid": f"u-{generation}", "generation": generation,
                     "finalizers": [handlers.FINALIZER]},
        "spec": {"address": "https://vault:8200", "auth": {"kubernetes": {"role": "operator"}}},
        "status": {"phase": "Active"}}))


def test_no_handler_of_any_kind_compares_a_diff_base(monkeypatch: pytest.MonkeyPatch) -> None:
    registry, _ = _configured(monkeypatch)
    changing = registry._changing.get_all_handlers()
    assert {h.reason for h in changing} == {kopf.Reason.DELETE}  # the access kinds' deletion only
    assert len(changing) == len(ACCESS_KINDS)
    assert registry._spawning.get_all_handlers()  # the connection's daemon: kopf's progress stays for it


def test_a_connection_event_copies_no_body_for_kopfs_diff_base(monkeypatch: pytest.MonkeyPatch) -> None:
    _, settings = _configured(monkeypatch)
    copies: list[Any] = []
    original = kopf.AnnotationsDiffBaseStorage.build

    def counted(self: kopf.AnnotationsDiffBaseStorage, **kwargs: Any) -> kopf.BodyEssence:
        copies.append(kwargs["body"])
        return original(self, **kwargs)

    monkeypatch.setattr(kopf.AnnotationsDiffBaseStorage, "build", counted)
    storage = settings.persistence.diffbase_storage
    for generation in range(EVENTS):  # what kopf's cause detection calls on each watch event
        body = _connection(generation)
        assert storage.fetch(body=body) == storage.build(body=body) == {}  # no change, ever: nothing to compare
        patch = kopf.Patch()
        storage.store(body=body, patch=patch, essence={"spec": {}})
        assert not patch  # and nothing written onto the object
    assert copies == []  # 100 before: one per event


def test_an_empty_diff_base_is_not_cleared_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # kopf clears its progress annotations out of the old and the new diff-base on every watch event.
    _, settings = _configured(monkeypatch)
    cleared: list[Any] = []
    original = kopf.AnnotationsProgressStorage.clear

    def counted(self: kopf.AnnotationsProgressStorage, *, essence: kopf.BodyEssence) -> kopf.BodyEssence:
        cleared.append(essence)
        return original(self, essence=essence)

    monkeypatch.setattr(kopf.AnnotationsProgressStorage, "clear", counted)
    progress, diffbase = settings.persistence.progress_storage, settings.persistence.diffbase_storage
    for generation in range(EVENTS):
        body = _connection(generation)
        old, new = diffbase.fetch(body=body), diffbase.build(body=body)
        assert old is not None
        assert progress.clear(essence=old) == progress.clear(essence=new) == {}
    assert cleared == []  # 200 before: two per event
    annotated: kopf.BodyEssence = {"metadata": {"annotations": {f"{handlers.KOPF_PREFIX}/hold": "{}", "team": "a"}}}
    assert progress.clear(essence=annotated) == {"metadata": {"annotations": {"team": "a"}}}  # a real one still is
