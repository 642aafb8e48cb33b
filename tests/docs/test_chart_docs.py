"""The chart's README and the manifest for installing without Helm are generated, and kept so by these tests."""

from __future__ import annotations

import re

import helm_python as helm
import pytest
import yaml

from tests.docs import generate
from tests.test_chart import render

REGENERATE = "regenerate with `.venv/bin/python -m tests.docs.generate {}`"


def test_chart_readme_values_table_matches_values_yaml() -> None:
    current = generate.CHART_README.read_text()
    assert current == generate.chart_readme(current, generate.VALUES.read_text()), REGENERATE.format("chart-readme")


def test_every_value_is_in_the_readme_and_every_readme_key_is_a_value() -> None:
    values = yaml.safe_load(generate.VALUES.read_text())
    table = generate.CHART_README.read_text().partition(generate.TABLE_START)[2].partition(generate.TABLE_END)[0]
    documented = re.findall(r"^\| `([^`]+)` \|", table, flags=re.M)

    def leaves(mapping: dict[str, object], prefix: str = "") -> set[str]:
        found: set[str] = set()
        for key, value in mapping.items():
            found |= leaves(value, f"{prefix}{key}.") if isinstance(value, dict) and value else {prefix + key}
        return found

    for key in documented:  # every row names a value
        node: object = values
        for part in key.split("."):
            assert isinstance(node, dict) and part in node, f"chart README documents {key}, not in values.yaml"
            node = node[part]
    for leaf in leaves(values):  # every value has a row, of its own or of a mapping above it
        parts = leaf.split(".")
        assert any(".".join(parts[:n]) in documented for n in range(1, len(parts) + 1)), f"{leaf} is undocumented"


def test_a_value_without_a_comment_is_refused() -> None:
    with pytest.raises(ValueError, match=r"no '# --' comment documents image\.secret"):
        generate.value_docs("image:\n  # -- The repository.\n  repository: x\n  secret: y\n")
    rows = generate.value_docs("# -- A section.\na:\n  # -- B.\n  b: 1\n# -- All of c.\nc: {d: 2}\n")
    assert [(r.key, r.default) for r in rows] == [("a", ""), ("a.b", "1"), ("c", '{"d": 2}')]


def test_helm_show_readme_shows_the_readme() -> None:
    shown = helm.show(str(generate.CHART), output_format="readme")
    assert "`trust.secretNamespaces`" in shown and "vault.platform.io/finalizer" in shown


def test_manifest_for_installing_without_helm_is_the_chart_rendered() -> None:
    assert generate.MANIFEST.read_text() == generate.manifest(), REGENERATE.format("manifest")
    kinds = {doc["kind"] for doc in yaml.safe_load_all(generate.MANIFEST.read_text()) if doc}
    assert {"CustomResourceDefinition", "Deployment", "ClusterRole", "Role", "ServiceAccount"} <= kinds


def test_object_names_follow_the_fullname_the_docs_describe() -> None:
    """deploy.md's fullnameOverride row: the release name when it holds the chart name, else RELEASE-chart."""
    default = next(o for o in render() if o["kind"] == "Deployment")
    assert default["metadata"]["name"] == "vault-access-operator-controller-manager"
    with helm.Chart.load(generate.CHART) as loaded:
        rendered = loaded.render({}, name="vao", namespace=generate.NAMESPACE, is_install=True)
    deployment = yaml.safe_load(rendered["vault-access-operator/templates/deployment.yaml"])
    assert deployment["metadata"]["name"] == "vao-vault-access-operator-controller-manager"
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "vault-access-operator-controller-manager"
    deploy_md = (generate.ROOT / "docs/deploy.md").read_text()
    assert "`vao-vault-access-operator-controller-manager`" in deploy_md
