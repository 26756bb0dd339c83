"""The import graph points down, and the public names are exported (STYLE.md, section 2)."""

from __future__ import annotations

import ast
from pathlib import Path

import ferrybase

PACKAGE = Path(ferrybase.__file__).parent

# Lower layers may not import higher ones. Modules not listed are leaves (layer 0).
LAYERS = {
    "errors": 0,
    "config": 0,
    "types": 0,
    "hooks": 0,
    "filter": 0,
    "core": 1,
    "store": 2,
    "auth": 2,
    "files": 2,
    "realtime": 2,
    "integrations": 2,
    "api": 3,
    "admin": 3,
    "server": 4,
    "cli": 5,
    "__main__": 6,
    "__init__": 0,
}
DRIVERS = {"sqlite3", "asyncpg", "starlette", "granian", "uvicorn", "httpx"}


def _layer(module: str) -> int:
    return LAYERS[module.split(".")[0]]


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [a.name for a in node.names]
    return names


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).with_suffix("")
        out.append((".".join(rel.parts), path))
    return out


def test_imports_point_down() -> None:
    violations = []
    for module, path in _modules():
        if module == "__init__":
            continue
        own = _layer(module)
        for name in _imports(path):
            if not name.startswith("ferrybase.") or name == "ferrybase":
                continue
            target = name.removeprefix("ferrybase.")
            if target.split(".")[0] == module.split(".")[0]:
                continue
            if _layer(target) > own:
                violations.append(f"{module} imports {name}")
    assert violations == []


def test_core_and_filter_import_no_drivers() -> None:
    for module, path in _modules():
        if module.split(".")[0] not in ("core", "filter", "errors", "config"):
            continue
        bad = {n for n in _imports(path) if n.split(".")[0] in DRIVERS}
        assert not bad, f"{module} imports {bad}"


def test_exports_are_sorted_and_complete() -> None:
    exported = ferrybase.__all__
    assert exported == sorted(exported)
    public = {n for n in vars(ferrybase) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(exported)
    for name in exported:
        assert hasattr(ferrybase, name)
