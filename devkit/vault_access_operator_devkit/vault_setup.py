"""Configure an OpenBao server (through hvac) for the operator's login paths."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import hvac
import hvac.exceptions

from vault_access_operator.testing.tls import make_ca_pem


def write_policy(client: hvac.Client, name: str, rules: str) -> None:
    client.sys.create_or_update_policy(name=name, policy=rules)


def enable_kubernetes_auth(client: hvac.Client, kube_url: str, mount: str = "kubernetes",
                           ca_pem: str | None = None, token_reviewer_jwt: str | None = None) -> None:
    """Mount + configure `kubernetes` auth so that OpenBao calls TokenReview on `kube_url`.

    With disable_local_ca_jwt and no reviewer JWT, OpenBao sends TokenReview using the login
    JWT itself as the bearer. kubernetes_ca_cert must be *some* valid PEM even for http://.
    """
    if f"{mount}/" not in client.sys.list_auth_methods()["data"]:
        client.sys.enable_auth_method(method_type="kubernetes", path=mount)
    client.auth.kubernetes.configure(
        kubernetes_host=kube_url,
        kubernetes_ca_cert=ca_pem or make_ca_pem("placeholder-kube-ca"),
        token_reviewer_jwt=token_reviewer_jwt,
        disable_local_ca_jwt=True,
        mount_point=mount,
    )


def create_kubernetes_role(client: hvac.Client, name: str, sa_names: Sequence[str], sa_namespaces: Sequence[str],
                           ttl: str | int = "1h", max_ttl: str | int | None = None, token_type: str = "default",
                           policies: Sequence[str] = ("default",), mount: str = "kubernetes",
                           audience: str | None = None) -> None:
    client.auth.kubernetes.create_role(
        name=name,
        bound_service_account_names=list(sa_names),
        bound_service_account_namespaces=list(sa_namespaces),
        ttl=ttl,
        max_ttl=max_ttl,
        policies=list(policies),
        token_type=token_type,
        audience=audience,
        mount_point=mount,
    )


def kubernetes_login(url: str, role: str, jwt: str, mount: str = "kubernetes",
                     verify: str | bool = True) -> dict[str, Any]:
    """Log in like the operator would; returns the `auth` block. Raises hvac errors on failure."""
    client = hvac.Client(url=url, verify=verify)
    return client.auth.kubernetes.login(role=role, jwt=jwt, mount_point=mount)["auth"]  # type: ignore[no-any-return]


def enable_kv2(client: hvac.Client, path: str = "secret", timeout: float = 10.0) -> None:
    """Mount KV version 2 at `path` and return once it serves requests.

    A fresh KV v2 mount upgrades its storage in the background and answers 400 "Upgrading from
    non-versioned to versioned data" until it is done, so a write right after the mount can fail.
    """
    if f"{path}/" not in client.sys.list_mounted_secrets_engines()["data"]:
        client.sys.enable_secrets_engine("kv", path=path, options={"version": "2"})
    deadline = time.monotonic() + timeout
    while True:
        try:  # a data read is what the upgrade gates: 404 once it serves, 400 before
            client.secrets.kv.v2.read_secret_version(path="vao-mount-probe", mount_point=path,
                                                     raise_on_deleted_version=False)
            return
        except hvac.exceptions.InvalidPath:
            return
        except hvac.exceptions.InvalidRequest:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
