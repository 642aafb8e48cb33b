"""A minimal IMDSv2 client (EC2 instance metadata): the region and the signed identity document.

IMDSv2 only: a session token from ``PUT /latest/api/token`` first, then GETs that carry it.
The address follows botocore's own setting, ``AWS_EC2_METADATA_SERVICE_ENDPOINT``, so tests
point it at a local server; ``AWS_EC2_METADATA_DISABLED=true`` turns it off, as in botocore.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp

from vault_access_operator.plugin import clip, read_capped

ENDPOINT_ENV = "AWS_EC2_METADATA_SERVICE_ENDPOINT"
DISABLED_ENV = "AWS_EC2_METADATA_DISABLED"
DEFAULT_ENDPOINT = "http://169.254.169.254"
TOKEN_TTL_SECONDS = "21600"
_TIMEOUT = aiohttp.ClientTimeout(total=3)
BODY_LIMIT = 64 * 1024  # a region, a token, an identity document or its PKCS#7 signature: a few KiB each

REGION_PATH = "latest/meta-data/placement/region"
PKCS7_PATH = "latest/dynamic/instance-identity/pkcs7"
DOCUMENT_PATH = "latest/dynamic/instance-identity/document"


class ImdsError(Exception):
    """The instance metadata service could not answer; ``str()`` says where and why."""


class Imds:
    def __init__(self, session: aiohttp.ClientSession, endpoint: str, remember: Callable[[str], None]) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._session = session
        self._remember = remember

    @classmethod
    def from_env(
        cls, session: aiohttp.ClientSession, remember: Callable[[str], None], env: Mapping[str, str] | None = None
    ) -> Imds:
        env = os.environ if env is None else env
        if env.get(DISABLED_ENV, "").lower() == "true":
            raise ImdsError(f"the instance metadata service is disabled ({DISABLED_ENV}=true)")
        return cls(session, env.get(ENDPOINT_ENV) or DEFAULT_ENDPOINT, remember)

    async def get(self, path: str) -> str:
        ttl = {"X-aws-ec2-metadata-token-ttl-seconds": TOKEN_TTL_SECONDS}
        token = await self._request("PUT", "latest/api/token", ttl)
        self._remember(token)  # the IMDS session token grants access to instance credentials
        return await self._request("GET", path, {"X-aws-ec2-metadata-token": token})

    async def region(self) -> str:
        return (await self.get(REGION_PATH)).strip()

    async def identity_document(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(await self.get(DOCUMENT_PATH))
        return document

    async def pkcs7(self) -> str:
        # IMDS wraps the base64 at 64 columns; Vault wants it on one line, without PEM armour.
        return "".join((await self.get(PKCS7_PATH)).split())

    async def _request(self, method: str, path: str, headers: dict[str, str]) -> str:
        url = f"{self.endpoint}/{path}"
        try:
            async with self._session.request(method, url, headers=headers, timeout=_TIMEOUT) as response:
                raw = await read_capped(response, BODY_LIMIT)
                if raw is None:
                    raise ImdsError(f"{method} {url} answered with more than {BODY_LIMIT // 1024} KiB")
                text = raw.decode(errors="replace")
                if response.status == 200 and text:
                    return text
                hint = ""
                if path == "latest/api/token" and response.status in (401, 403, 405):
                    hint = " (IMDSv2 token refused: in a pod, the instance needs http-put-response-hop-limit >= 2)"
                raise ImdsError(f"{method} {url} answered HTTP {response.status}{hint}")
        except (aiohttp.ClientError, TimeoutError) as error:
            text = "" if isinstance(error, TimeoutError) else clip(str(error))
            detail = text or type(error).__name__
            raise ImdsError(f"no answer from the instance metadata service at {self.endpoint} ({detail})") from None
