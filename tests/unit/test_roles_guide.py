"""Every message docs/access/roles.md quotes in its troubleshooting table is one the code produces: each
scenario below runs the real code path (writers, models, target resolution, references, the sync pass with
a Vault stand-in), and each quoted message ("…" standing for names) must match one of their messages."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from pathlib import Path
from typing import Any

import pydantic
import pytest

from vault_access_operator.access.role_models import RoleStatus
from vault_access_operator.access.role_object import parse_role, role_owner
from vault_access_operator.access.role_refs import PolicyView, reference_keys, resolve
from vault_access_operator.access.role_sync import payload_hash, sync_role, unresolved
from vault_access_operator.access.role_target import RoleTarget, resolve_target, writer_config
from vault_access_operator.errors import VaultAccessError
from vault_access_operator.plugin import BoundAccount, RoleBinding
from vault_access_operator.plugins.aws_iam.role_writer import AwsRoleWriter
from vault_access_operator.plugins.aws_iam.role_writer_config import AwsRoleConfig
from vault_access_operator.plugins.kubernetes.role import KubernetesRoleWriter
from vault_access_operator.plugins.oidc.role_writer import JWTRoleWriter
from vault_access_operator.plugins.oidc.role_writer_config import JWTRoleConfig
from vault_access_operator.registry import load_providers

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "access" / "roles.md"
#: Rows quoting something other than our message: a reason, a condition name, Vault's own answer (its
#: test: tests/test_aws_role_writer_vault.py).
NOT_MESSAGES = ("Reason ", "ConnectionReady=False", "VaultPermissionDenied", "Vault's answer")


def quoted_messages() -> list[str]:
    table = GUIDE.read_text().split("## Troubleshooting", 1)[1]
    first_cells = [line.split(" | ")[0].removeprefix("| ") for line in table.splitlines() if line.startswith("| `")]
    found = []
    for cell in first_cells:
        if not cell.startswith((*(f"`{n}" for n in NOT_MESSAGES), "Vault's answer")):
            found += [q for q in re.findall(r"`([^`]+)`", cell)
                      if not q.startswith(NOT_MESSAGES) and not re.fullmatch(r"[A-Z][A-Za-z]+", q)]  # a reason
    return found


def pattern(quote: str) -> re.Pattern[str]:
    """"…" stands for any text, an index [N] for any index, NS, NAME and SA (as the other guides write
    them) for a namespace, a name or an account: one word each."""
    text = ".*".join(re.escape(part.strip()) for part in quote.split("…"))
    text = re.sub(r"\b(?:NS|NAME|SA)\b", r"[^\\s;,']+", text)
    return re.compile(text.replace(re.escape("[N]"), r"\[\d+\]"), re.S)


def obj(kind: str = "VaultRole", namespace: str | None = "team-a", **spec: Any) -> Any:
    meta = {"name": "app", **({"namespace": namespace} if namespace else {})}
    full = {"connectionRef": "vault", "policies": [{"kind": "VaultPolicy", "name": "read"}], **spec}
    return parse_role(kind, {"metadata": meta, "spec": full}, RoleStatus())


def binding(**changes: Any) -> RoleBinding:
    base = RoleBinding(kind="VaultRole", namespace="team-a", name="app", vault_name="vao.t.team-a.app", mount="jwt",
                       service_accounts=(BoundAccount("team-a", "app"),), policies=("vao.t.team-a.read",),
                       token_ttl=None, token_max_ttl=None, ownership=role_owner("t", obj()))
    return dataclasses.replace(base, **changes)


class FakeVault:
    """What sync_role borrows: read/write of a dict of paths; ``rewrite`` changes what a write stores."""

    def __init__(self, data: dict[str, Any], rewrite: dict[str, Any] | None = None) -> None:
        self.data, self.rewrite = data, rewrite or {}

    async def read(self, path: str) -> Any:
        return self.data.get(path)

    async def write(self, path: str, body: dict[str, Any]) -> None:
        self.data[path] = {**body, **self.rewrite}


def _errors(calls: list[Any]) -> list[str]:
    found = []
    for call in calls:
        try:
            call()
        except (VaultAccessError, ValueError) as error:
            found.append(getattr(error, "message", str(error)))
    return found


def writer_messages() -> list[str]:
    jwt, aws, k8s = JWTRoleWriter(), AwsRoleWriter(), KubernetesRoleWriter()
    confined = binding(confined=True)
    arn = AwsRoleConfig.model_validate({"boundIamPrincipalArn": ["arn:aws:iam::123456789012:role/app"]})
    return _errors([
        lambda: jwt.payload(binding(service_accounts=()), None),
        lambda: jwt.payload(confined, JWTRoleConfig.model_validate(
            {"boundSubject": "system:serviceaccount:team-b:app"})),
        lambda: jwt.payload(confined, JWTRoleConfig.model_validate(
            {"boundClaimsList": {"/kubernetes.io/namespace": ["team-b"]}})),
        lambda: jwt.payload(confined, JWTRoleConfig.model_validate({"boundClaimsList": {"project_path": ["g/r"]}})),
        lambda: jwt.payload(binding(token_ttl=7200, token_max_ttl=3600), None),
        lambda: aws.payload(binding(mount="aws"), None),
        lambda: aws.payload(dataclasses.replace(confined, mount="aws"), arn),
        lambda: k8s.payload(binding(mount="kubernetes", service_accounts=()), None),
        lambda: JWTRoleConfig.model_validate({"boundSubject": "s", "boundClaimsList": {"a": ["b"]}}),
        lambda: JWTRoleConfig.model_validate({"boundClaimsType": "glob"}),
        lambda: JWTRoleConfig.model_validate({"boundClaimsList": {"team": []}}),
        lambda: AwsRoleConfig.model_validate({"boundIamPrincipalArn": ["arn:aws:sts::123456789012:assumed-role/a/s"]}),
        lambda: obj(tokenTTL="2h", tokenMaxTTL="1h"),
    ])


def core_messages() -> list[str]:
    registry = load_providers()
    kube_login = ("kubernetes", "kubernetes", None)

    @dataclasses.dataclass
    class Defaults:
        auth_path: str
        auth_type: str | None = None

    class Spec:
        def __init__(self, path: str | None = None) -> None:
            self.defaults = Defaults(path) if path else None

    k8s_target = RoleTarget("kubernetes", "kubernetes", KubernetesRoleWriter())
    found = _errors([
        lambda: resolve_target("vault", Spec(), None, registry),
        lambda: resolve_target("vault", Spec(), ("token", "token", None), registry),
        lambda: resolve_target("vault", Spec(path="custom-idp"), kube_login, registry),
        lambda: writer_config(obj(serviceAccounts=["app"], jwt={"userClaim": "sub"}), k8s_target, registry),
        lambda: writer_config(obj(serviceAccounts=["app"], bogus={}), k8s_target, registry),
        lambda: reference_keys(obj(policies=[{"kind": "VaultPolicy", "name": "read", "namespace": "team-b"}]), None),
        lambda: reference_keys(obj(policies=[{"kind": "VaultClusterPolicy", "name": "root"}]), ["shared-*"]),
        lambda: reference_keys(obj("VaultClusterRole", None), None),
        lambda: registry.writer("cert"),
        lambda: dataclasses.replace(registry, writer_conflicts={"jwt": ["a (pkg-a)", "b (pkg-b)"]}).writer("jwt"),
    ])
    role = obj(serviceAccounts=["app"])

    async def nothing(key: Any) -> PolicyView | None:
        return None

    async def in_error(key: Any) -> PolicyView | None:
        return PolicyView("vao.t.team-a.read", "Error")

    for lookup in (nothing, in_error):
        resolution = asyncio.run(resolve(reference_keys(role, None), lookup))
        found.append(unresolved(role, resolution, {}).message or "")
    return found + sync_messages()


def sync_messages() -> list[str]:
    writer, target = JWTRoleWriter(), RoleTarget("jwt", "jwt", JWTRoleWriter())
    bound = binding()
    path, body = writer.role_path(bound), writer.payload(bound, None)
    policy = {"sys/policies/acl/vao.t.team-a.read": {"policy": "x"}}
    applied = RoleStatus.model_validate({"phase": "Active", "lastAppliedHash": payload_hash(path, body), "binding": {
        "vaultPath": path, "vaultResourceName": bound.vault_name, "authMount": "jwt"}})
    synced = dataclasses.replace(obj(serviceAccounts=["app"], driftMode="correct"), status=applied)
    def owned_by(cluster: str, resource: str) -> dict[str, Any]:
        record = {"managed-by": "vault-access-operator", "cluster": cluster, "k8s-resource": resource,
                  "k8s-kind": "VaultRole"}
        return {**body, "oidc_scopes": [], "alias_metadata": record}

    other_cluster, foreign = owned_by("east", "team-a/app"), owned_by("t", "team-b/app")
    cases = [
        (obj(serviceAccounts=["app"]), {}, None),  # the policy is gone from Vault
        (synced, {**policy, path: {**body, "token_ttl": 60, "bound_claims": {"x": ["y"]}}}, None),  # by hand
        (obj(serviceAccounts=["app"]), {**policy, path: {"role_type": "jwt"}}, None),  # someone else's role
        (obj(serviceAccounts=["app"]), {**policy, path: foreign}, None),
        (obj(serviceAccounts=["app"]), {**policy, path: other_cluster}, None),
        (obj(serviceAccounts=["app"]), dict(policy), {"token_ttl": 5}),  # read back different
    ]
    found = []
    for role, data, rewrite in cases:
        vault = FakeVault(data, rewrite)  # a fake of the BorrowedClient class
        outcome = asyncio.run(sync_role(role, vault, bound, target, None, "correct", True, {}))  # type: ignore[arg-type]
        found += [outcome.message or "", *(c[2] for c in outcome.conditions.values())]
    found.append(_active_unlisted())
    return found


def _active_unlisted() -> str:
    from vault_access_operator.access.role_sync import _active

    outcome = _active({"unlisted_service_accounts": ["team-a/worker", "team-b/app"]})
    return str(outcome.conditions["UnlistedAccountsAdmitted"][2])


@pytest.fixture(scope="module")
def produced() -> str:
    return "\n".join(writer_messages() + core_messages())


@pytest.mark.parametrize("quote", quoted_messages())
def test_a_quoted_message_is_one_the_code_produces(quote: str, produced: str) -> None:
    assert pattern(quote).search(produced), f"the guide quotes a message no scenario produces: {quote}"


def test_the_table_quotes_enough_messages() -> None:
    assert len(quoted_messages()) >= 25
    with pytest.raises(pydantic.ValidationError):  # sanity: the scenarios' models are the real ones
        JWTRoleConfig.model_validate({"roleType": "oidc"})
