"""The layers of src/opendata: a module imports only from its own layer or those below it."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "opendata"

# Lowest first; docs/architecture.md draws the same picture.
LAYERS = [
    {
        "errors",
        "codes",
        "report",
        "package",
        "metadata",
        "schema_gate",
        "remote",
        "safe_yaml",
        "startup",
        "progress",
    },
    {"io"},
    {"structural"},
    {"semantic"},
    {"grounding", "validate", "describe", "inputs", "spark"},
    {"versions"},
    {"render"},
    {"release"},
    {"cli", "__main__", "__init__"},
]
LEVEL = {name: level for level, names in enumerate(LAYERS) for name in names}


def _room(module: str) -> str:
    """`opendata.structural.keys` -> `structural`; `opendata` -> `__init__`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _runtime_imports(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, module) of every `opendata` import outside `if TYPE_CHECKING:` blocks, lazy ones included."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "opendata":
                found.extend((node.lineno, f"opendata.{a.name}") for a in node.names)
            elif node.module.startswith("opendata."):
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend(
                (node.lineno, a.name) for a in node.names if a.name.startswith("opendata.")
            )
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_every_module_has_a_layer() -> None:
    rooms = {p.relative_to(SRC).parts[0].removesuffix(".py") for p in SRC.rglob("*.py")}
    assert rooms <= set(LEVEL), rooms - set(LEVEL)


def test_lower_layers_never_import_higher_ones() -> None:
    upward = []
    for path in sorted(SRC.rglob("*.py")):
        module = ".".join(("opendata", *path.relative_to(SRC).with_suffix("").parts))
        mine = LEVEL[_room(module)]
        for line, imported in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if _room(imported) != "__version__" and LEVEL[_room(imported)] > mine:
                upward.append(f"{path.relative_to(SRC)}:{line} imports {imported}")
    assert upward == []


def test_the_layering_check_sees_an_upward_import() -> None:
    tree = ast.parse("def f():\n    from opendata.release.build import build\n")
    assert _runtime_imports(tree) == [(2, "opendata.release.build")]
    guarded = ast.parse("if TYPE_CHECKING:\n    from opendata.release.build import build\n")
    assert _runtime_imports(guarded) == []
