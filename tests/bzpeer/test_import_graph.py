"""The project's modules import one another without a circle, and the apps
depend one way (docs/architecture.md): read from the source with ``ast``,
imports inside functions and under ``TYPE_CHECKING`` included."""

import ast
from pathlib import Path

import networkx as nx

from tests.helpers.paths import ROOT

PACKAGES = (
    "bzpeer",
    "profiles",
    "works",
    "claims",
    "collaboration",
    "accounts",
    "graph",
    "api",
    "outbox",
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                modules[module_name(path)] = path
    return modules


def imported_modules(
    name: str, path: Path, known: set[str], *, is_package: bool
) -> set[str]:
    """The project modules ``name`` imports, anywhere in its file. ``from x
    import y`` counts as importing ``x.y`` when that is a module, else ``x``."""
    found = set()
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            # ``import works.ingest.driver`` names the module itself.
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> nx.DiGraph:
    modules = project_modules()
    known = set(modules)
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        is_package = path.name == "__init__.py"
        for target in imported_modules(name, path, known, is_package=is_package):
            graph.add_edge(name, target)
    return graph


def forbidden(source: str, target: str) -> bool:
    """The dependency rule: works is built on by everyone and builds on
    nothing above the models of profiles; profiles never reaches claims or
    graph; nothing but the site's wiring reaches accounts, which stands on
    the apps whose rows an account holds; the outbox, which every app may
    use, reaches no app (it sends tasks by name)."""
    source_app, target_app = source.split(".")[0], target.split(".")[0]
    if source_app == "outbox":
        return target_app not in ("outbox", "bzpeer")
    if target_app in ("accounts", "api") and source_app not in (
        target_app,
        "bzpeer",
    ):
        return True
    if source_app == "works":
        if target_app in ("claims", "graph"):
            return True
        if target_app == "profiles":
            return target != "profiles.models"
    if source_app == "profiles":
        return target_app in ("claims", "collaboration", "graph")
    if source_app == "claims":
        return target_app == "collaboration"
    return False


def test_the_graph_reads_relative_and_function_level_imports():
    graph = import_graph()
    # A relative import at module level, and one inside a function.
    assert graph.has_edge("works.tasks", "works.services")
    assert graph.has_edge("profiles.apps", "works.hooks")
    assert graph.number_of_nodes() > 50


def test_no_module_imports_another_in_a_circle():
    cycles = sorted(nx.simple_cycles(import_graph()), key=len)
    assert cycles == [], f"import circles: {cycles[:5]}"


def test_apps_depend_one_way():
    edges = [edge for edge in import_graph().edges if forbidden(*edge)]
    assert edges == []


def test_the_rule_catches_what_it_forbids():
    assert forbidden("works.services", "profiles.services")
    assert forbidden("works.ingest.driver", "profiles.tasks")
    assert forbidden("works.merges", "claims.services")
    assert forbidden("profiles.views", "graph.selectors")
    assert forbidden("claims.services", "accounts.services")
    assert forbidden("profiles.views", "collaboration.selectors")
    assert not forbidden("collaboration.services", "profiles.selectors")
    assert not forbidden("accounts.services", "claims.services")
    assert not forbidden("works.ingest.upsert", "profiles.models")
    assert not forbidden("profiles.selectors", "works.models")
    assert forbidden("outbox.services", "profiles.tasks")
    assert forbidden("outbox.tasks", "works.models")
    assert not forbidden("outbox.services", "bzpeer.celery")
    assert not forbidden("claims.services", "outbox.services")
    assert not forbidden("works.services", "outbox.services")


def test_a_circle_is_found():
    graph = nx.DiGraph(
        [("works.tasks", "works.handoff"), ("works.handoff", "works.tasks")]
    )
    assert list(nx.simple_cycles(graph)) != []
