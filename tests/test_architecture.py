"""Rules the code obeys (docs/design.md#rules), each checked statically.

- no import cycles among the modules of ``theory/``, ``numerics/`` and ``robustlaw/``
  (function-level imports count; a package ``__init__`` re-exporting its own
  submodules is its face, and a cycle only when a submodule imports that face back);
- ``theory/`` imports neither :mod:`numerics` nor :mod:`robustlaw`;
  ``numerics/`` never imports :mod:`robustlaw`; only ``numerics.cli`` imports the CLI;
- no module over 600 lines, no function over 80 lines of code (docstring, blank
  and comment-only lines excluded);
- one name per bound: retired aliases of a bound never appear in the source.

Every checker is a plain function of a source root, and each is shown to fail on
a deliberately planted violation in a temporary tree.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("theory", "numerics", "robustlaw")
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
# Retired names of a bound -> the one name used everywhere (code, report keys, JSON,
# tables). Written so that this file itself does not contain the retired strings.
RETIRED_NAMES = {
    "domain" + "_aware": "centered",
}


def modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file under the packages."""
    out = {}
    for pkg in PACKAGES:
        for f in sorted((root / pkg).rglob("*.py")):
            parts = list(f.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = f
    return out


def _targets(mod: str, is_pkg: bool, node: ast.AST, mods: dict) -> list[str]:
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        if node.level:
            base = mod.split(".")
            base = base[: len(base) - node.level + (1 if is_pkg else 0)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        names = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in mods else prefix
                 for a in node.names]
    out = []
    for t in names:
        while t and t not in mods:
            t = t.rpartition(".")[0]
        if t:
            out.append(t)
    return out


def import_graph(root: Path) -> dict[str, set[str]]:
    """Edges ``a -> b`` when module a imports module b anywhere (function level too)."""
    mods = modules(root)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, f in mods.items():
        is_pkg = f.name == "__init__.py"
        for node in ast.walk(ast.parse(f.read_text(), filename=str(f))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for t in _targets(m, is_pkg, node, mods):
                    if t != m:
                        graph[m].add(t)
    return graph


def import_cycles(root: Path) -> list[list[str]]:
    """Strongly connected components of size > 1 (Tarjan), each sorted."""
    graph = import_graph(root)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    sccs: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
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
                sccs.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return sccs


def layer_violations(root: Path) -> list[str]:
    """Imports that cross a layer the wrong way."""
    bad = []
    for m, targets in import_graph(root).items():
        for t in targets:
            top, ttop = m.split(".")[0], t.split(".")[0]
            if top == "theory" and ttop in ("numerics", "robustlaw"):
                bad.append(f"{m} -> {t}")
            if top == "numerics" and ttop == "robustlaw":
                bad.append(f"{m} -> {t}")
            if (t == "numerics.cli" or t.startswith("numerics.cli.")) and not (
                    m.startswith("numerics.cli") or top == "robustlaw"):
                bad.append(f"{m} -> {t}")
    return bad


def long_modules(root: Path) -> list[tuple[str, int]]:
    out = []
    for m, f in modules(root).items():
        n = len(f.read_text().splitlines())
        if n > MAX_MODULE_LINES:
            out.append((m, n))
    return out


def _code_lines(node: ast.AST, lines: list[str]) -> int:
    skip = set()
    body = getattr(node, "body", [])
    if body and isinstance(body[0], ast.Expr) and isinstance(
            getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str):
        skip.update(range(body[0].lineno, body[0].end_lineno + 1))
    count = 0
    for i in range(node.lineno, node.end_lineno + 1):
        text = lines[i - 1].strip()
        if i in skip or not text or text.startswith("#"):
            continue
        count += 1
    return count


def long_functions(root: Path) -> list[tuple[str, int]]:
    out = []
    for m, f in modules(root).items():
        text = f.read_text()
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = _code_lines(node, lines)
                if n > MAX_FUNCTION_LINES:
                    out.append((f"{m}.{node.name}", n))
    return out


def retired_names(root: Path) -> list[str]:
    out = []
    files = [f for p in PACKAGES for f in (root / p).rglob("*.py")]
    files += list((root / "tests").rglob("*.py")) + list((root / "notebooks").glob("*.ipynb"))
    for f in files:
        text = f.read_text()
        for old, new in RETIRED_NAMES.items():
            if old in text:
                out.append(f"{f.relative_to(root)}: {old!r} (use {new!r})")
    return out


# --- the rules, on the real tree -------------------------------------------------------

def test_no_import_cycles():
    assert import_cycles(ROOT) == []


def test_layers():
    assert layer_violations(ROOT) == []


def test_no_module_over_600_lines():
    assert long_modules(ROOT) == []


def test_no_function_over_80_lines():
    assert long_functions(ROOT) == []


def test_one_name_per_bound():
    assert retired_names(ROOT) == []


# --- each checker catches a planted violation ------------------------------------------

def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    for pkg in PACKAGES:
        (tmp_path / pkg).mkdir(parents=True, exist_ok=True)
        (tmp_path / pkg / "__init__.py").write_text("")
    (tmp_path / "tests").mkdir(exist_ok=True)
    (tmp_path / "notebooks").mkdir(exist_ok=True)
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


def test_planted_function_level_cycle_is_caught(tmp_path):
    root = _plant(tmp_path, {
        "numerics/a.py": "from numerics.b import g\n\ndef f():\n    return g()\n",
        "numerics/b.py": ("def g():\n    from numerics import a  # hidden in a function\n"
                          "    return a\n"),
    })
    assert import_cycles(root) == [["numerics.a", "numerics.b"]]


def test_planted_relative_cycle_through_package_is_caught(tmp_path):
    root = _plant(tmp_path, {
        "numerics/sub/__init__.py": "from .x import X\n",
        "numerics/sub/x.py": "X = 1\nfrom numerics.y import Y\n",
        "numerics/y.py": "from numerics.sub import X\nY = X\n",
    })
    cycles = import_cycles(root)
    assert len(cycles) == 1 and "numerics.y" in cycles[0]


def test_package_face_is_not_a_cycle(tmp_path):
    root = _plant(tmp_path, {
        "numerics/sub/__init__.py": "from .x import X\n",
        "numerics/sub/x.py": "X = 1\n",
    })
    assert import_cycles(root) == []


def test_planted_layer_violation_is_caught(tmp_path):
    root = _plant(tmp_path, {
        "theory/t.py": "def f():\n    import numerics.data\n",
        "numerics/n.py": "from numerics.cli import main\n",
        "numerics/cli/__init__.py": "def main():\n    pass\n",
    })
    assert sorted(layer_violations(root)) == ["numerics.n -> numerics.cli", "theory.t -> numerics"]


def test_planted_long_module_is_caught(tmp_path):
    root = _plant(tmp_path, {"numerics/big.py": "x = 1\n" * (MAX_MODULE_LINES + 1)})
    assert long_modules(root) == [("numerics.big", MAX_MODULE_LINES + 1)]
    root = _plant(tmp_path, {"numerics/big.py": "x = 1\n" * MAX_MODULE_LINES})
    assert long_modules(root) == []


@pytest.mark.parametrize("extra", [0, 1])
def test_planted_long_function_is_caught(tmp_path, extra):
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES - 1 + extra))
    doc = '    """' + "doc\n" * 200 + '    """\n'
    text = "def f():\n" + doc + "\n    # a comment\n" + body
    root = _plant(tmp_path, {"numerics/fn.py": text})
    expected = [("numerics.fn.f", MAX_FUNCTION_LINES + 1)] if extra else []
    assert long_functions(root) == expected


def test_planted_retired_name_is_caught(tmp_path):
    old = next(iter(RETIRED_NAMES))
    root = _plant(tmp_path, {"numerics/r.py": f"KEY = {old!r}\n"})
    assert len(retired_names(root)) == 1
