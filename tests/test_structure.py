"""The package's layout: subpackages in layers, no import cycles, and imports inside functions only
for optional dependencies (torch, matplotlib, dask, scikit-learn, and the test tools pytest and hypothesis).

An import cycle is counted by the broadest static definition (:func:`_edges`): statements at any depth
(inside functions too), ``from pkg import module`` as a read of ``pkg/__init__.py``, and module names
handed to ``importlib`` as strings."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import slt_check

PKG = Path(slt_check.__file__).resolve().parent
ROOT = "slt_check"

LAYERS = ["core", "io", "runtime", "certificates", "sources", "tickets", "constructions", "pipeline",
          "claims", "experiments", "cli"]
"""Each subpackage imports only from itself and the ones before it."""

HEAVY = ("torch", "matplotlib", "dask", "distributed", "cloudpickle", "sklearn", "pytest", "hypothesis")


def _modules() -> dict[str, ast.Module]:
    return {name: tree for name, (tree, _) in _sources().items()}


def _sources() -> dict[str, tuple[ast.Module, bool]]:
    """Every module of the package by dotted name, with its syntax tree and whether it is a package
    (an ``__init__.py``, named by its folder)."""
    out = {}
    for p in sorted(PKG.rglob("*.py")):
        parts = list(p.relative_to(PKG.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        out[".".join(parts)] = (ast.parse(p.read_text(), filename=str(p)), is_package)
    return out


def _edges(name: str, tree: ast.Module, is_package: bool, mods: set[str], packages: frozenset[str] = frozenset()
           ) -> set[str]:
    """The modules that ``name`` makes Python run or read, by the broadest static definition:

    * every ``import`` and ``from … import`` statement, wherever it stands (module level, inside a
      function or a class, under ``if TYPE_CHECKING``), relative ones resolved;
    * ``import a.b.c`` runs ``a.b`` and ``a.b.c``; ``from a.b import c`` reads the package ``a.b`` (its
      ``__init__``) and runs ``a.b.c`` when that is a module;
    * a string constant that names a module file (``"slt_check.cli.ledger"``), or anything in one
      (``"slt_check.core.bounds:n_digits"``): what ``importlib.import_module`` is handed. A bare
      package name (one of ``packages``) is not counted: such a string is an entry-point group
      (``"slt_check.constructions"``), and a package's ``__init__`` holds nothing to import by name.

    A package that contains ``name`` runs before ``name`` does, so it is an edge only when ``name``
    reads it explicitly (``from slt_check.constructions import sample_counts`` inside
    ``constructions``): the way a module sees its package half initialised."""
    parts = name.split(".")
    ancestors = {".".join(parts[:i]) for i in range(1, len(parts))}
    here = parts if is_package else parts[:-1]
    deps: set[str] = set()

    def add(target: str, reads: bool) -> None:
        tp = target.split(".")
        for i in range(1, len(tp) + 1):
            d = ".".join(tp[:i])
            if d in mods and d != name and (d not in ancestors or (reads and d == target)):
                deps.add(d)

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            pkg = ".".join(base + ([node.module] if node.module else []))
            if pkg.split(".")[0] != ROOT:
                continue
            add(pkg, True)
            for a in node.names:
                add(f"{pkg}.{a.name}", False)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == ROOT:
                    add(a.name, False)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            module, colon, _ = node.value.partition(":")
            if colon or module not in packages:
                add(module, False)
    return deps


def _graph_of(sources: dict[str, tuple[ast.Module, bool]]) -> dict[str, set[str]]:
    mods = set(sources)
    packages = frozenset(m for m, (_, is_package) in sources.items() if is_package)
    return {m: _edges(m, tree, is_package, mods, packages) for m, (tree, is_package) in sources.items()}


def _graph() -> tuple[dict[str, set[str]], list[tuple[str, int, str]]]:
    """Imports of every module (:func:`_edges`), and every import statement found inside a function."""
    sources = _sources()
    inner: list[tuple[str, int, str]] = []
    for m, (tree, _) in sources.items():
        for f in ast.walk(tree):
            if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner.extend((m, n.lineno, ast.unparse(n)) for n in ast.walk(f)
                             if isinstance(n, (ast.Import, ast.ImportFrom)))
    return _graph_of(sources), sorted(set(inner))


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


def _planted(**files: str) -> list[list[str]]:
    """The cycles of a made-up package: ``files`` maps a dotted name (``"slt_check.x.__init__"`` for
    a package) to its source."""
    sources = {}
    for name, text in files.items():
        is_package = name.endswith(".__init__")
        sources[name.removesuffix(".__init__")] = (ast.parse(textwrap.dedent(text)), is_package)
    return _cycles(_graph_of(sources))


def test_a_loop_through_a_package_face_is_detected() -> None:
    """``from pkg import module`` reads the package's ``__init__``; a face that imports a module
    that reads it back is a loop (the form ``constructions/__init__.py`` once had)."""
    face = "from slt_check.x.registry import REG\n"
    assert _planted(**{"slt_check.x.__init__": face, "slt_check.x.registry": "from slt_check.x.p import P\n",
                       "slt_check.x.p": "from slt_check.x import q\n", "slt_check.x.q": ""}) == [
        ["slt_check.x", "slt_check.x.p", "slt_check.x.registry"]]
    # the same modules importing each other by their full names: the face runs first, no loop
    assert _planted(**{"slt_check.x.__init__": face, "slt_check.x.registry": "from slt_check.x.p import P\n",
                       "slt_check.x.p": "from slt_check.x.q import Q\n", "slt_check.x.q": ""}) == []
    # relative imports resolve the same way
    assert _planted(**{"slt_check.x.__init__": "from .registry import REG\n",
                       "slt_check.x.registry": "from .p import P\n", "slt_check.x.p": "from . import q\n",
                       "slt_check.x.q": ""}) == [["slt_check.x", "slt_check.x.p", "slt_check.x.registry"]]


def test_a_loop_through_a_function_level_import_is_detected() -> None:
    a = """
        def f():
            from slt_check.y.b import g
            return g()
    """
    assert _planted(**{"slt_check.y.a": a, "slt_check.y.b": "from slt_check.y.a import f\n"}) == [
        ["slt_check.y.a", "slt_check.y.b"]]


def test_a_loop_through_a_module_named_by_a_string_is_detected() -> None:
    """``importlib.import_module("slt_check.cli.ledger")`` in ``cli.main`` while ``cli.ledger`` imports
    ``cli.main``: the loop the CLI's command table once had."""
    main = """
        import importlib
        COMMANDS = ("slt_check.z.ledger",)
        def load():
            return [importlib.import_module(m) for m in COMMANDS]
    """
    assert _planted(**{"slt_check.z.main": main, "slt_check.z.ledger": "from slt_check.z.main import X\n"}) == [
        ["slt_check.z.ledger", "slt_check.z.main"]]
    assert _planted(**{"slt_check.z.main": 'SRC = "slt_check.z.ledger:f"\n',
                       "slt_check.z.ledger": "import slt_check.z.main\n"}) == [
        ["slt_check.z.ledger", "slt_check.z.main"]]
    # an entry-point group that happens to be a package's name is no import
    assert _planted(**{"slt_check.z.__init__": "from slt_check.z.main import X\n",
                       "slt_check.z.main": 'GROUPS = ("slt_check.z",)\n'}) == []

