"""The import graph of ``src/loyalty`` runs one way: no upward import, no circle.

Each top-level package (or module) sits on a layer; a module may import only
from layers below its own, plus a few explicit exceptions that the layout
asks for. The walk is static (``ast``): nothing is imported to check it, so a
violation anywhere in the tree is found even in a module no test loads.

    cli ─────────────────────────────────────────────── 8
    api, worker, seed ───────────────────────────────── 7
    workflows ───────────────────────────────────────── 6   (contracts, domain, errors only)
    activities ──────────────────────────────────────── 5
    agents, webhooks ────────────────────────────────── 4
    ledger, partners, temporal_client, observability,
    schedules, health, operations ───────────────────── 3
    contracts, config, policies, temporal_codec ──────── 2
    domain ──────────────────────────────────────────── 1
    errors, logging ─────────────────────────────────── 0
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "src" / "loyalty"

LAYERS: dict[str, int] = {
    "errors": 0,
    "logging": 0,
    "domain": 1,
    "contracts": 2,
    "config": 2,
    "policies": 2,
    "ledger": 3,
    "partners": 3,
    "temporal_client": 3,
    "observability": 3,
    "schedules": 3,
    "health": 3,
    "operations": 3,
    "temporal_codec": 2,
    "agents": 4,
    "webhooks": 4,
    "activities": 5,
    "workflows": 6,
    "api": 7,
    "worker": 7,
    "seed": 7,
    "cli": 8,
}
# Imports the layers alone would allow but the layout forbids.
FORBIDDEN: dict[str, set[str]] = {
    # deterministic orchestration: nothing that does I/O, nothing that reads the clock
    "workflows": set(LAYERS) - {"workflows", "contracts", "domain", "errors"},
    # the API talks to Temporal and reads the ledger; the rules run in the worker
    "api": {"activities", "agents", "workflows", "worker"},
    # what crosses Temporal depends on nothing but the domain's value types
    "contracts": set(LAYERS) - {"contracts", "domain"},
}


def unit_of(module: str) -> str | None:
    """The top-level unit (``ledger``, ``api``...) of a ``loyalty.*`` module name."""
    parts = module.split(".")
    if parts[0] != "loyalty" or len(parts) < 2:
        return None
    return parts[1]


def module_name(path: Path) -> str:
    relative = path.relative_to(SOURCE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> Iterator[str]:
    """Every ``loyalty.*`` module ``path`` imports, at any depth of the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else None
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level and package is not None:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                yield f"{base}.{node.module}" if node.module else base
            elif node.module:
                yield node.module


def edges() -> list[tuple[str, str, str]]:
    """``(importing module, its unit, imported unit)`` for every cross-unit import."""
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = module_name(path)
        source_unit = unit_of(module)
        for target in imported_modules(path):
            target_unit = unit_of(target)
            if source_unit and target_unit and target_unit != source_unit:
                found.append((module, source_unit, target_unit))
    return found


def test_every_unit_has_a_layer() -> None:
    units = {unit_of(module_name(p)) for p in SOURCE.rglob("*.py")} - {None}
    assert units <= set(LAYERS), f"place these in LAYERS: {sorted(units - set(LAYERS))}"


def test_no_import_runs_upward_or_sideways() -> None:
    wrong = [
        f"{module} imports loyalty.{target} (layer {LAYERS[target]} >= {LAYERS[unit]})"
        for module, unit, target in edges()
        if LAYERS[target] >= LAYERS[unit]
    ]
    assert not wrong, "\n".join(wrong)


def test_no_forbidden_import() -> None:
    wrong = [
        f"{module} imports loyalty.{target}"
        for module, unit, target in edges()
        if target in FORBIDDEN.get(unit, set())
    ]
    assert not wrong, "\n".join(wrong)


def test_no_units_import_each_other_in_a_circle() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for _, unit, target in edges():
        graph[unit].add(target)
    assert not _cycles(graph), f"circles: {_cycles(graph)}"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one unit (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found
