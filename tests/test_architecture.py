"""The layout's rules (docs/ARCHITECTURE.md, "Layout"), read from the source with `ast`.

Every `import` counts, at module level or inside a function: a function-level import hides a
cycle from Python, not from the design. The rules:

- no import cycle among Choeur's modules (no exception is allowed: `ALLOWED_CYCLES` is empty
  on purpose; a new entry needs its reason beside it);
- `choeur.core` imports no feature app (the apps register with it: `core.queue`,
  `core.periodic`); `choeur.formats` is a pure library: no Django, nothing else of Choeur;
- a `tasks` module is imported by its own app's `apps.py` only (it declares the timers): the
  rest of the code queues tasks by name (`core.queue`), so services never import their tasks;
- every name queued is declared, and every task of a `tasks` module is declared by name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "choeur"
#: Cycles tolerated, as frozensets of module names, each with its reason. None today.
ALLOWED_CYCLES: dict[frozenset[str], str] = {}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()
APPS = sorted(path.parent.name for path in PACKAGE.glob("*/apps.py"))
FEATURES = [app for app in APPS if app != "core"]


def _imported_names(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """Every module name an import statement of `name` may designate (a `from X import y`
    names X and X.y: y may be a submodule), with its line."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield module, node.lineno
            for alias in node.names:
                yield f"{module}.{alias.name}", node.lineno


def _resolve(name: str) -> str | None:
    """The Choeur module an imported name belongs to (the longest known prefix)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _graph() -> dict[str, dict[str, int]]:
    """module → {module it imports: first line}. Importing a package's own parent (its
    `__init__`, run anyway) is not an edge."""
    graph: dict[str, dict[str, int]] = {name: {} for name in MODULES}
    for name, path in MODULES.items():
        for imported, line in _imported_names(name, path):
            target = _resolve(imported)
            if target and target != name and not name.startswith(f"{target}."):
                graph[name].setdefault(target, line)
    return graph


GRAPH = _graph()


def _external_imports(name: str) -> set[str]:
    """Top-level packages outside Choeur that `name` imports."""
    return {imported.split(".")[0] for imported, _line in _imported_names(name, MODULES[name])
            if imported and not imported.startswith("choeur")}


def strongly_connected(graph: dict[str, dict[str, int]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative; components of more than one module (a module importing
    itself is not possible here)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(graph[successor])))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(component)
    return components


def _describe(component: set[str]) -> str:
    edges = [f"{a} -> {b} (line {line})" for a in sorted(component)
             for b, line in GRAPH[a].items() if b in component]
    return "\n  ".join(edges)


def test_the_graph_sees_every_kind_of_import():
    """The reader itself: module-level, function-level and relative imports are edges."""
    assert "choeur.invoicing.services" in GRAPH["choeur.invoicing.batch_deposit"]
    # Function-level import (inside integrate's helpers).
    assert "choeur.webhooks.services" in GRAPH["choeur.flux.services"]
    assert strongly_connected({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) \
        == [{"a", "b", "c"}]
    assert strongly_connected({"a": {"b": 1}, "b": {}}) == []


def test_no_import_cycle():
    cycles = [c for c in strongly_connected(GRAPH) if frozenset(c) not in ALLOWED_CYCLES]
    assert not cycles, "import cycles:\n  " + "\n\n  ".join(_describe(c) for c in cycles)


def test_core_imports_no_feature():
    found = [f"{name} -> {target} (line {line})"
             for name in MODULES if name.startswith("choeur.core")
             for target, line in GRAPH[name].items()
             if target.split(".")[1] in FEATURES]
    assert not found, "core imports a feature (register with core instead):\n" + \
        "\n".join(found)


def test_formats_is_a_pure_library():
    names = [name for name in MODULES if name.startswith("choeur.formats")]
    assert names
    for name in names:
        assert "django" not in _external_imports(name), name
        outside = [t for t in GRAPH[name] if not t.startswith("choeur.formats")]
        assert not outside, f"{name} imports {outside}"


def test_tasks_modules_are_imported_by_their_apps_declarations_only():
    """Services (and everything else) queue tasks by name, so `<app>.tasks` → services never
    meets services → `<app>.tasks`."""
    tasks_modules = [f"choeur.{app}.tasks" for app in APPS if f"choeur.{app}.tasks" in MODULES]
    assert "choeur.invoicing.tasks" in tasks_modules
    found = [f"{name} -> {target} (line {line})"
             for name in MODULES for target, line in GRAPH[name].items()
             if target in tasks_modules
             and name != target.rpartition(".")[0] + ".apps"]
    assert not found, "tasks modules imported outside their app's apps.py:\n" + \
        "\n".join(found)


def _queued_names() -> Iterator[tuple[str, str | None, int]]:
    """(module, task name or None when not a literal, line) of each `queue.enqueue(...)` and
    `queue.get(...)` call."""
    for name, path in MODULES.items():
        if name == "choeur.core.queue":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("enqueue", "get")
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "queue"):
                first = node.args[0] if node.args else None
                literal = first.value if isinstance(first, ast.Constant) else None
                yield name, literal, node.lineno


def test_every_task_queued_by_name_is_declared():
    from choeur.core import queue

    declared = queue.declared()
    calls = list(_queued_names())
    assert len(calls) >= 8  # mail (2), invoicing (4), flux (1), webhooks (3): the reader works
    for module, name, line in calls:
        assert name is not None, f"{module}:{line}: queue a task by a literal name"
        assert name in declared, f"{module}:{line}: no task named {name!r}"


def test_every_task_is_declared_by_name():
    import importlib

    from django_tasks.base import Task

    from choeur.core import queue

    declared = {task.module_path for task in queue.declared().values()}
    for app in APPS:
        if f"choeur.{app}.tasks" not in MODULES:
            continue
        module = importlib.import_module(f"choeur.{app}.tasks")
        for attribute, value in vars(module).items():
            if isinstance(value, Task) and value.func.__module__ == module.__name__:
                assert value.module_path in declared, f"{module.__name__}.{attribute}"


def test_a_name_declared_twice_is_refused():
    from choeur.core import queue

    def route_invoice():
        """A different function under an existing name (module path of this test)."""

    route_invoice.__module__ = "choeur.invoicing.elsewhere"
    route_invoice.__qualname__ = "route_invoice"  # as if at module level there
    with pytest.raises(ValueError, match="two tasks named 'invoicing.route_invoice'"):
        queue.task()(route_invoice)
    with pytest.raises(LookupError, match="no task named 'invoicing.nothing'"):
        queue.get("invoicing.nothing")
