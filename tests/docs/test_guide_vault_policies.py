"""The operator's Vault policy is the same in every built-in method's guide, so the rehearsal
(test_migration_rehearsal.py, which logs in with the kubernetes guide's policy and writes, adopts and deletes
ACL policies) shows that each guide grants what the operator uses, and no more."""

from __future__ import annotations

import re

from tests.docs.markdown import ROOT

GUIDES = ["docs/auth/kubernetes.md", "docs/auth/aws.md", "docs/auth/oidc.md"]


def operator_policy(guide: str) -> list[str]:
    text = (ROOT / guide).read_text()
    found = re.search(r"vault policy write vault-access-operator - <<'(\w+)'\n(.*?)\n\1\n", text, flags=re.S)
    assert found, f"{guide} does not write the operator's Vault policy"
    return [line.strip() for line in found[2].splitlines() if line.strip().startswith("path ")]


def test_every_guide_writes_the_same_operator_policy() -> None:
    policies = {guide: operator_policy(guide) for guide in GUIDES}
    assert policies["docs/auth/kubernetes.md"] == [
        'path "sys/policies/acl/vao.*" { capabilities = ["create", "read", "update", "delete"] }']
    assert all(policy == policies["docs/auth/kubernetes.md"] for policy in policies.values()), policies
