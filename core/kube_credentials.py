"""How the operator presents itself to the Kubernetes API: the TLS context and the Authorization header
built from the credentials kopf logged in with (in-cluster service account or kubeconfig)."""

from __future__ import annotations

import base64
import ssl
import tempfile

import kopf


def authorization(info: kopf.ConnectionInfo) -> dict[str, str]:
    if info.token:
        return {"Authorization": f"{info.scheme or 'Bearer'} {info.token}"}
    if info.username and info.password:
        basic = base64.b64encode(f"{info.username}:{info.password}".encode()).decode()
        return {"Authorization": f"Basic {basic}"}
    return {}


def ssl_context(info: kopf.ConnectionInfo) -> ssl.SSLContext | bool:
    if info.insecure:
        return False
    context = ssl.create_default_context(
        cafile=str(info.ca_path) if info.ca_path else None,
        cadata=info.ca_data.decode() if isinstance(info.ca_data, bytes) else info.ca_data,
    )
    cert, key = info.certificate_path, info.private_key_path
    if info.certificate_data and info.private_key_data:
        # ssl only loads client certificates from files.
        cert, key = _temp_file(info.certificate_data), _temp_file(info.private_key_data)
    if cert and key:
        context.load_cert_chain(str(cert), str(key))
    return context


def _temp_file(data: str | bytes) -> str:
    with tempfile.NamedTemporaryFile(delete=False, prefix="vao-kube-", suffix=".pem") as handle:
        handle.write(data.encode() if isinstance(data, str) else data)
        return handle.name
