"""Schema migrations, run from code (CLI, tests, the app's first start)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Schema objects the migrations make that the models cannot describe (migration 0020): PostgreSQL's trigram
# index and SQLite's FTS5 table with its shadow tables. Autogenerate and the schema test leave them alone.
UNMODELLED = frozenset({"ix_lead_search_trgm", "lead_search", "lead_search_data", "lead_search_idx",
                        "lead_search_content", "lead_search_docsize", "lead_search_config"})


def modelled(_obj: object, name: str | None, _type: str, _reflected: bool, _compare_to: object) -> bool:
    """alembic's include_object: every schema object but the UNMODELLED ones."""
    return name not in UNMODELLED


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision."""
    cfg = alembic_config(engine)
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
