"""kopf evaluates an access kind's deletion filter on every watch event: only when a shard needs it.

A ``when`` callback costs kopf its whole set of handler arguments, built twice per event (the deletion cause and
the finalizer check) on each of the three events an object's first sync produces; with no shard, every object
is this deployment's and the callback could only say yes. Counted here: the filters kopf would call per event.
"""

from __future__ import annotations

import types
from typing import Any

from vault_access_operator.handlers import build_registry
from vault_access_operator.shards import ShardSettings


def _deletion_filters(shard: ShardSettings) -> list[Any]:
    app = types.SimpleNamespace(config=types.SimpleNamespace(shard=shard))
    registry = build_registry(app)  # type: ignore[arg-type]
    handlers = [h for h in registry._changing.get_all_handlers() if str(h.id).endswith("deleted")]
    assert len(handlers) == 5  # VaultPolicy, VaultClusterPolicy, VaultRole, VaultClusterRole, VaultKVSecret
    return [h.when for h in handlers if h.when is not None]


def test_no_shard_no_filter_per_event() -> None:
    assert ShardSettings().owns_every_object
    assert _deletion_filters(ShardSettings()) == []


def test_a_shard_filters_its_namespaced_kinds() -> None:
    shard = ShardSettings("a", ("team-*",), (("vao-shard", "a"),), True)
    filters = _deletion_filters(shard)
    assert len(filters) == 3  # the namespaced kinds; the cluster-scoped ones belong to the cluster-scoped shard
    body = {"metadata": {"namespace": "team-x", "labels": {"vao-shard": "a"}}}
    assert [f(body=body) for f in filters] == [True] * 3
    body["metadata"]["labels"] = {"vao-shard": "b"}  # relabelled to another shard: kopf adds no finalizer here
    assert [f(body=body) for f in filters] == [False] * 3
    assert not ShardSettings("b", ("team-*",), (), True).owns_every_object
