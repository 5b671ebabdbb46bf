"""The package reads as the pipeline (docs/architecture.md): imports, function-local ones
included, point down the pipeline; no module imports another's private names; only the rete
adapter imports durable_rules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import ROOT

PACKAGE = ROOT / "jurisdiction"
# The steps, in pipeline order: a module may import its own step and the steps before it.
LAYERS = [
    ("jurisdiction._version", "jurisdiction.errors", "jurisdiction.cache", "jurisdiction.vocabulary"),
    ("jurisdiction.reading",),
    ("jurisdiction.practice",),
    ("jurisdiction.law",),
    ("jurisdiction.engines",),
    ("jurisdiction.evaluation",),
    ("jurisdiction.users",),
    ("jurisdiction.outputs",),
    ("jurisdiction.schemas", "jurisdiction.service"),
    ("jurisdiction.cli", "jurisdiction.pytest_plugin"),
    ("jurisdiction", "jurisdiction.__main__"),
]


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "_rules" in path.parts:
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) for every import, wherever it stands."""
    out = []
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            out.append((target, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out.extend((a.name, []) for a in node.names)
    return out


def _owner(target: str, names: list[str]) -> list[str]:
    """The package modules an import reaches (a name may itself be a submodule)."""
    reached = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
    if not reached:
        probe = target
        while probe not in MODULES and "." in probe:
            probe = probe.rsplit(".", 1)[0]
        reached = [probe] if probe in MODULES else []
    return reached


def _layer(module: str) -> int:
    best = (-1, -1)
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best[1]:
                best = (rank, len(prefix))
    assert best[0] >= 0, f"{module} is in no step of the pipeline: add it to LAYERS"
    return best[0]


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    for name, path in MODULES.items():
        for target, names in _imports(name, path):
            if target.startswith("jurisdiction"):
                edges[name].update(m for m in _owner(target, names) if m != name)
    return edges


def test_every_module_belongs_to_a_step() -> None:
    for module in MODULES:
        _layer(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_pipeline(module: str) -> None:
    upward = sorted(t for t in _edges()[module] if _layer(t) > _layer(module))
    assert not upward, f"{module} imports {upward}, later in the pipeline"


def test_no_import_cycles() -> None:
    edges = _edges()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)


def test_no_private_names_across_modules() -> None:
    reached = []
    for name, path in MODULES.items():
        for target, names in _imports(name, path):
            if target.startswith("jurisdiction") and target != name:
                reached += [f"{name} takes {target}.{n}" for n in names if n.startswith("_") and not n.startswith("__")]
    assert not reached, reached


def test_only_the_rete_adapter_imports_durable_rules() -> None:
    users = sorted(
        {
            name
            for name, path in MODULES.items()
            for target, _ in _imports(name, path)
            if target.split(".")[0] in ("durable", "durable_rules")
        }
    )
    assert users == ["jurisdiction.engines.rete"]


def test_the_check_can_fail(tmp_path: Path) -> None:
    """The rules above see a function-local import as well as a top-level one."""
    source = "def f():\n    from jurisdiction.cli import run\n    return run\n"
    (tmp_path / "m.py").write_text(source, encoding="utf-8")
    assert ("jurisdiction.cli", ["run"]) in _imports("jurisdiction.law.m", tmp_path / "m.py")
    assert _layer("jurisdiction.cli") > _layer("jurisdiction.law.rulebook")
