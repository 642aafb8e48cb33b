"""The gcp provider keeps the plugin kit's contract (the check the operator's loader runs, then a login) with
a key from a Secret, against the Google double; and the entry point names it."""

from __future__ import annotations

import datetime
import json

from tests.conftest import OPERATOR_NS
from tests.support.gcp_google import GoogleDouble
from vault_access_operator.plugins.gcp import GcpAuthProvider
from vault_access_operator.testing.contract import check_entry_point, check_provider
from vault_access_operator.testing.recording import RecordingAuthContext

pytest_plugins = ["tests.support.gcp_fixtures"]


class KeyFileContext(RecordingAuthContext):
    """The kit's context, with the key file's secret part watched instead of the whole file: its client_email
    (and Google's URLs) are public and shown on purpose (status names the account that logs in), so the
    kit's any-16-characters check would flag them."""

    async def read_secret(self, namespace: str, name: str, key: str) -> str:
        value = self.secrets[(namespace, name, key)]
        private_key = json.loads(value)["private_key"]
        self.watch_for_leaks(private_key, *private_key.splitlines()[1:-1])
        return value


def test_the_gcp_provider_keeps_the_contract(google: GoogleDouble) -> None:
    assert check_entry_point("gcp") is GcpAuthProvider
    account = next(iter(google.accounts.values()))
    key_json = google.key_json(account)
    ctx = KeyFileContext(now=datetime.datetime.now(datetime.UTC),
                               secrets={(OPERATOR_NS, "gcp-key", "credentials.json"): key_json})
    ctx.watch_for_leaks(*google.signed)
    sample = {"role": "operator", "credentialsSecretRef": {"name": "gcp-key", "key": "credentials.json"}}
    report = check_provider(GcpAuthProvider, sample, ctx)
    assert report.request is not None and report.request.mount == "gcp"
    assert report.request.details["serviceAccount"] == account.email
    assert len(google.sign_requests) >= 1
