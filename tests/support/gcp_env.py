"""The operator-side Google settings for tests: a clean environment, then the Google double's endpoints."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.gcp_google import GoogleDouble


def isolate_google_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No Google settings from the developer's shell, no gcloud files: google-auth sees only what a test sets."""
    for name in list(os.environ):
        if name.startswith(("GOOGLE_", "GCE_", "VAO_GCP_", "CLOUDSDK_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))


def point_at(google: GoogleDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator-side settings, at the double. google-auth caches GCE_METADATA_HOST at import: patched too."""
    from google.auth.compute_engine import _metadata

    monkeypatch.setenv("VAO_GCP_IAM_CREDENTIALS_ENDPOINT", google.url)
    monkeypatch.setenv("VAO_GCP_TOKEN_ENDPOINT", f"{google.url}/token")
    monkeypatch.setenv("GCE_METADATA_HOST", google.host)
    monkeypatch.setenv("GCE_METADATA_IP", google.host)
    monkeypatch.setattr(_metadata, "_GCE_METADATA_HOST", google.host)
