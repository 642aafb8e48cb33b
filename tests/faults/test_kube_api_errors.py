"""KubeClient against the Kubernetes API emulator with injected failures: each kind of API trouble gets its
own reason and a one-line message; 429 answers are retried after the Retry-After the server asked for."""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import socket
from collections.abc import Awaitable, Callable
from typing import TypeVar

import kopf
import pytest

from vault_access_operator.errors import Reason
from vault_access_operator.kube import THROTTLE_MAX_WAIT, THROTTLE_RETRIES, KubeClient, KubeError
from vault_access_operator.kube_errors import parse_retry_after
from vault_access_operator.reporting import _AUTH_REASONS
from vault_access_operator_devkit.kube import FakeKube

T = TypeVar("T")
NS, SECRET = "default", "vault-ca"
SECRET_PATH = rf"/namespaces/{NS}/secrets/{SECRET}$"
KUBE_REASONS = (Reason.KUBE_UNREACHABLE, Reason.KUBE_THROTTLED, Reason.KUBE_FORBIDDEN, Reason.KUBE_ERROR)


def with_client(info: kopf.ConnectionInfo, use: Callable[[KubeClient], Awaitable[T]]) -> tuple[T, list[float]]:
    """Run ``use`` with a client whose throttling waits are recorded, not slept."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def scenario() -> T:
        client = KubeClient(info, sleep=sleep)
        try:
            return await use(client)
        finally:
            await client.close()

    return asyncio.run(scenario()), waits


def read(client: KubeClient) -> Awaitable[str]:
    return client.read_secret(NS, SECRET, "ca.crt")


def failure(info: kopf.ConnectionInfo) -> tuple[KubeError, list[float]]:
    async def expect(client: KubeClient) -> KubeError:
        with pytest.raises(KubeError) as caught:
            await read(client)
        return caught.value

    return with_client(info, expect)


def answered(kube: FakeKube, status: int) -> int:
    return sum(1 for e in kube.errors if getattr(e, "status", None) == status)


def test_kubernetes_reasons_never_count_as_a_failed_vault_login() -> None:
    assert not set(KUBE_REASONS) & _AUTH_REASONS


def test_a_short_retry_after_is_waited_for_then_the_read_succeeds(fake_kube: FakeKube) -> None:
    fake_kube.create_secret(NS, SECRET, {"ca.crt": "pem"})
    fake_kube.inject_failure("GET", SECRET_PATH, 429, times=2, headers={"Retry-After": "2"})
    value, waits = with_client(fake_kube.connection_info(), read)
    assert value == "pem"
    assert waits == [2.0, 2.0] and answered(fake_kube, 429) == 2


def test_lasting_throttling_is_reported_with_the_servers_wait(fake_kube: FakeKube) -> None:
    fake_kube.create_secret(NS, SECRET, {"ca.crt": "pem"})
    fake_kube.inject_failure("GET", SECRET_PATH, 429, times=50, headers={"Retry-After": "1"})
    error, waits = failure(fake_kube.connection_info())
    assert error.reason == Reason.KUBE_THROTTLED and error.retry_after == 1.0 and error.retryable
    assert waits == [1.0] * THROTTLE_RETRIES and answered(fake_kube, 429) == THROTTLE_RETRIES + 1
    assert error.message == (f"the Kubernetes API server throttled reading Secret {NS}/{SECRET} "
                             "(429 Too Many Requests); retry after 1s")


@pytest.mark.parametrize("header", ["120", "http-date"])
def test_a_long_retry_after_is_left_to_the_connections_backoff(fake_kube: FakeKube, header: str) -> None:
    if header == "http-date":
        later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=120)
        header = email.utils.format_datetime(later, usegmt=True)
    fake_kube.inject_failure("GET", SECRET_PATH, 429, times=50, headers={"Retry-After": header})
    error, waits = failure(fake_kube.connection_info())
    assert waits == [] and answered(fake_kube, 429) == 1  # one request: no waiting inside the call
    assert error.reason == Reason.KUBE_THROTTLED
    assert error.retry_after is not None and THROTTLE_MAX_WAIT < error.retry_after <= 120


def test_throttling_without_retry_after_is_not_retried_inside_the_call(fake_kube: FakeKube) -> None:
    fake_kube.inject_failure("GET", SECRET_PATH, 429, times=50)
    error, waits = failure(fake_kube.connection_info())
    assert error.reason == Reason.KUBE_THROTTLED and error.retry_after is None
    assert waits == [] and answered(fake_kube, 429) == 1


@pytest.mark.parametrize("code", [500, 503])
def test_a_server_error_reading_a_secret_is_a_kubernetes_api_error(fake_kube: FakeKube, code: int) -> None:
    fake_kube.inject_failure("GET", SECRET_PATH, code, times=1)
    error, _ = failure(fake_kube.connection_info())
    assert error.reason == Reason.KUBE_ERROR and error.retryable
    assert error.message == f"Kubernetes API error {code} while reading Secret {NS}/{SECRET}: injected failure ({code})"


def test_a_forbidden_secret_says_what_to_grant(fake_kube: FakeKube) -> None:
    fake_kube.inject_failure("GET", SECRET_PATH, 403, times=1)
    error, _ = failure(fake_kube.connection_info())
    assert error.reason == Reason.KUBE_FORBIDDEN
    assert error.message == f"the operator may not read Secret {NS}/{SECRET}: grant it 'get' on secrets in {NS}"


def test_a_missing_secret_is_still_secret_not_found(fake_kube: FakeKube) -> None:
    async def expect(client: KubeClient) -> str:
        with pytest.raises(Exception) as caught:
            await read(client)
        return getattr(caught.value, "reason", "")

    reason, _ = with_client(fake_kube.connection_info(), expect)
    assert reason == Reason.SECRET_NOT_FOUND


def test_a_forbidden_event_says_what_to_grant(fake_kube: FakeKube) -> None:
    fake_kube.inject_failure("POST", r"/events$", 403, times=1)

    async def post(client: KubeClient) -> KubeError:
        with pytest.raises(KubeError) as caught:
            await client.post_event({"name": "vc"}, "Normal", "Test", "hello", NS)
        return caught.value

    error, _ = with_client(fake_kube.connection_info(), post)
    assert error.reason == Reason.KUBE_FORBIDDEN and "grant the operator 'create' on events in default" in error.message


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_api_server_is_one_stable_line() -> None:
    server = f"http://127.0.0.1:{closed_port()}"
    info = kopf.ConnectionInfo(server=server, token="t")
    first, _ = failure(info)
    second, _ = failure(info)
    assert first.reason == Reason.KUBE_UNREACHABLE and first.retryable and first.status == 0
    assert first.message == (f"cannot reach the Kubernetes API server at {server} while reading Secret "
                             f"{NS}/{SECRET}: connection refused")
    assert second.message == first.message  # the same problem: the same text, so no new event per retry
    assert first.__cause__ is None and first.__suppress_context__


@pytest.mark.parametrize(("value", "seconds"), [
    ("7", 7.0), (" 0 ", 0.0), ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0), ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
    ("soon", None), ("", None), (None, None), ("-3", None), ("\uff11", None),  # a fullwidth digit
])
def test_retry_after_parses_seconds_and_http_dates(value: str | None, seconds: float | None) -> None:
    now = datetime.datetime(2015, 10, 21, 7, 28, tzinfo=datetime.UTC)
    assert parse_retry_after(value, now) == seconds
