"""The house rules of the code (issue 16): pages -> ui -> core packages -> db; core never imports
streamlit; pages, ui and web call a core package only through the names its __init__ makes public;
no import circle anywhere in core/ (function-level imports included: a late import is still a circle)."""

from __future__ import annotations

import ast
import importlib
from functools import cache
from pathlib import Path

import pytest

from core.platform.public import public_names
from tests.conftest import ROOT

# The stages' packages (core/demo, the demo data generator, and core/cli.py are tools beside them).
PACKAGES = sorted(p.parent.name for p in (ROOT / "core").glob("*/__init__.py") if p.parent.name != "demo")
FACADE_USERS = ["app.py", *(str(p.relative_to(ROOT)) for d in ("pages", "ui", "web") for p in (ROOT / d).rglob("*.py"))]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


CORE_MODULES = {_module_name(p): p for p in (ROOT / "core").rglob("*.py")}


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every import outside `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            skipped |= {id(n) for statement in node.body for n in ast.walk(statement)}
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, a.name, []) for a in node.names)
    return found


@cache
def _public(package: str) -> dict[str, tuple[str, str]]:
    return public_names(ROOT / "core" / package / "__init__.py")


def _targets(module: str, names: list[str]) -> list[str]:
    """The core modules an import statement runs: a public name counts as the module that defines it."""
    out = []
    for name in names or [""]:
        full = f"{module}.{name}"
        if full in CORE_MODULES:
            out.append(full)
        elif module.count(".") == 1 and module.split(".")[1] in PACKAGES and name in _public(module.split(".")[1]):
            defined_in, attribute = _public(module.split(".")[1])[name]
            out.append(f"{defined_in}.{attribute}" if f"{defined_in}.{attribute}" in CORE_MODULES else defined_in)
        elif module in CORE_MODULES:
            out.append(module)
    return out


def test_core_never_imports_streamlit_ui_pages_or_web():
    bad = [f"{p.relative_to(ROOT)}:{line} imports {module}" for p in CORE_MODULES.values()
           for line, module, _names in _imports(p) if module.split(".")[0] in {"streamlit", "ui", "pages", "web"}]
    assert not bad


def test_db_imports_nothing_from_core_but_the_clock():
    """db is the bottom layer; its timestamps read the application's one clock (tests freeze it)."""
    bad = [f"{p.relative_to(ROOT)}:{line} imports {module} {names}" for p in (ROOT / "db").rglob("*.py")
           for line, module, names in _imports(p)
           if module.split(".")[0] == "core" and (module, names) != ("core.platform", ["clock"])]
    assert not bad


def test_ui_never_imports_pages():
    bad = [f"{p.relative_to(ROOT)}:{line}" for p in (ROOT / "ui").rglob("*.py")
           for line, module, _names in _imports(p) if module.split(".")[0] == "pages"]
    assert not bad


def test_pages_ui_and_web_use_only_the_public_names_of_a_core_package():
    bad = []
    for rel in FACADE_USERS:
        for line, module, names in _imports(ROOT / rel):
            parts = module.split(".")
            if parts[0] != "core":
                continue
            if module == "core":
                wrong = [n for n in names if n not in PACKAGES and n not in ("cli", "demo")]
            elif len(parts) == 2 and parts[1] in PACKAGES:
                wrong = [n for n in names if n not in _public(parts[1])]
            else:
                wrong = [module]  # a package's insides
            bad.extend(f"{rel}:{line} {module} {w}" for w in wrong)
    assert not bad, "\n".join(bad)


def test_no_import_circle_in_core():
    graph = {name: {t for _line, module, names in _imports(path) if module.startswith("core")
                    for t in _targets(module, names) if t != name}
             for name, path in CORE_MODULES.items()}
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                circles.append([*path[path.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not circles, "\n".join(" -> ".join(c) for c in circles)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_of_a_package_resolves_and_shadows_no_module(package):
    module = importlib.import_module(f"core.{package}")
    doc = (module.__doc__ or "").strip()
    assert doc and len(doc.splitlines()) <= 2, "the __init__ says in two lines what the package holds"
    submodules = {p.stem for p in (ROOT / "core" / package).glob("*.py")} | {
        p.name for p in (ROOT / "core" / package).iterdir() if (p / "__init__.py").exists()}
    for name, (defined_in, _attribute) in _public(package).items():
        assert getattr(module, name) is not None
        # Python sets a package attribute for every submodule it imports: a function named like a
        # submodule would be replaced by that module as soon as anything imported it.
        assert defined_in == f"core.{package}" or name not in submodules, name
    assert sorted(module.__all__) == sorted(_public(package))


def test_no_core_module_is_over_300_lines():
    long = {name: n for name, path in CORE_MODULES.items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 300}
    assert not long, long
