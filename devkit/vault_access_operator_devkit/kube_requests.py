"""Request intake for the emulator: kmock's, with the per-request parsing it repeats for every request done once.

kmock's ``RawHandler.__call__`` parses each request with ``Request._parse``, which looks its HTTP method up by
walking the ``method`` enum's members twice (once itself, once in the Request's converter) and builds a new
``kmock.resource`` for its path: a sixth of the emulator's CPU in bench.access_sync (bench/README.md, session 9).
Here the method members and resources are looked up once per distinct value and reused (both are immutable);
everything else (the history of requests, errors collected for kmock's context manager, streaming errors) is as
kmock does it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aiohttp.web
import kmock
from kmock._internal import apps, enums, parsing, rendering

_METHODS: dict[str, enums.method] = {}
_RESOURCES: dict[tuple[str, str | None, str | None], kmock.resource] = {}


def method_of(name: str) -> enums.method:
    """The ``kmock.method`` of an HTTP method name (an unknown one too, as kmock makes it)."""
    found = _METHODS.get(name)
    if found is None:
        found = _METHODS[name] = enums.method(name)
    return found


def resource_of(group: str, version: str | None, plural: str | None) -> kmock.resource:
    """The ``kmock.resource`` of a parsed path, one instance per distinct resource."""
    key = (group, version, plural)
    found = _RESOURCES.get(key)
    if found is None:
        found = _RESOURCES[key] = kmock.resource(group=group, version=version, plural=plural)
    return found


async def parse_request(raw_request: aiohttp.web.BaseRequest, request_id: int) -> rendering.Request:
    """What ``kmock.Request._parse`` gives, with the method and resource looked up once per distinct value."""
    body = await raw_request.read()
    text = await raw_request.text()
    data: Any
    try:
        data = await raw_request.json()
    except ValueError:
        try:
            data = await raw_request.post() or None
        except ValueError:
            data = None
    k8s = parsing.parse_path(raw_request.path)
    resource = None if k8s is None or k8s.group is None else resource_of(k8s.group, k8s.version, k8s.plural)
    method = method_of(raw_request.method)
    action = parsing.guess_k8s(k8s, method, dict(raw_request.query))
    return rendering.Request(
        id=request_id, raw_request=raw_request, url=raw_request.url, method=method,
        params=dict(raw_request.query), headers=dict(raw_request.headers), cookies=dict(raw_request.cookies),
        data=data, body=body, text=text, action=action, resource=resource, namespace=k8s.namespace,
        name=k8s.name, subresource=k8s.subresource)


class RequestIntakeMixin:
    """``__call__`` of kmock's RawHandler (kmock 0.8) with :func:`parse_request` in place of ``Request._parse``."""

    __slots__ = ()
    # Provided by kmock.RawHandler:
    limit: int | None
    _requests: list[rendering.Request]
    _errors: list[list[Exception]]

    if TYPE_CHECKING:  # kmock's, not stubs here: they would stand before kmock's in the emulator's MRO
        async def _handle(self, request: rendering.Request) -> aiohttp.web.StreamResponse: ...

        async def _render_error(self, exc: Exception) -> aiohttp.web.StreamResponse: ...

        async def _stream_error(self, exc: Exception, raw_response: aiohttp.web.StreamResponse) -> None: ...

    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        await raw_request.read()
        raw_response: aiohttp.web.StreamResponse | None = None
        try:
            if self.limit is not None and len(self._requests) >= self.limit:
                raise apps.KMockError("Too many requests have been served so far.")
            request = await parse_request(raw_request, len(self._requests))
            self._requests.append(request)
            try:
                return await self._handle(request)
            except rendering.StreamingError as e:  # a streamed response failed: finish it below
                raw_response = e.args[0]
                if e.__cause__ is not None:
                    raise e.__cause__  # noqa: B904 (kmock's way: the cause itself)
                raise
        except Exception as e:
            if not self._errors:
                raise
            self._errors[-1].append(e)
            if raw_response is None or not raw_response.prepared:
                return await self._render_error(e)
            await self._stream_error(e, raw_response)
            await raw_response.write_eof()
            return raw_response
