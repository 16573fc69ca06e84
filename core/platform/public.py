"""A package's public names, loaded on first use (PEP 562).

Each package's __init__ lists what the pages, ui/ and the worker may call in an `if TYPE_CHECKING:`
block of `from core.<package>.<module> import name as name` lines (mypy reads them as they are). At run
time nothing there is imported: `lazy_exports` reads the same lines and gives the package a
`__getattr__` that imports a name's module when the name is first asked for. So a package never
imports its own modules just by being imported, and packages that call each other (intake closes
leads, pipeline reads leads) form no import circle.
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def public_names(init_file: str | Path) -> dict[str, tuple[str, str]]:
    """name -> (module, attribute) from the `if TYPE_CHECKING:` block of a package's __init__."""
    tree = ast.parse(Path(init_file).read_text(encoding="utf-8"))
    found: dict[str, tuple[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for statement in node.body:
                if isinstance(statement, ast.ImportFrom) and statement.module:
                    for alias in statement.names:
                        found[alias.asname or alias.name] = (statement.module, alias.name)
    return found


def lazy_exports(init_file: str, package: str) -> tuple[list[str], Callable[[str], Any]]:
    """(__all__, __getattr__) for the package whose __init__ is `init_file`."""
    names = public_names(init_file)

    def __getattr__(name: str) -> Any:
        try:
            module, attribute = names[name]
        except KeyError:
            # Not public: Python then imports `package.name` as a submodule, if there is one.
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        if module == package:  # a public submodule
            value: Any = importlib.import_module(f"{package}.{attribute}")
        else:
            try:
                value = getattr(importlib.import_module(module), attribute)
            except AttributeError:  # a public submodule of a package inside this one
                value = importlib.import_module(f"{module}.{attribute}")
        setattr(sys.modules[package], name, value)  # the next lookup is a plain attribute
        return value

    return sorted(names), __getattr__
