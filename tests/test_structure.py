"""The package's layout: subpackages in layers, no import cycles, and imports inside functions only
for optional dependencies (torch, matplotlib, dask, scikit-learn, and the test tools pytest and hypothesis)."""

from __future__ import annotations

import ast
from pathlib import Path

import slt_check

PKG = Path(slt_check.__file__).resolve().parent

LAYERS = ["core", "io", "runtime", "certificates", "sources", "tickets", "constructions", "pipeline",
          "claims", "experiments", "cli"]
"""Each subpackage imports only from itself and the ones before it."""

HEAVY = ("torch", "matplotlib", "dask", "distributed", "cloudpickle", "sklearn", "pytest", "hypothesis")


def _modules() -> dict[str, ast.Module]:
    out = {}
    for p in sorted(PKG.rglob("*.py")):
        parts = list(p.relative_to(PKG.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = ast.parse(p.read_text(), filename=str(p))
    return out


def _targets(node: ast.AST, mods: set[str]) -> list[str]:
    if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("slt_check"):
        return [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in mods else node.module for a in node.names]
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.startswith("slt_check")]
    return []


def _graph() -> tuple[dict[str, set[str]], list[tuple[str, int, str]]]:
    """Imports of every module (importing ``a.b.c`` runs ``a.b``'s ``__init__`` too), and every
    import statement found inside a function."""
    trees = _modules()
    mods = set(trees)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    inner: list[tuple[str, int, str]] = []
    for m, tree in trees.items():
        in_function = set()
        for f in ast.walk(tree):
            if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)):
                in_function.update(id(n) for n in ast.walk(f) if isinstance(n, (ast.Import, ast.ImportFrom)))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            if id(node) in in_function:
                inner.append((m, node.lineno, ast.unparse(node)))
            for t in _targets(node, mods):
                parts = t.split(".")
                for i in range(2, len(parts) + 1):
                    dep = ".".join(parts[:i])
                    if dep != m and not m.startswith(dep + "."):
                        graph[m].add(dep)
    return graph, inner


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles() -> None:
    graph, _ = _graph()
    assert _cycles(graph) == []


def test_layers_import_only_downwards() -> None:
    graph, _ = _graph()
    rank = {name: i for i, name in enumerate(LAYERS)}
    bad = []
    for m, deps in graph.items():
        parts = m.split(".")
        if len(parts) < 3 or parts[1] not in rank:
            continue
        for d in deps:
            dp = d.split(".")
            if len(dp) >= 2 and dp[1] in rank and rank[dp[1]] > rank[parts[1]]:
                bad.append(f"{m} -> {d}")
    assert not bad, "imports against the layer order " + " < ".join(LAYERS) + ": " + ", ".join(sorted(bad))


def test_every_module_lives_in_a_subpackage() -> None:
    top = {p.stem for p in PKG.glob("*.py")}
    assert top <= {"__init__", "__main__", "_version"}, sorted(top)
    for sub in LAYERS:
        init = PKG / sub / "__init__.py"
        assert init.is_file(), sub
        assert ast.get_docstring(ast.parse(init.read_text())), f"{sub}/__init__.py needs a docstring"


def test_imports_inside_functions_are_optional_heavy_dependencies_only() -> None:
    _, inner = _graph()
    trees = _modules()
    bad = [f"{m}:{line}: {text}" for m, line, text in inner if "slt_check" in text]
    assert not bad, bad
    for m, tree in trees.items():
        for f in ast.walk(tree):
            if not isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for n in ast.walk(f):
                if isinstance(n, ast.Import):
                    names = [a.name for a in n.names]
                elif isinstance(n, ast.ImportFrom) and n.module:
                    names = [n.module]
                else:
                    continue
                for name in names:
                    assert name.split(".")[0] in HEAVY, f"{m}:{n.lineno}: {ast.unparse(n)} belongs at module level"


def test_a_broken_layout_is_detected() -> None:
    """The cycle finder itself can fail: a planted loop is reported."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
