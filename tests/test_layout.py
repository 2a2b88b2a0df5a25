"""The package layout's rules (docs/design.md): no import cycles inside ``pyexpr``, no
module importing another's private names, and the front end independent of ``Formula``."""
import ast
from pathlib import Path

import pyexpr

ROOT = Path(pyexpr.__file__).parent


def _modules():
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(name, path, modules):
    """``(imported module, imported name or None, line)`` of every pyexpr import in ``path``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            if module.split(".")[0] != "pyexpr":
                continue
            for alias in node.names:
                full = f"{module}.{alias.name}"
                yield (full, None, node.lineno) if full in modules else (module, alias.name, node.lineno)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "pyexpr":
                    yield alias.name, None, node.lineno


def _graph():
    modules = _modules()
    return modules, {name: list(_imports(name, path, modules)) for name, path in modules.items()}


def test_no_module_imports_a_private_name():
    _, graph = _graph()
    private = [f"{name}:{line} imports {module}.{what}" for name, found in graph.items()
               for module, what, line in found if what and what.startswith("_") and not what.startswith("__")]
    assert not private, private


def test_no_import_cycles():
    modules, graph = _graph()
    edges = {name: {m for m, _, _ in found if m in modules and m != name} for name, found in graph.items()}
    state, cycles = {}, []

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                cycles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"
    for name in sorted(edges):
        if name not in state:
            visit(name, [name])
    assert not cycles, " ; ".join(" -> ".join(c) for c in cycles)


def test_the_front_end_and_the_ir_do_not_import_formula_or_backends():
    _, graph = _graph()
    for name, found in graph.items():
        if name.startswith(("pyexpr.ast_rewrite", "pyexpr.ir", "pyexpr.cpu", "pyexpr.gpu")):
            targets = {m for m, _, _ in found}
            assert not targets & {"pyexpr.formula", "pyexpr.backends", "pyexpr.jit"}, name


def test_formula_reaches_backends_only_through_backends_py():
    _, graph = _graph()
    for name in ("pyexpr.formula", "pyexpr.calling", "pyexpr.calculus"):
        bad = {m for m, _, _ in graph[name] if m.startswith(("pyexpr.cpu", "pyexpr.gpu", "pyexpr.ir"))}
        assert not bad, f"{name} imports {sorted(bad)}"
