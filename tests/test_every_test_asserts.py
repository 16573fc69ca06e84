"""Tests stay honest: a test function that asserts nothing passes whatever the product does. Each test_ function
must assert, expect a raise (pytest.raises / pytest.warns), or call a helper that does (a function in tests/
that asserts, directly or through another helper, or Playwright's expect)."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

TESTS = ROOT / "tests"
# Asserting helpers from outside tests/: Playwright's expect(locator).to_...() fails the test when unmet.
OUTSIDE_HELPERS = {"expect"}


def _called(node: ast.AST) -> set[str]:
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            names.add(func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else "")
    return names


def _asserts_itself(node: ast.AST) -> bool:
    return any(isinstance(sub, ast.Assert) for sub in ast.walk(node)) or bool(
        _called(node) & {"raises", "warns", "fail"})


def _functions() -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    out = []
    for path in sorted(TESTS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = str(path.relative_to(ROOT))
        out += [(where, n) for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    return out


def unasserted(functions: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]) -> list[str]:
    """The test_ functions among `functions` (file, definition) that assert nothing, as 'file:line name'."""
    asserting = {n.name for _, n in functions if _asserts_itself(n)} | OUTSIDE_HELPERS
    grew = True
    while grew:  # helpers that call asserting helpers assert too
        more = {n.name for _, n in functions if n.name not in asserting and _called(n) & asserting}
        asserting |= more
        grew = bool(more)
    return [f"{where}:{n.lineno} {n.name}" for where, n in functions
            if n.name.startswith("test_") and n.name not in asserting]


def test_every_test_function_asserts_something():
    assert unasserted(_functions()) == []


def test_the_check_finds_a_test_that_asserts_nothing():
    tree = ast.parse("def helper(x):\n    assert x\n\ndef test_checked():\n    helper(1)\n\n"
                     "def test_only_prints(world):\n    print(world)\n")
    functions = [("probe.py", n) for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    assert unasserted(functions) == ["probe.py:7 test_only_prints"]
