"""A minimal kopf operator used only to prove that kopf runs against FakeKube.

Handlers go into a private registry (passed to KopfRunner), so they never leak into the real
operator's default registry when both are imported in one pytest process.
"""

from __future__ import annotations

import os
from typing import Any

import kopf

registry = kopf.OperatorRegistry()
GROUP, VERSION, PLURAL = "vault.platform.io", "v1alpha1", "vaultconnections"
FINALIZER_NOTE = "smoke-operator-was-here"


@kopf.on.login(registry=registry)
def login(**_: Any) -> kopf.ConnectionInfo:
    # FAKE_KUBE_URL is set by the test; no kubeconfig or in-cluster config is involved.
    return kopf.ConnectionInfo(server=os.environ["FAKE_KUBE_URL"], insecure=True, default_namespace="default")


@kopf.on.startup(registry=registry)
def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    # kopf 1.45 posts k8s Events only for explicit kopf.event/info/warn/exception calls;
    # handler log lines become Events only with settings.posting.loggers = True.
    settings.networking.connect_timeout = 5
    settings.watching.reconnect_backoff = 0.1


@kopf.on.create(GROUP, VERSION, PLURAL, registry=registry)
def on_create(body: kopf.Body, spec: kopf.Spec, patch: kopf.Patch, logger: kopf.Logger, **_: Any) -> dict[str, Any]:
    patch.status["phase"] = "Seen"
    patch.status["address"] = spec.get("address")
    kopf.info(body, reason="SmokeSeen", message="smoke operator saw the VaultConnection")
    return {"handled": True}  # kopf stores it as status.on_create


@kopf.on.delete(GROUP, VERSION, PLURAL, registry=registry)
def on_delete(logger: kopf.Logger, **_: Any) -> None:
    logger.info(FINALIZER_NOTE)
