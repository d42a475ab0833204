"""The house rules of the code layout (../shared/DESIGN.md), checked on the source tree.

* no import cycle among the modules of ``planner`` and ``solvers`` (imports under
  ``if TYPE_CHECKING:`` are for type checkers only and do not count; imports inside functions do);
* no module imports another module's private (``_name``) objects, in any import;
* no Python file of more than 600 lines in ``planner/`` or ``solvers/``;
* at most 12 entries directly under ``planner/``; every package says what it owns in its docstring;
* the engine never imports the application;
* the independent validator (``planner.validate``) loads nothing from ``solvers`` but
  ``solvers.common`` and nothing of the planner's design, engine-problem or KPI code, directly or
  through other modules (package ``__init__`` re-exports included): checked by importing it in a
  fresh interpreter and reading ``sys.modules``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("planner", "solvers")
MAX_LINES = 600
MAX_PLANNER_ENTRIES = 12


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for p in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(p.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = p
    return out


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(path: Path, module: str, modules: dict[str, Path]):
    """(target module, imported names, line, type_checking_only) of every import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    found = []

    def visit(node: ast.AST, tc: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for b in child.body:
                    visit_one(b, True)
                for b in child.orelse:
                    visit_one(b, tc)
                continue
            visit_one(child, tc)

    def visit_one(child: ast.AST, tc: bool) -> None:
        if isinstance(child, ast.ImportFrom):
            if child.level:
                base = module.split(".") if is_pkg else module.split(".")[:-1]
                base = base[: len(base) - (child.level - 1)]
                target = ".".join(base + ([child.module] if child.module else []))
            else:
                target = child.module or ""
            found.append((target, [a.name for a in child.names], child.lineno, tc))
        elif isinstance(child, ast.Import):
            for a in child.names:
                found.append((a.name, [], child.lineno, tc))
        visit(child, tc)

    visit(tree, False)
    return found


def _graph():
    modules = _modules()
    edges: dict[str, set[str]] = {m: set() for m in modules}
    private = []
    for mod, path in modules.items():
        for target, names, line, tc in _imports(path, mod, modules):
            if not target.startswith(PACKAGES):
                continue
            for n in names:
                if n.startswith("_") and not n.startswith("__"):
                    private.append(f"{path.relative_to(ROOT)}:{line} imports {n} from {target}")
            if tc:
                continue
            if target in modules and target != mod:
                edges[mod].add(target)
            for n in names:  # `from pkg import module`
                sub = f"{target}.{n}"
                if sub in modules and sub != mod:
                    edges[mod].add(sub)
    return modules, edges, private


def test_no_import_cycles() -> None:
    import networkx as nx

    _, edges, _ = _graph()
    g = nx.DiGraph([(a, b) for a, bs in edges.items() for b in bs])
    cycles = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
    assert not cycles, f"import cycles: {cycles}"


def test_no_private_names_across_files() -> None:
    _, _, private = _graph()
    assert not private, "private names imported across files:\n" + "\n".join(private)


def test_files_are_short() -> None:
    long = []
    for p in _modules().values():
        n = len(p.read_text(encoding="utf-8").splitlines())
        if n > MAX_LINES:
            long.append(f"{p.relative_to(ROOT)}: {n} lines")
    assert not long, f"files over {MAX_LINES} lines:\n" + "\n".join(long)


def test_planner_layout() -> None:
    entries = sorted(p.name for p in (ROOT / "planner").iterdir()
                     if p.name != "__pycache__" and not p.name.startswith("."))
    assert len(entries) <= MAX_PLANNER_ENTRIES, f"{len(entries)} entries under planner/: {entries}"
    for pkg in [p for p in (ROOT / "planner").rglob("__init__.py")] + [ROOT / "solvers" / "__init__.py"]:
        doc = ast.get_docstring(ast.parse(pkg.read_text(encoding="utf-8")))
        assert doc and len(doc.split()) >= 5, f"{pkg.relative_to(ROOT)} needs a docstring saying what it owns"


def test_engine_never_imports_the_application() -> None:
    modules, edges, _ = _graph()
    bad = sorted(f"{m} -> {t}" for m, ts in edges.items() if m.startswith("solvers") for t in ts
                 if t.startswith("planner"))
    assert not bad, bad


@pytest.mark.skipif(not (ROOT / "planner" / "validate").is_dir(), reason="planner/validate is not a package yet")
def test_validator_is_independent() -> None:
    code = ("import json, sys; import planner.validate; "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('planner', 'solvers')))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    today = ("planner.build", "planner.kpis", "planner.run", "planner.rezone", "planner.frontier", "planner.batch",
             "planner.store", "planner.cli")  # today's modules of design, KPI, workflow and storage code
    forbidden = [m for m in loaded
                 if (m.startswith("solvers.") and m != "solvers.common")
                 or m.startswith(("planner.design", "planner.plan", "planner.workflows", "planner.report"))
                 or m in today or m.startswith(tuple(t + "." for t in today))]
    assert not forbidden, f"planner.validate loads {forbidden}"
