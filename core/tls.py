"""Turns ``spec.tls`` into the SSL context Vault's certificate is verified with.

Contexts are cached by their CA: building one costs milliseconds, and connections that
trust the same CA share one context, hence one pool of kept-alive HTTPS connections.
"""

from __future__ import annotations

import functools
import ssl

from .errors import TLSConfigError

# True: the system's CAs and certifi's; False: no verification (spec.tls.skipVerify);
# str: a CA bundle file; or a ready context.
TLSVerify = bool | str | ssl.SSLContext


def check_ca_pem(pem: str, where: str) -> ssl.SSLContext:
    """The context trusting ``pem``; TLSConfigError unless it holds at least one valid PEM certificate."""
    if "-----BEGIN CERTIFICATE-----" not in pem:
        raise TLSConfigError(f"{where} is not a PEM certificate (no BEGIN CERTIFICATE block): put the CA in PEM form")
    try:
        return _context_for_pem(pem)
    except (ssl.SSLError, ValueError) as error:
        raise TLSConfigError(f"{where} holds a PEM block that is not a valid certificate: {error}") from None


def ssl_context(verify: TLSVerify) -> ssl.SSLContext | bool:
    """What aiohttp takes as ``ssl=``: a context, or False to skip verification."""
    if isinstance(verify, ssl.SSLContext) or verify is False:
        return verify
    if verify is True:
        return _default_context()
    return _context_for_file(verify)


@functools.cache
def _default_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    try:  # requests (and so hvac) trusted certifi's bundle: keep trusting it, beside the system's
        import certifi

        context.load_verify_locations(certifi.where())
    except ImportError:
        pass
    return context


@functools.lru_cache(maxsize=64)
def _context_for_pem(pem: str) -> ssl.SSLContext:
    return ssl.create_default_context(cadata=pem)


@functools.lru_cache(maxsize=64)
def _context_for_file(path: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=path)
