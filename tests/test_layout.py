"""The package layout tells the architecture: unique module names, no import circles, a pure engine."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "python" / "hybridbudget"
ROOT_MODULES = {"__init__", "__main__", "cli", "errors", "findings", "progress", "paths"}
# What the engine may import from the rest of the package: domain models and findings only.
ENGINE_MAY_IMPORT = ("hybridbudget.engine", "hybridbudget.model", "hybridbudget.findings",
                     "hybridbudget.errors")  # fmt: skip


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str) -> set[str]:
    """Every project module `name` imports, at the top or inside a function."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else base)
    return {m for m in found if m in MODULES and m != name}


def test_no_two_modules_share_a_file_name():
    names = Counter(p.name for p in MODULES.values() if p.name != "__init__.py")
    assert [n for n, k in names.items() if k > 1] == []


def test_only_a_handful_of_modules_at_the_package_root():
    loose = {p.stem for p in PACKAGE.glob("*.py")}
    assert loose <= ROOT_MODULES, f"move these into a subpackage: {sorted(loose - ROOT_MODULES)}"


def test_no_import_circles():
    graph = {m: imports_of(m) - {m.rpartition(".")[0]} for m in MODULES}
    # A package's __init__ importing its own modules is not a circle through them.
    circles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                circles.append([*path[path.index(n) :], n])
            elif n not in state:
                visit(n, [*path, n])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert circles == [], " ; ".join(" -> ".join(c) for c in circles)


@pytest.mark.parametrize("name", sorted(m for m in MODULES if m.startswith("hybridbudget.engine.")))
def test_the_engine_does_no_file_or_workbook_io(name):
    outside = {m for m in imports_of(name) if not m.startswith(ENGINE_MAY_IMPORT)}
    assert outside == set(), f"{name} reaches outside the engine: {sorted(outside)}"
    text = MODULES[name].read_text()
    for io in ("openpyxl", "python_calamine", "open(", "read_csv", "to_csv", "to_parquet"):
        assert io not in text, f"{name} does I/O ({io})"


def test_the_circle_check_finds_a_circle(tmp_path):
    """The check itself: a two-module circle is reported (guards against a check that cannot fail)."""
    global MODULES
    saved = MODULES
    (tmp_path / "a.py").write_text("from .b import x\n")
    (tmp_path / "b.py").write_text("def f():\n    from .a import y\n")
    MODULES = {"hybridbudget.a": tmp_path / "a.py", "hybridbudget.b": tmp_path / "b.py",
               "hybridbudget": PACKAGE / "__init__.py"}  # fmt: skip
    try:
        assert imports_of("hybridbudget.a") == {"hybridbudget.b"}
        assert imports_of("hybridbudget.b") == {"hybridbudget.a"}
        with pytest.raises(AssertionError, match=r"hybridbudget\.a -> hybridbudget\.b"):
            test_no_import_circles()
    finally:
        MODULES = saved
