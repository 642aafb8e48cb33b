"""A rule's description is written as a comment above its path block: a change of it is one write (the hash
changes), never drift (comments are not compared), and it can neither break the document nor pose as ownership."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from vault_access_operator.access.hcl import document_hash, owner_record, read_ownership, render_policy
from vault_access_operator.access.hcl_parse import parse_policy, same_rules
from vault_access_operator.access.policy_models import VaultPolicySpec

OWNER = owner_record("east", "team-a", "app", "VaultPolicy")


def _render(*rules: dict[str, Any]) -> str:
    spec = VaultPolicySpec.model_validate({"connectionRef": "vault", "rules": list(rules)})
    return render_policy(spec.rules, "team-a", "app", OWNER)


def test_each_description_is_a_comment_line_right_above_its_path_block() -> None:
    document = _render({"path": "secret/data/{{namespace}}/*", "capabilities": ["read"], "description": "Team data"},
                       {"path": "transit/encrypt/k", "capabilities": ["update"]},
                       {"path": "pki/issue/x", "capabilities": ["create"], "description": "Issue: internal certs"})
    assert document.endswith(
        '\n\n# description: Team data\npath "secret/data/team-a/*" {\n  capabilities = ["read"]\n}'
        '\n\npath "transit/encrypt/k" {\n  capabilities = ["update"]\n}\n\n'
        '# description: Issue: internal certs\npath "pki/issue/x" {\n  capabilities = ["create"]\n}\n')


def test_a_description_change_changes_the_hash_but_is_not_drift() -> None:
    rule = {"path": "secret/data/{{namespace}}/*", "capabilities": ["read"]}
    before, after = _render({**rule, "description": "old"}), _render({**rule, "description": "new"})
    assert document_hash(before) != document_hash(after) != document_hash(_render(rule))  # one write each
    assert same_rules(before, after) and same_rules(before, _render(rule))  # a hand edit of a comment: no drift
    assert parse_policy(after) == parse_policy(_render(rule))


def test_a_description_cannot_pose_as_the_ownership_record() -> None:
    # The replaced operator's record parser reads comment lines past blank ones, so the first rule's comment is in
    # its header: the label makes the key "description", never cluster / k8s-resource / managed-by.
    document = _render({"path": "secret/*", "capabilities": ["read"], "description": "cluster: west"})
    owner = read_ownership(document)
    assert (owner.cluster, owner.k8s_resource) == ("east", "team-a/app")
    keys = [line[1:].partition(":")[0].strip() for line in document.splitlines() if line.startswith("#")]
    assert keys == ["managed-by", "cluster", "k8s-resource", "k8s-kind", "description"]


@pytest.mark.parametrize("text", ["two\nlines", "cr\rhere", "tab\there", "nul\x00", "del\x7f", "ls\u2028ps\u2029"])
def test_a_description_of_more_than_one_line_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=r"rules\[\]\.description must be one line of text"):
        VaultPolicySpec.model_validate({"connectionRef": "v", "rules": [
            {"path": "secret/*", "capabilities": ["read"], "description": text}]})


def test_a_description_that_only_holds_spaces_writes_no_comment() -> None:
    assert "#  " not in _render({"path": "secret/*", "capabilities": ["read"], "description": "   "})
    assert "description" not in _render({"path": "secret/*", "capabilities": ["read"], "description": ""})
