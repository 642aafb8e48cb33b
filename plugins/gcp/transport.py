"""google-auth's requests transport with short timeouts, and a one-line text of what it raised.

google-auth waits up to 120 s for a token endpoint by default; a login must fail well within the
core's login timeout instead, with a message saying which endpoint did not answer.
"""

from __future__ import annotations

from typing import Any

import google.auth.transport.requests
import requests

TIMEOUT_SECONDS = 10.0


class TimedRequest(google.auth.transport.requests.Request):
    """A google-auth ``Request`` whose calls never wait longer than ``TIMEOUT_SECONDS``."""

    def __init__(self) -> None:
        super().__init__(session=requests.Session())

    def __call__(
        self, url: str, method: str = "GET", body: Any = None, headers: Any = None, timeout: Any = None,
        **kwargs: Any,
    ) -> Any:
        capped = TIMEOUT_SECONDS if timeout is None else min(float(timeout), TIMEOUT_SECONDS)
        return super().__call__(  # type: ignore[no-untyped-call]  # (google-auth leaves it unannotated)
            url, method=method, body=body, headers=headers, timeout=capped, **kwargs)

    def close(self) -> None:
        self.session.close()


def one_line(error: BaseException, limit: int = 300) -> str:
    """google-auth texts can carry a whole HTTP response body; one line is enough to act on."""
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
