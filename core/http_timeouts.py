"""The timeout of the operator's HTTP clients (Vault, the Kubernetes API): the server's time only.

aiohttp's ``total`` timeout also counts the wait for a free connection of our own pool. Behind a sync's thousands
of requests, a health check or a status write queued there timed out with "no answer" from a server that was never
asked (bench/README.md, session 10, "connections under load"). So the server gets ``seconds`` to accept a
connection and ``seconds`` between the parts of its answer, and the pool wait alone ends after ``pool_wait`` (each
client's POOL_WAIT, read when its session is made).
"""

from __future__ import annotations

import aiohttp


def server_time(seconds: float, pool_wait: float) -> aiohttp.ClientTimeout:
    """A session timeout giving the server ``seconds`` to connect and per read, and the pool ``pool_wait``.

    A request that ran out of ``pool_wait`` (or of ``seconds`` while connecting) raises
    ``aiohttp.ConnectionTimeoutError``; one the server did not answer in time another ``TimeoutError``.
    """
    return aiohttp.ClientTimeout(total=None, connect=pool_wait, sock_connect=seconds, sock_read=seconds)
