"""A service-account key JSON from a Secret: parsed and checked before google-auth sees it.

The key is tenant input. Its ``token_uri`` is not followed: google-auth would post an assertion
signed with the key to that URL, so a key could make the operator call any address. The operator's
own token endpoint (endpoints.py) replaces it. Messages name fields, never values: the text of the
JSON (the private key) never goes into one.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from vault_access_operator.plugin import CredentialsError

#: The fields google-auth's service_account.Credentials needs.
REQUIRED_FIELDS = ("client_email", "private_key")
DEFAULT_UNIVERSE = "googleapis.com"


@dataclasses.dataclass(frozen=True)
class ServiceAccountKey:
    """A parsed key: the account it belongs to and the info google-auth reads (``info`` holds the private key)."""

    client_email: str
    key_id: str
    info: dict[str, Any] = dataclasses.field(repr=False)


def parse_key(text: str, where: str, token_uri: str) -> ServiceAccountKey:
    """Parse ``text`` (from ``where``, a Secret key named in messages); ``token_uri`` replaces the key's own."""
    try:
        info = json.loads(text)
    except json.JSONDecodeError as error:
        # json's message quotes a position, never the text: safe, and it says where the syntax breaks.
        raise CredentialsError(
            f"{where} (credentialsSecretRef) is not JSON ({error.msg} at line {error.lineno} column {error.colno}): "
            "store the service-account key file there as downloaded (gcloud iam service-accounts keys create)"
        ) from None
    except RecursionError:
        raise CredentialsError(f"{where} (credentialsSecretRef) is JSON nested too deeply to be a key file") from None
    if not isinstance(info, dict):
        raise CredentialsError(f"{where} (credentialsSecretRef) is JSON but not an object: store the key file there")
    kind = info.get("type")
    if kind != "service_account":
        shown = kind if isinstance(kind, str) and len(kind) <= 40 else "missing"
        raise CredentialsError(
            f"{where} (credentialsSecretRef) holds credentials of type {shown!r}, not a service-account key "
            "(\"type\": \"service_account\"): the iam login needs a service account's key; for Workload Identity "
            "or application default credentials remove credentialsSecretRef"
        )
    missing = [name for name in REQUIRED_FIELDS if not isinstance(info.get(name), str) or not info.get(name)]
    if missing:
        raise CredentialsError(
            f"{where} (credentialsSecretRef) is a service-account key without {', '.join(missing)}: store the "
            "complete key file there"
        )
    universe = info.get("universe_domain", DEFAULT_UNIVERSE)
    if universe != DEFAULT_UNIVERSE:
        raise CredentialsError(
            f"{where} (credentialsSecretRef) is a key of universe domain {str(universe)[:80]!r}: only "
            f"{DEFAULT_UNIVERSE} keys are supported"
        )
    kept = {**info, "token_uri": token_uri}
    return ServiceAccountKey(str(info["client_email"]), str(info.get("private_key_id") or ""), kept)
