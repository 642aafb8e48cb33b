"""One LIST standing in for the reads of many new names: coalesced, bounded in time, only for bursts, and
given up (said once) when Vault denies it. Counted LIST calls, on a client that answers what a test says."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import pytest

from vault_access_operator.access.name_snapshot import NameSnapshots
from vault_access_operator.errors import VaultPermissionDeniedError, VaultUnavailableError

FOLDER = "sys/policies/acl"
DENIED = ("Vault at http://v denied list of sys/policies/acl (HTTP 403): permission denied: the token's policies "
          "must grant 'list' on that path, or the token was revoked")


@dataclass
class Handle:
    token_generation: int = 1


@dataclass
class Lister:
    """A BorrowedClient's ``list``: answers ``keys`` (or raises ``error``) once ``gate`` opens; counts calls."""

    keys: list[str] = field(default_factory=list)
    error: Exception | None = None
    connection: str = "vault"
    namespace: str | None = None
    handle: Handle = field(default_factory=Handle)
    calls: int = 0
    gate: asyncio.Event | None = None

    async def list(self, path: str) -> list[str]:
        assert path == FOLDER
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        return list(self.keys)


def absent(names: NameSnapshots, client: Lister, name: str) -> asyncio.Task[bool]:
    return asyncio.create_task(names.absent(client, FOLDER, name))  # type: ignore[arg-type]


def test_a_lone_new_name_is_read_as_before_and_a_burst_shares_one_list() -> None:
    async def scenario() -> None:
        names, client = NameSnapshots(), Lister(keys=["default", "vao.e2e.a.taken"], gate=asyncio.Event())
        assert await absent(names, client, "vao.e2e.a.p0") is False  # alone: its own read, no LIST
        assert client.calls == 0
        waiting = [absent(names, client, f"vao.e2e.a.p{i}") for i in range(1, 50)]
        waiting.append(absent(names, client, "VAO.e2e.a.TAKEN"))  # Vault folds the case of policy names
        await asyncio.sleep(0)
        client.gate.set()  # type: ignore[union-attr]
        answers = await asyncio.gather(*waiting)
        assert client.calls == 1 and names.lists == 1
        assert answers == [True] * 49 + [False]
        assert await absent(names, client, "vao.e2e.a.late") is True and client.calls == 1  # fresh: no LIST

    asyncio.run(scenario())


def test_one_object_retrying_is_no_burst() -> None:
    async def scenario() -> None:
        names, client = NameSnapshots(), Lister()
        assert [await absent(names, client, "vao.e2e.a.p0") for _ in range(5)] == [False] * 5
        assert client.calls == 0  # its retries read its name, as before
        assert await absent(names, client, "vao.e2e.a.p1") is True and client.calls == 1  # another name: a burst

    asyncio.run(scenario())


def test_a_snapshot_stands_in_only_for_its_window_then_is_dropped() -> None:
    async def scenario() -> None:
        names, client = NameSnapshots(window=0.05), Lister()
        await absent(names, client, "a")
        assert await absent(names, client, "b") is True and client.calls == 1
        await asyncio.sleep(0.1)  # the window has passed: the snapshot is gone, and so is the burst
        assert not names._folders
        assert await absent(names, client, "c") is False and client.calls == 1
        assert await absent(names, client, "d") is True and client.calls == 2

    asyncio.run(scenario())


def test_a_new_token_means_a_new_list() -> None:
    async def scenario() -> None:
        names, client = NameSnapshots(), Lister()
        await absent(names, client, "a")
        assert await absent(names, client, "b") is True and client.calls == 1
        client.handle.token_generation = 2  # a re-login: perhaps another address, surely other rights
        assert await absent(names, client, "c") is True and client.calls == 2

    asyncio.run(scenario())


def test_a_denied_list_falls_back_to_reads_and_says_so_once(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        names = NameSnapshots(denied_for=0.05)
        client = Lister(error=VaultPermissionDeniedError(DENIED, status=403, path=FOLDER,
                                                                  vault_text="permission denied"))
        await absent(names, client, "a")
        assert await asyncio.gather(*(absent(names, client, f"p{i}") for i in range(20))) == [False] * 20
        assert client.calls == 1
        assert await absent(names, client, "later") is False and client.calls == 1  # not tried again for a while
        client.handle.token_generation = 2  # a new login: perhaps a new policy; tried again, denied again
        assert await absent(names, client, "relogged") is False and client.calls == 2
        assert await absent(names, client, "later2") is False and client.calls == 2
        await asyncio.sleep(0.1)
        await absent(names, client, "x")
        assert await absent(names, client, "y") is False and client.calls == 3  # tried again, denied again

    with caplog.at_level(logging.INFO, "vault_access_operator.access.name_snapshot"):
        asyncio.run(scenario())
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1, said
    assert said[0].startswith("VaultConnection vault: Vault at http://v denied list of sys/policies/acl")
    assert "each new object's name is read instead" in said[0]


def test_a_failed_list_is_not_remembered() -> None:
    async def scenario() -> None:
        names, client = NameSnapshots(), Lister(error=VaultUnavailableError("Vault at http://v is sealed"))
        await absent(names, client, "a")
        assert await absent(names, client, "b") is False and client.calls == 1
        client.error = None
        assert await absent(names, client, "c") is True and client.calls == 2

    asyncio.run(scenario())


def test_a_waiter_cancelled_does_not_cancel_the_list_the_others_wait_for() -> None:
    async def scenario() -> None:
        names, client = NameSnapshots(), Lister(gate=asyncio.Event())
        await absent(names, client, "a")
        first, second = absent(names, client, "b"), absent(names, client, "c")
        await asyncio.sleep(0)
        first.cancel()
        client.gate.set()  # type: ignore[union-attr]
        assert await second is True and client.calls == 1
        assert (await asyncio.gather(first, return_exceptions=True))[0].__class__ is asyncio.CancelledError

    asyncio.run(scenario())


def test_a_name_written_since_the_list_is_present_and_an_unknown_one_is_read() -> None:
    async def scenario() -> None:
        names, client = NameSnapshots(), Lister(keys=["vao.e2e.a.old"])
        cli: object = client
        assert await names.present(cli, FOLDER, "vao.e2e.a.old") is False  # type: ignore[arg-type]  # alone: read
        assert await names.present(cli, FOLDER, "vao.e2e.a.new") is False  # type: ignore[arg-type]  # burst: LIST
        assert client.calls == 1
        assert await names.present(cli, FOLDER, "VAO.e2e.a.OLD") is True  # type: ignore[arg-type]
        names.written(cli, FOLDER, "vao.e2e.a.new")  # type: ignore[arg-type]  # ours, written after the LIST
        assert await names.present(cli, FOLDER, "vao.e2e.a.new") is True  # type: ignore[arg-type]
        assert await names.absent(cli, FOLDER, "vao.e2e.a.new") is False  # type: ignore[arg-type]
        client.handle.token_generation = 2  # another token (maybe another Vault): nothing known, LIST again
        names.written(cli, FOLDER, "vao.e2e.a.other")  # type: ignore[arg-type]
        assert await names.present(cli, FOLDER, "vao.e2e.a.other") is False  # type: ignore[arg-type]
        assert client.calls == 2

    asyncio.run(scenario())
