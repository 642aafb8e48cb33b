"""Sync CRUD/watch/token shortcuts for FakeKube, all over plain HTTP."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from .kube_resources import VAULTCONNECTIONS, ResourceSpec

if TYPE_CHECKING:
    import requests

    from .kube_tokens import TokenAuthority

Obj = dict[str, Any]
PATCH_TYPES = {"merge": "application/merge-patch+json", "json": "application/json-patch+json",
               "strategic": "application/strategic-merge-patch+json"}


class KubeHelpersMixin:
    specs: list[ResourceSpec]
    tokens: TokenAuthority

    def call(self, method: str, path: str, *, missing_ok: bool = False, **kwargs: Any) -> Any:
        raise NotImplementedError

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        raise NotImplementedError

    def spec(self, resource: str | ResourceSpec) -> ResourceSpec:
        """Accepts a ResourceSpec, a plural, a singular, a Kind, "plural.group" or "group/version/plural"."""
        if isinstance(resource, ResourceSpec):
            return resource
        for spec in self.specs:
            if resource in spec.aliases():
                return spec
        raise KeyError(f"unknown resource {resource!r}")

    # -- generic CRUD -------------------------------------------------------------------
    def create(self, resource: str | ResourceSpec, body: Obj, namespace: str | None = None) -> Obj:
        spec = self.spec(resource)
        namespace = namespace or body.get("metadata", {}).get("namespace") or ("default" if spec.namespaced else None)
        return self.call("POST", spec.url(namespace), json=body)  # type: ignore[no-any-return]

    def get(self, resource: str | ResourceSpec, name: str, namespace: str | None = None) -> Obj | None:
        return self.call("GET", self.spec(resource).url(namespace, name), missing_ok=True)  # type: ignore[no-any-return]

    def list_objects(self, resource: str | ResourceSpec, namespace: str | None = None,
             label_selector: str | None = None) -> list[Obj]:
        params = {"labelSelector": label_selector} if label_selector else {}
        return self.call("GET", self.spec(resource).url(namespace), params=params)["items"]  # type: ignore[no-any-return]

    def resource_version(self, resource: str | ResourceSpec, namespace: str | None = None) -> str:
        """The list resourceVersion: pass it to watch() to see only later events."""
        return self.call("GET", self.spec(resource).url(namespace))["metadata"]["resourceVersion"]  # type: ignore[no-any-return]

    def patch(self, resource: str | ResourceSpec, name: str, patch: Obj | list[Obj], namespace: str | None = None,
              *, subresource: str | None = None, patch_type: str = "merge") -> Obj:
        url = self.spec(resource).url(namespace, name, subresource)
        headers = {"Content-Type": PATCH_TYPES[patch_type]}
        return self.call("PATCH", url, data=json.dumps(patch), headers=headers)  # type: ignore[no-any-return]

    def replace(self, resource: str | ResourceSpec, name: str, body: Obj, namespace: str | None = None,
                *, subresource: str | None = None) -> Obj:
        return self.call("PUT", self.spec(resource).url(namespace, name, subresource), json=body)  # type: ignore[no-any-return]

    def delete(self, resource: str | ResourceSpec, name: str, namespace: str | None = None) -> Obj | None:
        """DELETE; with finalizers the object only gets deletionTimestamp. None if it was absent."""
        return self.call("DELETE", self.spec(resource).url(namespace, name), missing_ok=True)  # type: ignore[no-any-return]

    def watch(self, resource: str | ResourceSpec, namespace: str | None = None, *,
              resource_version: str | None = None, timeout_seconds: float = 1.0,
              label_selector: str | None = None) -> list[Obj]:
        """Collect watch events for `timeout_seconds` (server-side timeout ends the stream)."""
        params: dict[str, str] = {"watch": "true", "timeoutSeconds": str(timeout_seconds)}
        if resource_version:
            params["resourceVersion"] = resource_version
        if label_selector:
            params["labelSelector"] = label_selector
        url = self.spec(resource).url(namespace)
        with self.request("GET", url, params=params, stream=True, timeout=timeout_seconds + 10) as response:
            response.raise_for_status()
            return [json.loads(line) for line in response.iter_lines() if line.strip()]

    # -- typed shortcuts -------------------------------------------------------------------
    def create_namespace(self, name: str, labels: dict[str, str] | None = None) -> Obj:
        return self.create("namespaces", {"metadata": {"name": name, "labels": labels or {}}})

    def ensure_namespace(self, name: str) -> None:
        if self.get("namespaces", name) is None:
            self.create_namespace(name)

    def create_secret(self, namespace: str, name: str, data: dict[str, str], *, type: str = "Opaque",
                      labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None) -> Obj:
        """Sent as stringData; the server stores base64 `data` like a real API server. Creates the namespace."""
        self.ensure_namespace(namespace)
        meta = {"name": name, "labels": labels or {}, "annotations": annotations or {}}
        return self.create("secrets", {"metadata": meta, "type": type, "stringData": data}, namespace)

    def secret_data(self, namespace: str, name: str) -> dict[str, str] | None:
        """The decoded `data` of a Secret, or None if there is no such Secret."""
        secret = self.get("secrets", name, namespace)
        if secret is None:
            return None
        return {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}

    def create_service_account(self, namespace: str, name: str) -> Obj:
        self.ensure_namespace(namespace)
        return self.create("serviceaccounts", {"metadata": {"name": name}}, namespace)

    def create_vaultconnection(self, name: str, spec: Obj, *, labels: dict[str, str] | None = None,
                               annotations: dict[str, str] | None = None) -> Obj:
        meta = {"name": name, "labels": labels or {}, "annotations": annotations or {}}
        body = {"apiVersion": VAULTCONNECTIONS.api_version, "kind": VAULTCONNECTIONS.kind,
                "metadata": meta, "spec": spec}
        return self.create(VAULTCONNECTIONS, body)

    def get_vaultconnection(self, name: str) -> Obj | None:
        return self.get(VAULTCONNECTIONS, name)

    def patch_vaultconnection(self, name: str, patch: Obj) -> Obj:
        return self.patch(VAULTCONNECTIONS, name, patch)

    def patch_vaultconnection_status(self, name: str, status: Obj) -> Obj:
        return self.patch(VAULTCONNECTIONS, name, {"status": status}, subresource="status")

    def delete_vaultconnection(self, name: str) -> Obj | None:
        return self.delete(VAULTCONNECTIONS, name)

    def list_events(self, namespace: str | None = None, *, involved_name: str | None = None,
                    reason: str | None = None) -> list[Obj]:
        events = self.list_objects("events", namespace)
        return [e for e in events
                if (involved_name is None or e.get("involvedObject", {}).get("name") == involved_name)
                and (reason is None or e.get("reason") == reason)]

    # -- service-account tokens --------------------------------------------------------------
    def request_token(self, namespace: str, name: str, audiences: list[str] | None = None,
                      expiration_seconds: int = 3600) -> str:
        """TokenRequest over HTTP (as the operator does it); returns status.token."""
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                "spec": {"audiences": audiences or [], "expirationSeconds": expiration_seconds}}
        url = self.spec("serviceaccounts").url(namespace, name, "token")
        return self.call("POST", url, json=body)["status"]["token"]  # type: ignore[no-any-return]

    def review_token(self, token: str, audiences: list[str] | None = None) -> Obj:
        """TokenReview over HTTP (as OpenBao does it); returns the `status`."""
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
                "spec": {"token": token, **({"audiences": audiences} if audiences else {})}}
        return self.call("POST", "/apis/authentication.k8s.io/v1/tokenreviews", json=body)["status"]  # type: ignore[no-any-return]

    def revoke_token(self, token: str) -> None:
        self.tokens.revoke(token)

    @property
    def forbid_token_requests(self) -> bool:
        return self.tokens.forbid_requests

    @forbid_token_requests.setter
    def forbid_token_requests(self, value: bool) -> None:
        self.tokens.forbid_requests = value
