"""Database layer: SQLAlchemy 2.x typed models, engine/session factory, branch scoping, migrations."""
