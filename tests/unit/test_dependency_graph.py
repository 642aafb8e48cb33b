"""The dependency graph keeps an entry only for an object that some object's last pass read."""

from __future__ import annotations

from vault_access_operator.access.dependency_graph import DependencyGraph


def _policy(name: str) -> tuple[str, str | None, str]:
    return "VaultPolicy", "team", name


def test_a_role_that_stops_reading_a_policy_leaves_no_entry_for_it() -> None:
    graph = DependencyGraph()
    role, other = ("VaultRole", "team", "r"), ("VaultRole", "team", "s")
    graph.depend(role, (_policy("a"), _policy("b")))
    graph.depend(other, (_policy("b"),))

    graph.depend(role, (_policy("c"),))  # a new pass reads c instead of a and b
    assert list(graph.dependants(_policy("a"))) == []
    assert list(graph.dependants(_policy("b"))) == [other]
    assert list(graph.dependants(_policy("c"))) == [role]

    graph.depend(role, ())
    graph.depend(other, ())
    assert graph._dependants == {} and graph._depends_on == {}
