"""Role writers: how a VaultRole or VaultClusterRole becomes a role of one Vault auth backend family.

The core resolves what every backend shares (the bound service accounts, the policies by their recorded
Vault names, the TTLs, the target mount, the ownership record) into a :class:`RoleBinding`. A
:class:`RoleWriter`, offered by a plugin through the ``vao_role_writers`` hook, turns that binding (plus,
when it has one, its own block under the role's spec, validated by its own model) into the role payload
for its backend, and says how a role read back from Vault differs from it. The core does the Vault I/O,
the conflict and ownership checks, drift, deletion, status and events; a writer does no I/O at all.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from .models import SpecModel

ConfigT = TypeVar("ConfigT", bound=SpecModel)

#: Where a writer stores the ownership record unless it says otherwise (as the replaced operator does).
OWNERSHIP_FIELD = "alias_metadata"


@dataclasses.dataclass(frozen=True)
class BoundAccount:
    """A Kubernetes service account a role binds."""

    namespace: str
    name: str


@dataclasses.dataclass(frozen=True)
class RoleBinding:
    """What the core resolved from one VaultRole or VaultClusterRole: the same for every backend family.

    ``namespace`` is the VaultRole's namespace and None for a VaultClusterRole. ``mount`` is the auth mount
    without ``auth/`` (``kubernetes``, ``jwt-gitlab``). ``policies`` are Vault policy names, resolved and in
    reference order. A TTL of None was left out of the spec: the writer resets it (sends 0), so nothing
    stale stays in Vault. ``confined`` is True when the connection confines namespaced objects to their
    namespace (a writer then refuses what would reach outside it, raising ``TenancyError``).
    ``login_audiences`` are the audiences of the connection's own login, a default for jwt-family roles.
    """

    kind: str
    namespace: str | None
    name: str
    vault_name: str
    mount: str
    service_accounts: tuple[BoundAccount, ...]
    policies: tuple[str, ...]
    token_ttl: int | None
    token_max_ttl: int | None
    ownership: Mapping[str, str]
    confined: bool = False
    login_audiences: tuple[str, ...] = ()


class RoleWriter(Generic[ConfigT]):
    """Writes the roles of one auth backend family. Subclass it; instances must be stateless.

    Class attributes:

    - ``family``: the backend family, matched against the connection's ``spec.defaults.authType`` (for
      example ``kubernetes``, ``jwt``, ``aws``).
    - ``login_methods``: the ``spec.auth`` keys whose login mount is of this family, so a connection that
      logs in with one of them manages roles on that mount when ``spec.defaults`` names none.
    - ``mount_prefixes``: mount names that imply this family when ``spec.defaults.authPath`` is set without
      ``authType`` (a mount equal to a prefix, or starting with it and then ``-`` or ``_``).
    - ``spec_key`` and ``config_model``: the writer's own block under the role's spec (``jwt``, ``aws``)
      and the model that validates it; None when the writer needs only the common fields. The installed
      writers' blocks appear in the role CRDs (``vault-access-operator crds``), with ``binds_rule``.
    """

    family: ClassVar[str]
    login_methods: ClassVar[tuple[str, ...]] = ()
    mount_prefixes: ClassVar[tuple[str, ...]] = ()
    spec_key: ClassVar[str | None] = None
    config_model: ClassVar[type[SpecModel] | None] = None
    #: A CEL expression, over the role's spec as ``self``, true when the writer's block binds an identity by
    #: itself (jwt: ``size(self.jwt.boundSubject) > 0 || ...``). The CRD's "a role must bind something" rule
    #: is ``serviceAccounts`` not empty, or this rule where the block is present. None: only serviceAccounts bind.
    binds_rule: ClassVar[str | None] = None

    def role_path(self, binding: RoleBinding) -> str:
        """The Vault path of the role (read, write and delete go there)."""
        return f"auth/{binding.mount}/role/{binding.vault_name}"

    def payload(self, binding: RoleBinding, config: ConfigT | None) -> dict[str, Any]:
        """The whole role as Vault should hold it, ownership record included.

        Every field the writer manages is present; one the spec leaves out carries its reset value (``0``,
        ``""``, ``[]``, ``{}``), because Vault keeps the old value of a field a write leaves out. Raise
        ``ConfigError`` for a spec this backend cannot express (the message names the field) and
        ``TenancyError`` for one that reaches outside the binding's namespace while ``confined``.
        """
        raise NotImplementedError

    def differences(self, desired: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
        """The managed fields whose value in Vault differs from ``desired`` (empty: no drift).

        The default compares every key of ``desired`` but the ownership record (``OWNERSHIP_FIELD``: checked
        through :meth:`ownership_of`, and dropped by servers that do not keep it, such as OpenBao) after
        :func:`normalise`: lists as sorted lists, reset values equal to an absent field. Override it when the
        backend reads a field back in another form.
        """
        return sorted(k for k in desired
                      if k != OWNERSHIP_FIELD and normalise(desired[k]) != normalise(actual.get(k)))

    def widened(self, binding: RoleBinding) -> list[BoundAccount]:
        """Service accounts the role would admit beyond ``binding.service_accounts`` (for example Vault's
        kubernetes roles admit every listed name in every listed namespace). The core says so on the
        role's status and in an event. Default: none."""
        return []

    def ownership_of(self, actual: Mapping[str, Any]) -> Mapping[str, str] | None:
        """The ownership record of a role as read back from Vault, None when it carries none."""
        record = actual.get(OWNERSHIP_FIELD)
        return record if isinstance(record, Mapping) and record else None


#: A backend family name: lower case, as ``spec.defaults.authType`` spells it (``kubernetes``, ``jwt``, ``aws``).
FAMILY_PATTERN = re.compile(r"[a-z][a-z0-9-]{0,30}")
#: Fields of the role kinds' spec: a writer's block may not take one of these names.
COMMON_SPEC_KEYS = frozenset({"connectionRef", "conflictPolicy", "serviceAccounts", "policies", "tokenTTL",
                              "tokenMaxTTL", "deletionPolicy", "driftMode"})


def validate_writer(cls: object) -> list[str]:
    """What keeps ``cls`` from being a role writer the core can use; an empty list when nothing does.

    The plugin loader refuses a class with problems (the plugin's providers still load); the test kit
    reports the same problems with the same words.
    """
    if not (isinstance(cls, type) and issubclass(cls, RoleWriter)):
        return [f"{cls!r} is not a subclass of vault_access_operator.plugin.RoleWriter"]
    problems = []
    family = getattr(cls, "family", None)
    if not (isinstance(family, str) and FAMILY_PATTERN.fullmatch(family)):
        problems.append(f"family {family!r} must be a lower-case name such as 'kubernetes' or 'jwt' "
                        "(a letter, then up to 30 letters, digits and -)")
    for attribute in ("login_methods", "mount_prefixes"):
        value = getattr(cls, attribute, None)
        if not (isinstance(value, tuple) and all(isinstance(v, str) and v for v in value)):
            problems.append(f"{attribute} must be a tuple of non-empty strings, got {value!r}")
    key, model = getattr(cls, "spec_key", None), getattr(cls, "config_model", None)
    if (key is None) != (model is None):
        problems.append("spec_key and config_model go together: set both (the writer's own block) or neither")
    elif key is not None:
        if not (isinstance(key, str) and re.fullmatch(r"[a-z][a-zA-Z0-9]{0,62}", key)) or key in COMMON_SPEC_KEYS:
            problems.append(f"spec_key {key!r} must be a field name under the role's spec (a lowercase letter, then "
                            "letters and digits) other than the common fields")
        if not (isinstance(model, type) and issubclass(model, SpecModel)):
            problems.append(f"config_model must be a SpecModel subclass, got {model!r}")
    if getattr(cls, "payload", None) is RoleWriter.payload:
        problems.append(f"{cls.__name__} does not implement payload (RoleWriter's raises NotImplementedError)")
    return problems


def normalise(value: Any) -> Any:
    """A field's value in a comparable form: reset values (None, "", 0, [], {}) are equal; order of lists is not."""
    if value in (None, "", 0, [], {}):
        return None
    if isinstance(value, Mapping):
        return {str(k): normalise(v) for k, v in sorted(value.items()) if normalise(v) is not None}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return sorted(str(normalise(v)) for v in value)
    return value
