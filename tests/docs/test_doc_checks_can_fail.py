"""Each docs check fails on a doc that quotes a wrong name, and says where (doc:line) and what."""

from __future__ import annotations

import pytest

from tests.docs import checks, known
from tests.docs.checks import check_doc
from tests.docs.markdown import ROOT, Doc

FENCE = "```"


def problems_of(text: str) -> list[str]:
    return [str(p) for p in check_doc(Doc("docs/new-guide.md", text))]


def only(text: str) -> str:
    found = problems_of(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(("line", "token"), [
    ("Start it with `--no-such-flag`.", "--no-such-flag"),
    ("Scrape `vault_access_operator_nope_total`.", "vault_access_operator_nope_total"),
    ("Set `VAO_NO_SUCH_SETTING`.", "VAO_NO_SUCH_SETTING"),
    ("Set `tokenDurationz`.", "tokenDurationz"),
    ("Set `spec.auth.kubernetes.rolez`.", "spec.auth.kubernetes.rolez"),
    ("See `status.authStatus.tokenAccessr`.", "status.authStatus.tokenAccessr"),
    ("Set the chart value `trust.secretNamespace`.", "trust.secretNamespace"),
    ("Look for `VaultPolicyz` objects.", "VaultPolicyz"),
])
def test_a_wrong_name_in_prose_fails_with_doc_line_and_token(line: str, token: str) -> None:
    assert only(f"# Guide\n\n{line}\n").startswith(f"docs/new-guide.md:3: `{token}`: ")


def test_the_right_names_pass() -> None:
    assert problems_of("`--cluster-name`, `-n`, `vault_access_operator_logins_total`, `VAO_CLUSTER_NAME`, "
                       "`tokenDuration`, `spec.auth.kubernetes.role`, `status.authStatus.tokenAccessor`, "
                       "`trust.secretNamespaces`, `VaultPolicy`, `LoginDenied`, `--reuse-values`\n") == []


def test_a_reason_column_holds_only_reasons_and_a_message_column_only_printable_messages() -> None:
    table = ("| Reason | Message (start) |\n|---|---|\n"
             "| `VaultUnreachable` | `cannot reach Vault at URL: connection refused` |\n"
             "| `VaultOnHoliday` | `cannot reach Vault at URL: connection refused` |\n"
             "| `VaultUnreachable` | `cannot contact Vault at URL: connection refused` |\n")
    found = problems_of(table)
    assert len(found) == 2, found
    assert found[0].startswith("docs/new-guide.md:4: `VaultOnHoliday`: not a reason")
    assert found[1].startswith("docs/new-guide.md:5: `cannot contact Vault at URL: connection refused`: no message")


def test_vault_text_is_allowed_only_where_vault_answered() -> None:
    vault = "`...: error validating token: invalid audience (aud) claim`"
    made_up = "`...: error validating token: the audience is wrong`"
    table = f"| Reason | Message |\n|---|---|\n| `LoginDenied` | {vault} |\n| `LoginDenied` | {made_up} |\n"
    found = problems_of(table)
    assert len(found) == 1 and found[0].startswith("docs/new-guide.md:4: "), found


def test_a_field_table_must_name_fields_of_the_guide_and_their_defaults() -> None:
    text = (f"{FENCE}yaml\nspec:\n  auth:\n    kubernetes:\n      role: r\n{FENCE}\n\n"
            "| Field | Default | Description |\n|---|---|---|\n"
            "| `authPath` | `kubernetes` | mount |\n"
            "| `tokenDuration` | `2h` | lifetime |\n"
            "| `role` | — (required) | role |\n"
            "| `roleArn` | none | not a kubernetes field |\n")
    found = problems_of(text)
    assert len(found) == 2, found
    assert found[0].startswith("docs/new-guide.md:11: `tokenDuration`: the doc's default 2h is not the model's (1h)")
    assert found[1].startswith("docs/new-guide.md:13: `roleArn`: not a field of kubernetes")


@pytest.mark.parametrize(("yaml_text", "why"), [
    ("apiVersion: vault.platform.io/v1alpha1\nkind: VaultConnection\nmetadata: {name: v}\n"
     "spec: {address: 'https://v:8200', auth: {kubernetes: {role: x, tokenDuration: 1m}}}", "InvalidSpec"),
    ("apiVersion: vault.platform.io/v1alpha1\nkind: VaultConnection\nmetadata: {name: v}\n"
     "spec: {address: 'http://v:8200', tls: {skipVerify: true}, auth: {kubernetes: {role: x}}}", "CRD rule"),
    ("apiVersion: vault.platform.io/v1alpha1\nkind: VaultPolicy\nmetadata: {name: p, namespace: a}\n"
     "spec: {connectionRef: v, rules: [{path: 'a/*', capabilities: [fly]}]}", "CRD schema"),
    ("apiVersion: vault.platform.io/v1alpha1\nkind: VaultConnection\nmetadata: {name: v}\n"
     "spec: {address: 'https://v:8200', auth: {kubernetes: {role: x}}, healthCheck: 30s}", "CRD schema"),
    ("auth:\n  jwt:\n    role: r\n    scopes: [openid]", "InvalidSpec"),
    ("status:\n  phase: Active\n  authStatus: {tokenAccessr: x}", "not a status"),
    ("trust:\n  secretNamespace: [team-a]", "chart values"),
])
def test_a_yaml_block_that_would_be_refused_fails(yaml_text: str, why: str) -> None:
    problem = only(f"# Guide\n\n{FENCE}yaml\n{yaml_text}\n{FENCE}\n")
    assert problem.startswith("docs/new-guide.md:4: ") and why in problem, problem


def test_commands_in_shell_blocks_use_real_flags_and_values() -> None:
    text = (f"{FENCE}bash\nvault-access-operator run --standalone --no-such-flag\n"
            "helm upgrade --install x charts/vault-access-operator \\\n  --set image.repositry=r\n"
            f"vault-access-operator crds --kind VaultPolicy | kubectl apply -f -\n{FENCE}\n")
    found = problems_of(text)
    assert len(found) == 2, found
    assert found[0].startswith("docs/new-guide.md:2: `--no-such-flag`: not an option of `vault-access-operator run`")
    assert found[1].startswith("docs/new-guide.md:3: `--set image.repositry`: not a key")


def test_a_renamed_reason_fails_the_guides_that_quote_it(monkeypatch: pytest.MonkeyPatch) -> None:
    renamed = known.reasons() - {"LoginDenied"}
    monkeypatch.setattr(known, "reasons", lambda: renamed)
    found = [str(p) for p in check_doc(Doc.read(ROOT / "docs/auth/kubernetes.md"))]
    assert found and all("`LoginDenied`" in p for p in found), found
    assert found[0].startswith("docs/auth/kubernetes.md:")


def test_a_renamed_field_fails_the_guides_that_quote_it(monkeypatch: pytest.MonkeyPatch) -> None:
    schemas = {kind: dict(schema) for kind, schema in known.crd_schemas().items()}
    spec = schemas["VaultConnection"]["properties"]["spec"]
    renamed = {**spec, "properties": {("checkInterval" if k == "healthCheckInterval" else k): v
                                      for k, v in spec["properties"].items()}}
    schemas["VaultConnection"] = {**schemas["VaultConnection"],
                                  "properties": {**schemas["VaultConnection"]["properties"], "spec": renamed}}
    monkeypatch.setattr(known, "crd_schemas", lambda: schemas)
    found = [str(p) for p in check_doc(Doc.read(ROOT / "docs/auth/kubernetes.md"))]
    assert any("healthCheckInterval" in p and p.startswith("docs/auth/kubernetes.md:") for p in found), found


def test_foreign_names_are_listed_with_their_owner() -> None:
    """The allow-lists stay small: a new tool's name is added on purpose, not by a catch-all."""
    assert len(checks.FOREIGN_FLAGS) < 60 and len(checks.FOREIGN_NAMES) < 40
    assert not checks.FOREIGN_FLAGS & set().union(*known.cli_flags().values())


def test_a_chart_values_table_names_real_keys_with_their_defaults() -> None:
    table = ("| Key | Default | Meaning |\n|---|---|---|\n"
             "| `replicaCount` | `1` | replicas |\n"
             "| `metrics.service.type`, `.port` | `ClusterIP`, `9091` | the Service |\n"
             "| `trust.secretNamespace` | `[]` | a typo |\n")
    found = problems_of(table)
    assert len(found) == 2, found
    assert found[0].startswith("docs/new-guide.md:5: `trust.secretNamespace`: not a key of")
    assert found[1].startswith("docs/new-guide.md:4: `.port`: the doc's default 9091 is not values.yaml's (9090)")
