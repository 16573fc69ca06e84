"""ARCHITECTURE.md "Access": every row that belongs to a branch is read through one scoping mechanism. The ORM's
net (db.scoping) cannot see SQL run on the connection, the driver's cursor or COPY: those reads go through
core.platform.scoped_sql, which adds the viewer's branches itself. This test fails when any other core module
runs raw SQL, and shows the helper scoping a statement whose caller forgot its branch condition."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from sqlalchemy import select

from core.platform import scoped_sql
from db.models import Branch, Customer, Lead, Vehicle
from tests.conftest import ROOT
from tests.helpers import new_lead

HELPER = ROOT / "core" / "platform" / "scoped_sql.py"
# Writes by the driver (bulk INSERT / COPY FROM and the sales' hash stamp): set-based writes whose branch check
# is explicit where they are; the ORM's before_flush net never saw them either. Reads have no exception.
DRIVER_WRITES = {("core/intake/store.py", "_insert_many"), ("core/intake/store.py", "_insert_rows"),
                 ("core/intake/hashing.py", "stamp_sales"), ("core/migration/writer.py", "_insert"),
                 # The search index's own copy of every lead (head office reads it through the ORM's scoped query)
                 ("core/leads/search_index.py", "index_pending"),
                 # Index drops and builds, ANALYZE and per-statement memory around a first import: no rows read
                 ("core/intake/bulk_load.py", "restore"), ("core/intake/bulk_load.py", "fresh_statistics"),
                 ("core/intake/bulk_load.py", "bulk_mode"),
                 # The group-wide shrinkage statistic the weekly job computes over every vehicle: no viewer reads it
                 ("core/prediction/typical.py", "_estimate_shrinkage")}
RAW_CALLS = {"driver_rows", "for_driver", "exec_driver_sql"}


def _functions(tree: ast.AST) -> dict[int, str]:
    """Line -> name of the function it is in (innermost)."""
    out: dict[int, str] = {}
    defs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for node in sorted(defs, key=lambda n: n.lineno):  # an inner function starts later: it wins its lines
        out.update(dict.fromkeys(range(node.lineno, (node.end_lineno or node.lineno) + 1), node.name))
    return out


def _pragmas(tree: ast.AST) -> set[int]:
    """ids of `.connection()` calls handed to a SQLite page-cache pragma (no rows are read)."""
    return {id(arg) for node in ast.walk(tree) if isinstance(node, ast.Call)
            and "page_cache" in ast.unparse(node.func) for arg in node.args}


def raw_sql_sites(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    rel = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name
    functions, pragmas = _functions(tree), _pragmas(tree)
    owned = "|".join(sorted(scoped_sql.branch_owned_tables()))
    table_word = re.compile(rf"\b({owned})\b", re.IGNORECASE)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        helper = isinstance(func, ast.Attribute) and ast.unparse(func.value) == "scoped_sql"
        raw = (name == "connection" and not node.args and id(node) not in pragmas) or (
            name in RAW_CALLS and not helper) or (
            name == "text" and node.args and table_word.search(ast.unparse(node.args[0])))
        if raw and (rel, functions.get(node.lineno, "")) not in DRIVER_WRITES:
            found.append(f"{rel}:{node.lineno} {ast.unparse(node)[:80]}")
    return found


def test_no_core_module_but_the_helper_runs_raw_sql():
    modules = [p for p in (ROOT / "core").rglob("*.py") if p != HELPER and (ROOT / "core" / "demo") not in p.parents]
    assert [site for p in modules for site in raw_sql_sites(p)] == []


def test_the_check_finds_a_raw_read(tmp_path):
    careless = tmp_path / "careless.py"  # a module as a careless change would write it
    careless.write_text("def rows(session):\n"
                        "    return session.connection().execute(text('SELECT * FROM lead')).all()\n")
    assert len(raw_sql_sites(careless)) == 2  # the connection, and the text() naming a branch-owned table


def test_a_raw_read_whose_caller_forgot_the_branch_reads_only_the_viewers_branches(world):
    new_lead(world)  # SAM01's
    stmt = (select(Lead.number, Customer.name, Vehicle.plate).join(Branch, Branch.id == Lead.branch_id)
            .join(Customer, Customer.id == Lead.customer_id).join(Vehicle, Vehicle.id == Lead.vehicle_id))
    with world.db.session(world.admin_man.scope) as s:
        assert scoped_sql.execute(s, world.admin_man, stmt).all() == []
        assert scoped_sql.driver_rows(s, world.admin_man, stmt) == []
    with world.db.session(world.admin_sam.scope) as s:
        assert [r[1] for r in scoped_sql.execute(s, world.admin_sam, stmt)] == ["RESTU ANDIKA PRADANA PUTRA"]
