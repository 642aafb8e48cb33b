"""Stack sampling of all threads: which library and function the busy threads are in."""

from __future__ import annotations

import threading
from collections import Counter
from types import FrameType

# (file name ending, function) of leaf frames that block in C: the thread is waiting, not working.
IDLE = {("selectors.py", "select"), ("socket.py", "readinto"), ("threading.py", "wait"), ("thread.py", "_worker"),
        ("queue.py", "get"), ("ssl.py", "read"), ("socket.py", "accept"), ("threading.py", "_wait_for_tstate_lock"),
        ("socketserver.py", "serve_forever"), ("selectors.py", "_select")}
GROUPS = (("vault_access_operator", ("/work/main/core/", "/vault_access_operator/", "/plugins/")),
          ("kopf", ("/kopf/",)), ("aiohttp", ("/aiohttp/", "/yarl/", "/multidict/")),
          ("hvac+requests+urllib3", ("/hvac/", "/requests/", "/urllib3/", "http/client.py", "/email/")),
          ("asyncio", ("/asyncio/",)), ("json", ("/json/",)), ("copy", ("copy.py",)), ("logging", ("/logging/",)))
Key = tuple[str, str]


def group_of(filename: str) -> str:
    for name, markers in GROUPS:
        if any(marker in filename for marker in markers):
            return name
    return "other"


class Samples:
    def __init__(self) -> None:
        self.busy = 0
        self.idle = 0
        self.inclusive: Counter[Key] = Counter()
        self.exclusive: Counter[Key] = Counter()
        self.groups: Counter[str] = Counter()  # innermost library of interest on the stack
        self._lock = threading.Lock()

    def take(self, frames: dict[int, FrameType], skip: int) -> None:
        with self._lock:
            for ident, frame in frames.items():
                if ident != skip:
                    self._one(frame)

    def _one(self, frame: FrameType) -> None:
        leaf = frame.f_code
        if any(leaf.co_filename.endswith(f) and leaf.co_name == fn for f, fn in IDLE):
            self.idle += 1
            return
        self.busy += 1
        self.exclusive[(leaf.co_filename, leaf.co_name)] += 1
        seen: set[Key] = set()
        innermost: str | None = None
        current: FrameType | None = frame
        while current is not None:
            code = current.f_code
            seen.add((code.co_filename, code.co_name))
            group = group_of(code.co_filename)
            if innermost is None and group not in ("other", "asyncio"):
                innermost = group
            current = current.f_back
        self.inclusive.update(seen)
        self.groups[innermost or "other (incl. asyncio)"] += 1

    def clear(self) -> None:
        with self._lock:
            self.__init__()  # type: ignore[misc]


def _short(key: Key) -> str:
    filename, function = key
    for marker in ("site-packages/", "python3.11/", "/work/main/"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
    return f"{filename}:{function}"


def describe(samples: Samples, top: int = 25) -> str:
    with samples._lock:
        busy = max(samples.busy, 1)
        lines = [f"busy samples {samples.busy}, idle {samples.idle} (all threads, every 5 ms)", "",
                 "share of busy samples by the innermost library on the stack:"]
        lines += [f"  {count / busy:6.1%}  {name}" for name, count in samples.groups.most_common()]
        lines += ["", "functions, inclusive (on the stack):"]
        lines += [f"  {count / busy:6.1%}  {_short(key)}" for key, count in samples.inclusive.most_common(top)]
        lines += ["", "functions, exclusive (the leaf):"]
        lines += [f"  {count / busy:6.1%}  {_short(key)}" for key, count in samples.exclusive.most_common(top)]
    return "\n".join(lines) + "\n"
