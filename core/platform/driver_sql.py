"""Statements run on the driver's own cursor, for the few hot paths where SQLAlchemy's result rows cost
more than the query: a million one-value rows take about a second more through them on this machine. Reads of
branch-owned rows run them through core.platform.scoped_sql, which adds the viewer's branches."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def for_driver(session: Session, stmt: Any, params: dict[str, Any] | None = None) -> tuple[str, Any]:
    """A statement as the driver itself takes it: its SQL text and parameters (`params` fill named
    bindparams left without a value), with the types' own conversions applied (enums to their values,
    datetimes as stored)."""
    compiled = stmt.compile(dialect=session.get_bind().dialect)
    state = compiled.construct_expanded_state(params)  # expanding IN lists rendered for these values
    processors = {**compiled._bind_processors, **state.processors}  # the latter: only the expanded ones
    values = {k: (processors[k](v) if k in processors else v) for k, v in state.parameters.items()}
    if state.positiontup is not None:
        return state.statement, [values[k] for k in state.positiontup]
    return state.statement, values
