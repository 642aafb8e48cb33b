"""Publishing what the access kinds add to a VaultConnection's status (discoveryStatus, dependants).

Those blocks live on the connection's Observation, so every status write of the connection carries them;
after changing one, ask the connection's own reporter to write (it writes only when the status changed).
Not before the runtime's own first write, which carries them anyway: at an operator restart, a write before
the login would show the connection Pending for a moment and cost a second write.
"""

from __future__ import annotations

import logging

from ..connections import ConnectionRegistry

log = logging.getLogger(__name__)


async def publish(connections: ConnectionRegistry, name: str) -> None:
    slot = connections.slot(name)
    if slot is None or slot.runtime is None:
        return  # an invalid spec has no runtime to report with; its status says why already
    if not slot.runtime.reporter.has_written:
        return  # its first write (the login's outcome, or Pending after a grace) carries the blocks
    try:
        await slot.runtime.reporter.publish()
    except Exception:  # the reporter logs its own write failures; anything else must not stop the caller
        log.exception("VaultConnection %s: status not published", name)
