"""Loading the auth plugins imports none of the cloud SDKs: they load when a connection of that method logs in.

botocore (aws), google-auth and requests (gcp) and PyJWT with cryptography (oidc, jwt, gcp) were imported with
their plugins, about 0.15 s of every start of the operator (``python -X importtime``; bench/README.md, session
10), whether or not any connection uses those methods.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("botocore", "boto3", "google.auth", "google.oauth2", "requests", "jwt", "cryptography")

_LOAD = """
import json, sys
from vault_access_operator.registry import load_providers
registry = load_providers()
{then}
print(json.dumps({{"methods": sorted(registry.providers), "loaded": [m for m in {heavy!r} if m in sys.modules]}}))
"""


def _load_in_a_fresh_process(then: str = "") -> dict[str, list[str]]:
    code = _LOAD.format(then=then, heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    result: dict[str, list[str]] = json.loads(out.stdout.splitlines()[-1])
    return result


def test_loading_the_plugins_imports_no_cloud_sdk() -> None:
    loaded = _load_in_a_fresh_process()
    assert {"aws", "gcp", "oidc", "jwt", "kubernetes"} <= set(loaded["methods"])
    assert loaded["loaded"] == []


def test_the_aws_signing_helpers_are_still_exported_and_load_botocore_when_asked_for() -> None:
    loaded = _load_in_a_fresh_process(
        "from vault_access_operator.plugins.aws_iam import SignedRequest, regional_sts_endpoint\n"
        "assert regional_sts_endpoint('eu-west-1') == 'https://sts.eu-west-1.amazonaws.com'")
    assert "botocore" in loaded["loaded"]
