"""How long does the aws plugin take to build a login request? (Not part of the test suite.)

    python bench/bench_aws_login.py [-n 5000]

Two measurements, both without any network:

* ``sign``: the pure function alone, sign_get_caller_identity() + login_fields(): SigV4
  (four HMAC-SHA256 rounds and a SHA-256 of the canonical request) plus base64/JSON.
* ``login_request``: AwsAuthProvider.login_request() end to end with static credentials
  from the environment and a fixed region: the cached botocore session, the worker-thread
  hop for get_frozen_credentials(), signing, and building the LoginRequest.

How to read it: the median is the typical cost per login, p99 the slow tail (GC pauses,
thread-pool scheduling). Logins happen once per token lifetime per connection (minutes to
hours apart), so anything well under a millisecond is noise next to the Vault round trip
(and Vault's own call to STS, typically 20-100 ms). The ``login_request`` figure is dominated
by the thread hop, which is the price of never blocking the event loop; a refresh of
IRSA / Pod Identity credentials (an STS or agent call, about once an hour) is not included.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import statistics
import time
from collections.abc import Callable

from botocore.credentials import ReadOnlyCredentials

from vault_access_operator.plugins.aws_iam import AwsAuthConfig, AwsAuthProvider, sign_get_caller_identity

CREDS = ReadOnlyCredentials("ASIAEXAMPLEEXAMPLE12", "bench/secret/key/EXAMPLE", "FwoGZXIvYXdzE" + "x" * 400)
NOW = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)


class _Ctx:
    """The smallest AuthContext login_request needs for static credentials."""

    connection_name, operator_namespace, operator_service_account = "bench", "ns", "sa"

    def now(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC)

    def remember_secret(self, value: str) -> None:
        pass


def report(name: str, samples_ns: list[int]) -> None:
    micros = sorted(s / 1000 for s in samples_ns)
    p99 = micros[min(len(micros) - 1, int(len(micros) * 0.99))]
    print(f"{name:>14}: n={len(micros)}  median={statistics.median(micros):8.1f} us  p99={p99:8.1f} us  "
          f"max={micros[-1]:8.1f} us")


def time_calls(call: Callable[[], object], n: int) -> list[int]:
    for _ in range(min(100, n)):  # warm up imports and caches
        call()
    samples = []
    for _ in range(n):
        start = time.perf_counter_ns()
        call()
        samples.append(time.perf_counter_ns() - start)
    return samples


async def time_login_requests(n: int) -> list[int]:
    os.environ.update(AWS_ACCESS_KEY_ID=CREDS.access_key, AWS_SECRET_ACCESS_KEY=CREDS.secret_key,
                      AWS_SESSION_TOKEN=CREDS.token or "", AWS_EC2_METADATA_DISABLED="true")
    provider = AwsAuthProvider()
    config = AwsAuthConfig.model_validate({"role": "bench", "region": "eu-west-1", "iamServerIdHeaderValue": "v"})
    ctx = _Ctx()
    for _ in range(min(100, n)):
        await provider.login_request(config, ctx)  # type: ignore[arg-type]
    samples = []
    for _ in range(n):
        start = time.perf_counter_ns()
        await provider.login_request(config, ctx)  # type: ignore[arg-type]
        samples.append(time.perf_counter_ns() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=5000, help="iterations per measurement (default 5000)")
    n = parser.parse_args().n

    def sign() -> object:
        endpoint = "https://sts.eu-west-1.amazonaws.com"
        return sign_get_caller_identity(CREDS, "eu-west-1", endpoint, "vault.example.com", NOW).login_fields()

    report("sign", time_calls(sign, n))
    report("login_request", asyncio.run(time_login_requests(n)))


if __name__ == "__main__":
    main()
