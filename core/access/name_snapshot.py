"""Which names exist in a Vault folder (``sys/policies/acl``, ``auth/<mount>/role``): one LIST for many reads.

The first sync of a new VaultPolicy or VaultRole reads its target name before writing, to find a foreign
object there (conflictPolicy). During a burst of first syncs on one connection (an operator start, a namespace
of objects applied at once) a LIST of the folder answers that question for all of them: a name absent from a
fresh LIST is not read; a name present is read as before (ownership, adoption and conflictPolicy unchanged).

- **Coalesced**: the workers asking while a LIST is on its way wait for it; one request, not one each.
- **Bounded**: a LIST stands in for reads for :data:`SNAPSHOT_SECONDS` after it was sent, then it is dropped
  (memory: the names are not kept between bursts).
- **Drift checks of roles**: whether a role's granted policies exist is all its check asks of them, so a fresh
  LIST shown a policy stands in for that read too (thousands of roles check a steady few a second: one LIST per
  window instead of a read per check); a policy absent from it is read, and its own drift check reads its content.
- **Only for bursts**: a lone new object (no ask for another name of that folder within the window) reads its
  name as before, however often it retries; a LIST of 10,000 names would cost more than its one read.
- **Denied LIST** (403: the operator's Vault policy may lack ``list``, as the guides' policy does): reads for
  :data:`LIST_DENIED_SECONDS`, said once in the log (info) for that connection and folder, not per object.

Calls go through the object's :class:`~vault_access_operator.borrowed.BorrowedClient`: no token is kept here.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math

from ..borrowed import BorrowedClient
from ..errors import VaultAccessError, VaultPermissionDeniedError

log = logging.getLogger(__name__)

#: How long a LIST's answer stands in for reads. A foreign object created in Vault after the LIST, at a name a
#: new object of ours takes within this window, is not seen and is overwritten without a Conflict; a few seconds
#: keep that window far shorter than anyone creating by hand the very name an object is about to take, while an
#: initial sync of thousands of objects still needs only one LIST per window.
SNAPSHOT_SECONDS = 3.0

#: After a LIST was denied, reads for this long before a LIST is tried again (the operator's Vault policy may
#: gain ``list`` later; a denied LIST also costs a token check).
LIST_DENIED_SECONDS = 300.0

FolderKey = tuple[str, str | None, str]  # connection, Vault namespace, folder


def may_stand_in(applied: bool, phase: str | None) -> bool:
    """Whether a LIST may stand in for an object's read of its name: never written there by it (else the read is
    a drift check), and not found taken at its last pass (a Conflict: the name is there, a LIST would not help)."""
    return not applied and phase != "Conflict"


@dataclasses.dataclass
class _Folder:
    names: set[str] | None = None  # casefolded: Vault folds the case of policy names
    sent_at: float = -math.inf  # when the LIST that found ``names`` was sent
    generation: int = -1  # the connection's token generation then (a re-login may be another Vault's)
    listing: asyncio.Task[set[str] | None] | None = None
    last_ask: float = -math.inf
    last_name: str = ""  # asked for at ``last_ask``: one object retrying is no burst
    denied_until: float = -math.inf
    denial_logged: bool = False


class NameSnapshots:
    """The snapshots of every connection's folders; one per operator, shared by the kinds writing there."""

    def __init__(self, window: float = SNAPSHOT_SECONDS, denied_for: float = LIST_DENIED_SECONDS) -> None:
        self.window, self.denied_for = window, denied_for
        self._folders: dict[FolderKey, _Folder] = {}
        self.lists = 0  # LIST requests sent (for tests and benchmarks)

    async def absent(self, client: BorrowedClient, folder: str, name: str) -> bool:
        """True when a fresh LIST of ``folder`` says nothing is at ``folder/name`` (its read may be skipped);
        False when it must be read: present, or not known (no burst, LIST denied or failed)."""
        names = await self._names(client, folder, name)
        return names is not None and name.casefold() not in names

    async def present(self, client: BorrowedClient, folder: str, name: str) -> bool:
        """True when a fresh LIST of ``folder`` shows ``folder/name`` (a read asking only whether it exists may
        be skipped); False when it must be read: absent, or not known."""
        names = await self._names(client, folder, name)
        return names is not None and name.casefold() in names

    def written(self, client: BorrowedClient, folder: str, name: str) -> None:
        """This operator just wrote ``folder/name`` (and read it back): a fresh snapshot now shows it, so the roles
        synced right after their policies find them there without a read each."""
        state = self._folders.get((client.connection, client.namespace, folder))
        if state is not None and state.names is not None and state.generation == client.handle.token_generation:
            state.names.add(name.casefold())

    async def _names(self, client: BorrowedClient, folder: str, name: str) -> set[str] | None:
        """The casefolded names of a fresh LIST of ``folder`` (sent now when a burst asks), None if not known."""
        loop = asyncio.get_running_loop()
        now, key = loop.time(), (client.connection, client.namespace, folder)
        state = self._folders.setdefault(key, _Folder())
        generation = client.handle.token_generation
        if now < state.denied_until and generation == state.generation:  # a new token may be allowed to
            return None
        fresh = state.names is not None and now - state.sent_at < self.window and state.generation == generation
        folded = name.casefold()
        burst = now - state.last_ask < self.window and folded != state.last_name
        state.last_ask, state.last_name = now, folded
        if fresh:
            return state.names
        if state.listing is None:
            if not burst:
                return None  # a lone ask: its own read is cheaper than a LIST of everything
            state.listing = asyncio.create_task(self._list(key, state, client, generation))
        return await asyncio.shield(state.listing)

    async def _list(self, key: FolderKey, state: _Folder, client: BorrowedClient,
                    generation: int) -> set[str] | None:
        loop = asyncio.get_running_loop()
        sent_at = loop.time()
        self.lists += 1
        try:
            keys = await client.list(key[2])
        except VaultPermissionDeniedError as error:
            state.denied_until, state.generation, state.names = loop.time() + self.denied_for, generation, None
            if not state.denial_logged:  # info: the guides' operator policy grants no list, and need not
                state.denial_logged = True
                log.info("VaultConnection %s: %s; each new object's name is read instead (grant list on %s/ to "
                         "save those reads; the LIST is tried again every %.0f s)", key[0], error.message, key[2],
                         self.denied_for)
            return None
        except VaultAccessError as error:  # unreachable, sealed, not Active: the object's own read says so
            log.debug("VaultConnection %s: LIST %s failed: %s", key[0], key[2], error.message)
            return None
        finally:
            state.listing = None
        state.names = {k.casefold() for k in keys}
        state.sent_at, state.generation, state.denial_logged = sent_at, generation, False
        loop.call_at(sent_at + self.window, self._expire, key, state, sent_at)
        return state.names

    def _expire(self, key: FolderKey, state: _Folder, sent_at: float) -> None:
        """Drop a snapshot once it may no longer stand in for reads (memory: names are not kept between bursts)."""
        if state.sent_at == sent_at:  # not replaced by a newer LIST since
            state.names = None
            self._forget_if_idle(key, state)

    def _forget_if_idle(self, key: FolderKey, state: _Folder) -> None:
        """Forget the folder once nobody asked for a window (a denial is remembered: it is said only once)."""
        loop = asyncio.get_running_loop()
        if state.listing is not None or state.names is not None or loop.time() < state.denied_until:
            return
        if loop.time() < state.last_ask + self.window:
            loop.call_at(state.last_ask + self.window, self._forget_if_idle, key, state)
        elif self._folders.get(key) is state:
            del self._folders[key]
