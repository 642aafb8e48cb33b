"""VaultRole and VaultClusterRole for the access controller: from the object to a sync pass.

The pass resolves, in order: the spec, the connection (Active), the target mount and its writer, tenancy, the
policy references (from what the controller knows of the policy objects), then hands a :class:`RoleBinding`
to role_sync.py. Every refusal before Vault is not Ready with a reason, and waits for a change.
"""

from __future__ import annotations

from typing import Any

import pydantic

from ..connection_handle import ConnectionHandle
from ..durations import vault_ttl_seconds
from ..errors import VaultAccessError
from ..kinds import VAULT_CLUSTER_ROLE, VAULT_ROLE, KindDefinition
from ..models import Confinement
from ..registry import ProviderRegistry
from ..role_writer import RoleBinding, RoleWriter
from .discovery_hold import adoption_hold, discovery_pending
from .name_snapshot import NameSnapshots
from .naming import vault_object_name
from .outcome import Outcome
from .policy_adapter import drift_mode_of
from .policy_delete import Deletion
from .policy_sync import parse_failure
from .role_delete import delete_role
from .role_models import RoleStatus
from .role_object import RoleObject, parse_role, role_owner
from .role_refs import Key, Lookup, reference_keys, resolve
from .role_sync import failed, sync_role, unresolved
from .role_target import resolve_target, writer_config
from .settings import AccessSettings
from .tenancy import check_namespace_allowed, tenancy_for
from .verdicts import waiting_for_connection


def _status(body: Any) -> RoleStatus:
    try:
        return RoleStatus.model_validate(body or {})
    except ValueError:  # written by something else: start afresh
        return RoleStatus()


def _refused(error: VaultAccessError) -> Outcome:
    return failed(error.message, "ValidationFailed" if error.reason == "InvalidSpec" else error.reason)


def waiting(status: RoleStatus, handle: ConnectionHandle | None, ref: str) -> Outcome:
    return waiting_for_connection(status.phase, handle, ref, "the role syncs")


def _confined(obj: RoleObject, confinement: Confinement, spec: Any) -> bool:
    """A VaultRole under confinement namespace, unless the connection allows foreign identities."""
    allowed = bool(getattr(spec, "allow_foreign_identities", False))
    return obj.namespace is not None and confinement is Confinement.NAMESPACE and not allowed


class RoleAdapter:
    def __init__(self, kind: KindDefinition, settings: AccessSettings, registry: ProviderRegistry, lookup: Lookup,
                 confinement: Confinement | None = None, names: NameSnapshots | None = None) -> None:
        assert kind in (VAULT_ROLE, VAULT_CLUSTER_ROLE)
        self.kind, self.settings, self.registry, self.lookup = kind, settings, registry, lookup
        self.confinement = confinement  # --tenancy-confinement: stricter than any connection may ask for
        self.names = names or NameSnapshots()  # LISTs standing in for first syncs' reads; shared by the kinds

    def role_object(self, raw: dict[str, Any]) -> RoleObject:
        return parse_role(self.kind.kind, raw, _status(raw.get("status")))

    async def run_pass(self, raw: dict[str, Any], handle: ConnectionHandle | None, drift_check: bool) -> Outcome:
        found: list[tuple[Key, ...]] = []
        status = _status(raw.get("status"))
        outcome = await self._pass(raw, status, handle, drift_check, found)
        outcome.depends_on = found[0] if found else ()  # the controller wakes the role when one of these changes
        outcome.previous = status  # the reporter's starting point: parsed once per pass
        return outcome

    async def _pass(self, raw: dict[str, Any], status: RoleStatus, handle: ConnectionHandle | None,
                    drift_check: bool, keys_found: list[tuple[Key, ...]]) -> Outcome:
        try:
            obj = parse_role(self.kind.kind, raw, status)
        except pydantic.ValidationError as error:
            return parse_failure(error)
        if handle is None or not handle.active:
            return waiting(obj.status, handle, obj.spec.connection_ref)
        spec = handle.spec
        tenancy = tenancy_for(spec.tenancy, self.confinement)
        identity = self.settings.identity
        held = adoption_hold(obj.namespace, obj.annotations, spec)  # discovery's auto-created objects
        if isinstance(held, Outcome):
            return held
        vault_name = held or vault_object_name(identity, obj.namespace, obj.name)
        accounts = obj.accounts
        fields: dict[str, Any] = {"vault_role_name": vault_name,
                                  "bound_service_accounts": [f"{a.namespace}/{a.name}" for a in accounts],
                                  "effective_drift_mode": drift_mode_of(obj.spec.drift_mode, spec)}
        pending = discovery_pending(obj.annotations, fields, "the role's accounts and policies are",
                                    "list the real service accounts in spec.serviceAccounts and check spec.policies")
        if pending is not None:  # before anything is resolved: the placeholders would not resolve
            return pending
        try:
            if obj.namespace is not None:
                check_namespace_allowed(tenancy, obj.namespace)
            keys = reference_keys(obj, spec.tenancy.allowed_cluster_policies if spec.tenancy else None)
            keys_found.append(keys)
            target = resolve_target(handle.name, spec, handle.login, self.registry)
            config = writer_config(obj, target, self.registry)
        except VaultAccessError as error:
            outcome = _refused(error)
            outcome.fields = fields
            return outcome
        try:
            resolution = await resolve(keys, self.lookup)
        except VaultAccessError as error:  # the API server could not say (a policy not seen yet was asked for)
            outcome = failed(error.message, error.reason, then="retry")
            outcome.fields = fields
            return outcome
        fields["policy_bindings"] = list(resolution.bindings)
        if not resolution.complete:
            outcome = unresolved(obj, resolution, fields)
            outcome.hold = resolution.awaits_first_passes  # roles created with their policies: no detour
            return outcome
        binding = RoleBinding(
            kind=obj.kind, namespace=obj.namespace, name=obj.name, vault_name=vault_name, mount=target.mount,
            service_accounts=accounts, policies=resolution.names,
            token_ttl=vault_ttl_seconds(obj.spec.token_ttl) if obj.spec.token_ttl else None,
            token_max_ttl=vault_ttl_seconds(obj.spec.token_max_ttl) if obj.spec.token_max_ttl else None,
            ownership=role_owner(identity, obj), confined=_confined(obj, tenancy.confinement, spec.tenancy),
            login_audiences=target.login_audiences)
        widened = target.writer.widened(binding)
        fields.update(
            resolved_policies=list(resolution.names),
            unlisted_service_accounts=[f"{a.namespace}/{a.name}" for a in widened] or None,
            binding={"vault_path": target.writer.role_path(binding), "vault_resource_name": vault_name,
                     "auth_mount": target.mount, "family": target.family})
        return await sync_role(obj, handle.client(), binding, target, config, fields["effective_drift_mode"],
                               drift_check, fields, self.names)

    async def run_delete(self, raw: dict[str, Any], handle: ConnectionHandle | None) -> Deletion:
        try:
            obj = self.role_object(raw)
        except pydantic.ValidationError:  # the API server checked the spec it stored: nothing to undo
            return Deletion(True, "Deleted", "the spec does not parse; nothing deleted in Vault")
        family = obj.status.binding.family if obj.status.binding else None
        writer = self.registry.writers.get(family or "") or RoleWriter()
        return await delete_role(obj, handle, self.settings.identity, writer.ownership_of)
