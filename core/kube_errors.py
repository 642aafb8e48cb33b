"""Kubernetes API failures as :class:`KubeError`: one reason per kind of trouble, stable one-line texts.

An API-server problem (down, throttling, RBAC, 5xx) is never a failed Vault login: its reasons are
``KubernetesAPI*``, which the status does not count against ``Authenticated``.
"""

from __future__ import annotations

import datetime
import email.utils
import ssl
from typing import Any

import aiohttp

from .clip import clip
from .errors import Reason, VaultAccessError


class KubeError(VaultAccessError):
    """The Kubernetes API could not be used; ``status`` is its HTTP status (0: no answer at all)."""

    reason = Reason.KUBE_ERROR

    def __init__(
        self, message: str, status: int, *, reason: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, reason=reason or reason_for(status), retry_after=retry_after)
        self.status = status


def reason_for(status: int) -> str:
    if status == 0:
        return Reason.KUBE_UNREACHABLE
    if status == 429:
        return Reason.KUBE_THROTTLED
    if status in (401, 403):
        return Reason.KUBE_FORBIDDEN
    return Reason.KUBE_ERROR


def parse_retry_after(value: str | None, now: datetime.datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, (when - now).total_seconds())


def unreachable(server: str, what: str, error: BaseException, timeout: float | None,
                pool_wait: float | None = None) -> KubeError:
    """A stable text per kind of failure: a retried failure with the same text posts no new event."""
    if isinstance(error, aiohttp.ConnectionTimeoutError) and timeout and pool_wait:  # connecting, or a pool slot
        text = (f"no connection accepted within {timeout:g}s (or the operator's connections to it stayed busy "
                f"for {pool_wait:g}s)")
    elif isinstance(error, TimeoutError):
        text = f"no answer within {timeout:g}s" if timeout else "no answer in time"
    elif isinstance(error, aiohttp.ClientSSLError) or isinstance(getattr(error, "os_error", None), ssl.SSLError):
        text = "TLS handshake failed (check the cluster CA of the operator's kubeconfig or service account)"
    elif isinstance(error, aiohttp.ClientConnectorDNSError):
        text = "name or service not known"
    elif isinstance(error, aiohttp.ClientConnectorError):
        refused = isinstance(error.os_error, ConnectionRefusedError)
        text = "connection refused" if refused else "connection failed"
    else:  # dropped or reset after connecting
        text = "the connection closed before the API server answered"
    return KubeError(f"cannot reach the Kubernetes API server at {server} while {what}: {text}", 0)


def raise_for(status: int, body: Any, what: str, rbac: str = "", retry_after: float | None = None) -> None:
    """Raise for an error answer; ``rbac`` says what to grant when the API server answers 403."""
    if status < 300:
        return
    message = (body or {}).get("message") if isinstance(body, dict) else None
    detail = clip(str(message)) if message else "no details"  # an error body may be huge
    if status == 403:
        hint = f": grant the operator {rbac}" if rbac else ": grant the operator's service account the RBAC for it"
        raise KubeError(f"the Kubernetes API refused {what} (403 Forbidden){hint}", status)
    if status == 429:
        wait = f"; retry after {retry_after:g}s" if retry_after is not None else ""
        raise KubeError(f"the Kubernetes API server throttled {what} (429 Too Many Requests){wait}", status,
                        retry_after=retry_after)
    raise KubeError(f"Kubernetes API error {status} while {what}: {detail}", status, retry_after=retry_after)
