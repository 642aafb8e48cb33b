"""Tenancy of jwt roles: a confined VaultRole may bind only identities of its own namespace.

Vault matches ``bound_subject`` exactly and every ``bound_claims`` name must match one of its values
(``glob``: ``*`` matches any run of characters, ``:`` included). A confined role must therefore pin the
namespace: its subject, or one of its claims, can only match identities of the namespace, and no claim
that names a namespace (``sub``, ``/kubernetes.io/namespace``, ``kubernetes.io/namespace``) may name
another. Anything else (another namespace's service account, a glob that reaches other namespaces, claims
of an outside issuer that say nothing about the namespace) is refused with the field that reaches out.
"""

from __future__ import annotations

from collections.abc import Mapping

from vault_access_operator.plugin import TenancyError

SA_SUBJECT_PREFIX = "system:serviceaccount:"
#: Claims that carry a Kubernetes namespace in a service-account token (the JSON pointer Vault resolves,
#: and the flat spelling some issuers and the replaced operator's docs use).
NAMESPACE_CLAIMS = frozenset({"/kubernetes.io/namespace", "kubernetes.io/namespace"})
SUBJECT_CLAIMS = frozenset({"sub", "/sub"})
CONFINEMENT_SETTING = "spec.tenancy.confinement"
#: The connection setting that lets namespaced roles bind identities outside their namespace.
ALLOW_SETTING = "spec.tenancy.allowForeignIdentities"


def service_account_subject(namespace: str, name: str) -> str:
    """The ``sub`` of a Kubernetes service-account token."""
    return f"{SA_SUBJECT_PREFIX}{namespace}:{name}"


def _refuse(field: str, what: str, namespace: str) -> TenancyError:
    return TenancyError(
        f"{field} {what}, outside namespace {namespace}: the VaultConnection confines namespaced roles to their "
        f"namespace. Bind system:serviceaccount:{namespace}:<name>, or /kubernetes.io/namespace: [{namespace}]; "
        f"a platform team may bind other identities with a VaultClusterRole, or allow it with {ALLOW_SETTING}: true",
        setting=CONFINEMENT_SETTING,
    )


def subject_pins(value: str, namespace: str, glob: bool) -> bool:
    """Whether a subject (or a sub claim value) can only match service accounts of ``namespace``."""
    prefix = service_account_subject(namespace, "")
    literal = value.split("*", 1)[0] if glob else value
    rest = value[len(prefix):]
    return literal.startswith(prefix) and bool(rest) and ":" not in rest.replace("*", "")


def namespace_pins(value: str, namespace: str, glob: bool) -> bool:
    """Whether a namespace claim value can only match ``namespace``."""
    return value == namespace and not (glob and "*" in value)


def check_subject(subject: str, namespace: str) -> None:
    """Refuse a bound subject that is not a service account of ``namespace``."""
    if not subject_pins(subject, namespace, glob=False):
        raise _refuse("jwt.boundSubject", f"is {subject!r}", namespace)


def check_claims(claims: Mapping[str, tuple[list[str], str]], glob: bool, namespace: str) -> None:
    """Refuse claims that name another namespace, or that do not pin the namespace at all."""
    pinned = False
    for name, (values, field) in claims.items():
        if name in SUBJECT_CLAIMS:
            check = subject_pins
        elif name in NAMESPACE_CLAIMS:
            check = namespace_pins
        else:
            continue
        for value in values:
            if not check(value, namespace, glob):
                kind = "glob " if glob else ""
                raise _refuse(f"{field}[{name!r}]", f"admits {kind}{value!r}, which matches identities", namespace)
        pinned = True
    if not pinned:
        names = ", ".join(sorted(claims)) or "none"
        raise _refuse(
            "jwt.boundClaims/boundClaimsList",
            f"(claims: {names}) do not pin the namespace (no sub or /kubernetes.io/namespace claim), so they "
            "admit identities",
            namespace,
        )
