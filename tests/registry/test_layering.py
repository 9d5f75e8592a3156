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
    code = ("import sys, registry.all_models, registry.summaries, registry.migrate; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'api', 'geo')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REGISTRY.parent)


# Who may open a sealed contact (registry/access/sealing.py): the function, and the modules that may call it.
OPENERS = {
    "open_contacts": {"contact_reads.py", "visibility.py"},  # the logged read; published contacts
    "open_contact": {"organisations.py"},  # inside open_contacts
    "_unseal": {"sealing.py"},  # inside the functions above, and resealing that returns no value
}


def test_only_the_permitted_reads_open_contacts():
    from registry.organisations.services import Contact

    offenders = []
    for path in [*REGISTRY.rglob("*.py"), *(REGISTRY.parent / "api").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                if name in OPENERS and path.name not in OPENERS[name]:
                    offenders.append(f"{path.relative_to(REGISTRY.parent)}:{node.lineno} calls {name}")
    assert offenders == []
    assert not hasattr(Contact, "value")  # the model holds no value in the clear


def test_only_permissions_and_visibility_compare_an_actors_role():
    """Who may do and see what is decided in permissions.py (can) and visibility.py (the
    Reader); a role test anywhere else in the domain would be a second, unreviewed rule."""
    offenders = []
    for path in [*REGISTRY.rglob("*.py"), *(REGISTRY.parent / "geo").rglob("*.py")]:
        if path.name in ("permissions.py", "visibility.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare) and any(
                    isinstance(side, ast.Attribute) and side.attr == "role" for side in [node.left, *node.comparators]):
                offenders.append(f"{path.relative_to(REGISTRY.parent)}:{node.lineno}")
    assert offenders == []
