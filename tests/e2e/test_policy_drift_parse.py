"""A drift check of an untouched policy parses nothing (issue 18: drift checks' CPU): OpenBao answers with the
document exactly as the operator wrote it, so equal text answers the comparison; a hand edit is still parsed
and compared as data (issue 14: comments and layout never count, a changed capability always does)."""

from __future__ import annotations

import pytest

from vault_access_operator.access import hcl_parse
from vault_access_operator.access.hcl import owner_record, render_policy
from vault_access_operator.access.hcl_parse import same_rules
from vault_access_operator.access.policy_models import PolicyRule
from vault_access_operator.testing.openbao import OpenBaoServer


def test_an_untouched_policy_is_compared_without_parsing(openbao: OpenBaoServer,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    rules = [PolicyRule.model_validate({"path": "secret/data/{{namespace}}/*", "capabilities": ["read", "list"],
                                        "description": "app secrets"}),
             PolicyRule.model_validate({"path": "secret/data/shared", "capabilities": ["read"],
                                        "parameters": {"allowed": ["a"], "required": ["b"]}})]
    ours = render_policy(rules, "team-a", "app", owner_record("e2e", "team-a", "app", "VaultPolicy"))
    client = openbao.client()
    client.sys.create_or_update_acl_policy("vao.e2e.team-a.app", ours)
    live = client.sys.read_acl_policy("vao.e2e.team-a.app")["data"]["policy"]

    parsed: list[str] = []
    parse = hcl_parse.parse_policy
    def counted(text: str) -> hcl_parse.ParsedPolicy:
        parsed.append(text)
        return parse(text)

    monkeypatch.setattr(hcl_parse, "parse_policy", counted)
    assert same_rules(ours, live) and parsed == []  # as written: no parse

    # Edited by hand: a comment changed (no drift, found by parsing), a capability added (drift).
    assert same_rules(ours, live.replace("# description: app secrets", "# noted by hand")) and len(parsed) == 2
    assert not same_rules(ours, live.replace('["read", "list"]', '["read", "list", "delete"]'))
