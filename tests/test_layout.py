"""The layout the README's "How it is built" table promises, checked on every module's source."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

MAY_IMPORT = {
    "domain": {"domain"},
    "store": {"domain", "store"},
    "commands": {"domain", "store", "commands"},
    "projections": {"domain", "store", "projections"},
    "access": {"domain", "store", "access"},
    "live": {"domain", "store", "projections", "live"},
    "schema": {"domain", "store", "commands", "projections", "access", "live", "schema"},
    "app": {"domain", "store", "commands", "projections", "access", "live", "schema", "app"},
    "bench": {"domain", "store", "commands", "projections", "access", "live", "schema", "app", "bench"},
}
OURS = set(MAY_IMPORT) | {"tests"}
MAX_FUNCTION_LINES = 60


def modules(*packages: str) -> list[Path]:
    return sorted(path for package in packages for path in (ROOT / package).rglob("*.py"))


def imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_each_package_imports_only_what_its_row_allows(package: str) -> None:
    assert (ROOT / package / "__init__.py").exists()
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) - MAY_IMPORT[package])
        for path in modules(package)
    }
    assert {module: packages for module, packages in wrong.items() if packages} == {}


def test_no_function_outside_bench_is_longer_than_60_lines() -> None:
    long_ones = []
    for path in modules(*(package for package in OURS if package != "bench")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                if (length := node.end_lineno - node.lineno + 1) > MAX_FUNCTION_LINES:
                    long_ones.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    assert long_ones == []
