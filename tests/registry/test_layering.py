"""registry/ is the domain: it must load and work without Flask, api/ or geo/."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REGISTRY = Path(__file__).resolve().parents[2] / "registry"
FORBIDDEN = ("flask", "flask_smorest", "api", "geo", "werkzeug", "marshmallow")


def test_no_module_in_registry_imports_the_web_or_geo_layers():
    offenders = []
    for path in REGISTRY.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_importing_the_whole_domain_loads_no_flask():
    code = ("import sys, registry.all_models, registry.networks.summaries, registry.migrate; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'api', 'geo')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REGISTRY.parent)


# Who may open a sealed contact (registry/access/sealing.py): the function, and the modules that may call it.
OPENERS = {
    "open_contacts": {"access/contact_reads.py", "access/profiles.py"},  # the logged read; published contacts
    "open_contact": {"access/sealing.py"},  # inside open_contacts
    "_unseal": {"access/sealing.py"},  # inside the functions above, and resealing that returns no value
}


def test_only_the_permitted_reads_open_contacts():
    from registry.organisations.models import Contact

    offenders = []
    for path in [*REGISTRY.rglob("*.py"), *(REGISTRY.parent / "api").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                if name in OPENERS and path.relative_to(REGISTRY).as_posix() not in OPENERS[name]:
                    offenders.append(f"{path.relative_to(REGISTRY.parent)}:{node.lineno} calls {name}")
    assert offenders == []
    assert not hasattr(Contact, "value")  # the model holds no value in the clear


def test_only_permissions_and_visibility_compare_an_actors_role():
    """Who may do and see what is decided in permissions.py (can) and visibility.py (the
    Reader); a role test anywhere else, in the domain or the web and CLI skin, would be a
    second, unreviewed rule."""
    offenders = []
    for path in [*REGISTRY.rglob("*.py"), *(REGISTRY.parent / "geo").rglob("*.py"),
                 *(REGISTRY.parent / "api").rglob("*.py")]:
        if path.relative_to(REGISTRY.parent).as_posix() in ("registry/access/permissions.py",
                                                             "registry/access/visibility.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare) and any(
                    isinstance(side, ast.Attribute) and side.attr == "role" for side in [node.left, *node.comparators]):
                offenders.append(f"{path.relative_to(REGISTRY.parent)}:{node.lineno}")
    assert offenders == []


def _module_name(path: Path) -> str:
    parts = path.relative_to(REGISTRY.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _exists(module: str) -> bool:
    base = REGISTRY.parent.joinpath(*module.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _load_time_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The imports a module runs when it loads: its body and the blocks in it, but not what is
    under `if TYPE_CHECKING:` (never run) nor inside a function or class (run later)."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, (ast.If, ast.Try, ast.With)) and not _type_checking(node):
            for field in ("body", "orelse", "finalbody", "handlers"):
                pending += getattr(node, field, [])
        elif isinstance(node, ast.ExceptHandler):
            pending += node.body
    return found


def _import_graph() -> dict[str, set[str]]:
    """registry's modules and the registry modules each imports as it loads."""
    graph: dict[str, set[str]] = {}
    for path in REGISTRY.rglob("*.py"):
        edges = graph.setdefault(_module_name(path), set())
        for node in _load_time_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif node.level == 0 and node.module:
                targets = [f"{node.module}.{a.name}" if _exists(f"{node.module}.{a.name}") else node.module
                           for a in node.names]
            else:
                continue
            edges.update(t for t in targets if t.split(".")[0] == "registry")
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each a circle of imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in sorted(graph.get(module, ())):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1 or module in graph.get(module, ()):
                circles.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return circles


def test_registry_has_no_import_circles():
    """Models at the bottom, services above them: a circle means something sits on the wrong floor."""
    assert _circles(_import_graph()) == []


def test_the_circle_finder_sees_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


# Heavy libraries that only a rare command needs (a spreadsheet, a migration), loaded when it
# runs so that a web worker starts without them. Nothing of registry's own may be loaded late.
LOADED_WHEN_NEEDED = {"openpyxl", "alembic"}


def test_no_module_in_registry_imports_inside_a_function():
    """An import inside a function is how a circle hides; TYPE_CHECKING blocks are fine."""
    offenders = []
    for path in REGISTRY.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                offenders += [f"{path.relative_to(REGISTRY.parent)}:{inner.lineno}" for inner in ast.walk(node)
                              if isinstance(inner, (ast.Import, ast.ImportFrom)) and not LOADED_WHEN_NEEDED.issuperset(
                                  (a.name if isinstance(inner, ast.Import) else inner.module or "").split(".")[0]
                                  for a in inner.names)]
    assert offenders == []


def test_permissions_and_visibility_import_only_models():
    """The read gate sits just above the tables: it may not lean on a service that asks it."""
    graph = _import_graph()
    allowed = {"registry.db", "registry.errors", "registry.names", "registry.access.permissions",
               "registry.access.public_ids", "registry.access.sealing", "registry.networks.tree"}
    for gate in ("registry.access.permissions", "registry.access.visibility"):
        leaning = sorted(m for m in graph[gate] if m not in allowed and not m.endswith(".models"))
        assert leaning == [], gate
