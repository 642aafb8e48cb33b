"""A status PATCH and an event POST answer with a whole object nobody reads: a 2xx answer of theirs is not decoded.

Counted against the API emulator: json decodes in core/kube.py per status write and per event (0 on success; an
error answer is still decoded for its message). bench/README.md, session 11.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.support.counting_json import CountingJson
from vault_access_operator import kube as kube_module
from vault_access_operator.kube import KubeClient
from vault_access_operator_devkit.kube import FakeKube


def test_status_writes_and_events_decode_no_answer_and_errors_still_do(
    fake_kube: FakeKube, monkeypatch: pytest.MonkeyPatch
) -> None:
    uid = fake_kube.create_vaultconnection("answers", {"address": "http://vault:8200",
                                                       "auth": {"kubernetes": {"role": "r"}}})["metadata"]["uid"]
    counting = CountingJson()
    monkeypatch.setattr(kube_module, "json", counting)

    async def scenario() -> tuple[int, int, bool]:
        client = KubeClient(fake_kube.connection_info())
        try:
            for i in range(10):
                assert await client.patch_status("answers", {"phase": "Active", "message": f"write {i}"}, uid=uid)
                await client.post_event({"kind": "VaultConnection", "name": "answers"}, "Normal", "Test", f"e{i}",
                                        "default")
            succeeded = counting.decoded
            gone = await client.patch_status("missing", {"phase": "Active"})  # a 404: decoded, False
            return succeeded, counting.decoded, gone
        finally:
            await client.close()

    succeeded, after_error, gone = asyncio.run(scenario())
    assert succeeded == 0  # 20 before: one per status write and one per event
    assert (after_error, gone) == (1, False)
    connection = fake_kube.get_vaultconnection("answers")
    assert connection is not None
    assert connection["status"]["message"] == "write 9"
    assert len([e for e in fake_kube.list_events("default") if e["reason"] == "Test"]) == 10
