"""Tenancy that a tenant cannot switch off: what a namespaced policy may reach, from the connection's settings.

Pure: no I/O. The policy controller calls :func:`check_policy_rules` before it renders or writes anything;
a refusal is a :class:`TenancyError` (reason TenancyViolation, not retryable) naming the rule index, the
path and the setting that refused it. Vault's ACL path semantics (what the checks reason about): ``+`` is
one whole segment of any text, ``*`` is a glob only as the path's last character, ``{{...}}`` is a
template Vault fills at request time (so it may be anything).
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Mapping, Sequence
from typing import Protocol

from ..errors import TenancyError
from ..models import Confinement, TenancySpec

__all__ = [
    "PolicyRuleLike",
    "PolicyScope",
    "TenancyError",
    "TenancySettings",
    "check_namespace_allowed",
    "check_policy_rules",
    "confinement_override",
    "tenancy_for",
]

NAMESPACE_VAR = "{{namespace}}"
#: KV v2 sub-paths: ``<mount>/<one of these>/<namespace>/...`` is the namespace's own area.
KV2_SUBPATHS = frozenset({"data", "metadata", "delete", "undelete", "destroy", "subkeys"})
#: Vault's own top-level paths: never a tenant's mount, never a tenant's namespace name under confinement.
SYSTEM_PATHS = frozenset({"sys", "auth", "identity", "cubbyhole"})
#: Endpoints of common engines right under a mount (KV's config, database/creds, pki/issue, transit/keys...):
#: a namespace of that name would claim ``<mount>/<name>/...`` of every such mount. Not exhaustive, hence
#: spec.tenancy.deniedPathPrefixes for mounts other than KV (docs/access/policies.md).
ENDPOINT_NAMES = frozenset({
    "config", "creds", "static-creds", "roles", "role", "static-roles", "issue", "issuer", "issuers", "sign",
    "sign-verbatim", "keys", "key", "encrypt", "decrypt", "rewrap", "datakey", "hmac", "verify", "export",
    "rotate", "rotate-root", "login", "ca", "cert", "certs", "crl", "revoke", "tidy", "root", "intermediate",
    "lookup", "library", "backup", "restore", "cache-config", "random", "hash",
})
SPEC_CONFINEMENT = "spec.tenancy.confinement"
CONFINEMENT_FLAG, CONFINEMENT_ENV = "--tenancy-confinement", "VAO_TENANCY_CONFINEMENT"
FLAG_CONFINEMENT = f"{CONFINEMENT_FLAG} (env {CONFINEMENT_ENV})"
CONFINED_SHAPE = "<mount>/<namespace>/... or, for KV v2, <mount>/data|metadata|delete|undelete|destroy/<namespace>/..."


class PolicyRuleLike(Protocol):
    @property
    def path(self) -> str: ...

    @property
    def capabilities(self) -> Sequence[str]: ...


@dataclasses.dataclass(frozen=True)
class PolicyScope:
    namespace: str | None  # None for VaultClusterPolicy


@dataclasses.dataclass(frozen=True)
class TenancySettings:
    """The effective tenancy of one connection (its spec.tenancy and the operator-wide override)."""

    allowed_namespaces: tuple[str, ...] | None = None  # globs; None: every namespace
    confinement: Confinement = Confinement.NONE
    confinement_setting: str = SPEC_CONFINEMENT  # which setting decided confinement, for messages
    allowed_capabilities: frozenset[str] | None = None  # None: all
    denied_path_prefixes: tuple[str, ...] = ()
    allowed_kv_paths: tuple[str, ...] | None = None  # VaultKVSecret path globs; None: decided by confinement


def parse_confinement(value: str, setting: str) -> Confinement:
    """A confinement value from a flag or env var; ValueError names the setting and the accepted values."""
    try:
        return Confinement(value.strip().lower())
    except ValueError:
        raise ValueError(f"{setting}: {value!r} is not a confinement; use none or namespace") from None


def confinement_override(flag: str | None, environ: Mapping[str, str]) -> Confinement | None:
    """The operator-wide override from ``--tenancy-confinement`` (which replaces the env var), or None."""
    if flag is not None:
        return parse_confinement(flag, CONFINEMENT_FLAG)
    value = environ.get(CONFINEMENT_ENV, "")
    return parse_confinement(value, CONFINEMENT_ENV) if value.strip() else None


#: Effective settings already worked out, by (id of the spec.tenancy, override); each entry keeps its spec alive,
#: so an id here is never another object's. Every pass asks (1.5 passes per object in an initial sync), nearly
#: always for the spec of the same few connections: working it out anew built a TenancySpec for a connection with
#: none, an enum and the settings each time (about 3 µs, 0.4 to 0.7% of the operator's CPU in bench.access_sync).
_EFFECTIVE: dict[tuple[int, Confinement | None], tuple[TenancySpec | None, TenancySettings]] = {}
_EFFECTIVE_LIMIT = 4096  # more connection specs than this: start afresh (a spec changed is a new object)


def tenancy_for(spec: TenancySpec | None, operator_override: Confinement | None = None) -> TenancySettings:
    """Effective settings; the override (``--tenancy-confinement namespace``) can only make confinement stricter.

    Worked out once per spec object (spec models are frozen: a connection edited has a new one).
    """
    key = (id(spec), operator_override)
    found = _EFFECTIVE.get(key)
    if found is not None:  # its spec is this one: kept alive by the entry, the id is not another object's yet
        return found[1]
    if len(_EFFECTIVE) >= _EFFECTIVE_LIMIT:
        _EFFECTIVE.clear()
    settings = _effective(spec, operator_override)
    _EFFECTIVE[key] = (spec, settings)
    return settings


def _effective(spec: TenancySpec | None, operator_override: Confinement | None) -> TenancySettings:
    spec = spec or TenancySpec()
    confinement, setting = Confinement(spec.confinement), SPEC_CONFINEMENT
    if operator_override is Confinement.NAMESPACE:
        confinement, setting = Confinement.NAMESPACE, FLAG_CONFINEMENT
    return TenancySettings(
        allowed_namespaces=None if spec.allowed_namespaces is None else tuple(spec.allowed_namespaces),
        confinement=confinement,
        confinement_setting=setting,
        allowed_capabilities=None if spec.allowed_capabilities is None else frozenset(spec.allowed_capabilities),
        denied_path_prefixes=tuple(spec.denied_path_prefixes or ()),
        allowed_kv_paths=None if spec.allowed_kv_paths is None else tuple(spec.allowed_kv_paths),
    )


def check_namespace_allowed(tenancy: TenancySettings, namespace: str) -> None:
    """Raise TenancyError unless objects in ``namespace`` may use this connection."""
    allowed = tenancy.allowed_namespaces
    if allowed is not None and not any(fnmatch.fnmatchcase(namespace, glob) for glob in allowed):
        listed = ", ".join(allowed) or "none"
        raise TenancyError(
            f"namespace {namespace!r} may not use this VaultConnection: its spec.tenancy.allowedNamespaces lists "
            f"{listed}; ask the platform team to add it, or use another connection",
            setting="spec.tenancy.allowedNamespaces",
        )


def check_policy_rules(rules: Sequence[PolicyRuleLike], scope: PolicyScope, tenancy: TenancySettings) -> None:
    """Raise TenancyError for the first rule the connection's tenancy refuses. Cluster-scoped policies
    (``scope.namespace is None``) belong to the platform team: nothing is refused for them."""
    namespace = scope.namespace
    if namespace is None:
        return
    check_namespace_allowed(tenancy, namespace)
    confined = tenancy.confinement is Confinement.NAMESPACE
    if confined and (namespace in SYSTEM_PATHS or namespace in ENDPOINT_NAMES):
        like = f"Vault's {namespace}/ path" if namespace in SYSTEM_PATHS else f"a Vault endpoint (<mount>/{namespace}/)"
        raise TenancyError(
            f"namespace {namespace!r} is named like {like}: confined policies are refused in it "
            f"(refused by {_shown(tenancy.confinement_setting)}=namespace); use a namespace with another name",
            setting=tenancy.confinement_setting,
        )
    for index, rule in enumerate(rules):
        where = f"spec.rules[{index}].path {rule.path!r}"
        if tenancy.allowed_capabilities is not None:
            refused = [c for c in rule.capabilities if c != "deny" and c not in tenancy.allowed_capabilities]
            if refused:
                raise TenancyError(
                    f"spec.rules[{index}] (path {rule.path!r}) grants {', '.join(refused)}, which "
                    f"the VaultConnection's spec.tenancy.allowedCapabilities does not list "
                    f"({', '.join(sorted(tenancy.allowed_capabilities)) or 'none'}); remove it",
                    setting="spec.tenancy.allowedCapabilities",
                    rule_index=index,
                )
        path = rule.path.replace(NAMESPACE_VAR, namespace)
        if confined:
            why = confinement_problem(path, namespace)
            if why:
                raise TenancyError(
                    f"{where}: {why}; a confined path has the shape {CONFINED_SHAPE} "
                    f"(refused by {_shown(tenancy.confinement_setting)}=namespace)",
                    setting=tenancy.confinement_setting,
                    rule_index=index,
                )
        for prefix in tenancy.denied_path_prefixes:
            if may_reach_prefix(path, prefix):
                raise TenancyError(
                    f"{where} can reach paths under {prefix!r}, which the VaultConnection's "
                    "spec.tenancy.deniedPathPrefixes refuses",
                    setting="spec.tenancy.deniedPathPrefixes",
                    rule_index=index,
                )


def confinement_problem(path: str, namespace: str) -> str | None:
    """Why ``path`` ({{namespace}} already filled in) may reach outside ``namespace``'s area, or None."""
    segments = path.split("/")
    if ".." in segments or "." in segments:
        return "a . or .. segment is refused"
    if "" in segments[:-1]:  # one trailing / is a folder; a leading / or // would shift the namespace's place
        return "an empty segment (a leading / or //) is refused"
    position = 2 if len(segments) > 1 and segments[1] in KV2_SUBPATHS else 1
    if len(segments) <= position:
        return f"the path has no segment for the namespace {namespace!r}"
    for segment in segments[:position]:
        if segment == "+":
            return "a + segment before the namespace matches other namespaces' paths"
        if not _literal(segment):
            return "a glob or template before the namespace matches other namespaces' paths"
    if segments[0] in SYSTEM_PATHS:
        return f"{segments[0]}/ is Vault's own path, not a tenant's mount"
    own = segments[position]
    if own != namespace:
        if own.startswith(namespace) and own[len(namespace) :].startswith("*"):
            return f"a glob right after the namespace also matches namespaces such as {namespace}-other"
        if segments[0] == namespace:
            return "the namespace must follow a mount (<mount>/<namespace>/...), not be the first segment"
        if own == "+":
            return "a + segment in the namespace's place matches every namespace"
        if not _literal(own):
            return "a glob or template in the namespace's place matches other namespaces"
        return f"segment {position + 1} is {own!r}, outside the namespace: it must be {namespace!r} ({{{{namespace}}}})"
    return None


def may_reach_prefix(path: str, prefix: str) -> bool:
    """True when some request path that ``path`` (a Vault ACL path) matches starts with ``prefix``."""
    i = j = 0
    while j < len(prefix):
        if i >= len(path):
            return False  # an exact path shorter than the prefix
        if path.startswith("{{", i):
            return True  # a template may be anything: assume the worst
        if path[i] == "*" and i == len(path) - 1:
            return True  # the trailing glob matches any continuation
        if path[i] == "+" and (i == 0 or path[i - 1] == "/") and _segment_wildcard_end(path, i + 1):
            end = prefix.find("/", j)
            if end < 0:
                return True  # the prefix ends inside the segment + matches
            i, j = i + 1, end  # + takes the prefix's whole segment
            continue
        if path[i] != prefix[j]:
            return False
        i, j = i + 1, j + 1
    return True


def _shown(setting: str) -> str:
    return f"the VaultConnection's {setting}" if setting.startswith("spec.") else setting


def _segment_wildcard_end(path: str, after: int) -> bool:
    # Vault reads + as a wildcard only as a whole segment; "+*" at the end is that segment, then the glob.
    return path[after:] in ("", "*") or path[after] == "/"


def _literal(segment: str) -> bool:
    return bool(segment) and "*" not in segment and "+" not in segment and "{{" not in segment
