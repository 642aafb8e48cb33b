"""Reads HTTP response bodies up to a size cap, so a server cannot make the operator hold (and parse) megabytes."""

from __future__ import annotations

import aiohttp

MIB = 1024 * 1024


async def read_capped(response: aiohttp.ClientResponse, cap: int) -> bytes | None:
    """The body, or None when it is longer than ``cap`` bytes (then the connection is closed, not reused).

    A declared Content-Length over the cap is refused before reading; otherwise at most ``cap + 1``
    bytes are read, whatever the server sends (chunked bodies declare no length).
    """
    if response.content_length is not None and response.content_length > cap:
        response.close()
        return None
    chunks: list[bytes] = []
    size = 0
    while chunk := await response.content.read(cap + 1 - size):
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            response.close()
            return None
    return b"".join(chunks)


def size_text(cap: int) -> str:
    return f"{cap // MIB} MiB" if cap % MIB == 0 else f"{cap // 1024} KiB"
