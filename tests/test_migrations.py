"""The alembic migrations build exactly the schema the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import db.models  # noqa: F401  (every table on the metadata)
from db.base import Base
from db.migrate import modelled


def test_migrations_and_models_agree(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": modelled})
        assert compare_metadata(context, Base.metadata) == []
