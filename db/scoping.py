"""The branch-scope safety net.

Every session carries the set of branches it may touch (or is a system session that may touch
all). Reads of branch-owned models get `branch_id IN (...)` added by a do_orm_execute hook, and a
before_flush hook refuses to write a branch-owned row of another branch. Core query functions
apply the scope explicitly too; this net catches the one that forgets. A session with no scope
at all is refused, so forgetting to say who is asking fails loudly instead of leaking.

Not covered (by design, explicit scope required): Core statements on tables (not ORM entities)
and raw SQL; core/ uses those only in set-based jobs that run as system sessions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from db.base import BranchOwned

_SCOPE_KEY = "h23_branch_scope"
_UNSET = object()


class ScopeError(RuntimeError):
    """Programming error: a session without a branch scope, or a write outside it."""


def set_scope(session: Session, branch_ids: frozenset[int] | None, *, system: bool = False) -> None:
    if branch_ids is None and not system:
        raise ScopeError("a non-system session needs its branch ids")
    session.info[_SCOPE_KEY] = None if system else frozenset(branch_ids or ())


def scope_of(session: Session) -> frozenset[int] | None:
    """The branches this session may touch; None = all (system or head office)."""
    scope = session.info.get(_SCOPE_KEY, _UNSET)
    if scope is _UNSET:
        raise ScopeError("session has no branch scope; use Database.session(...)")
    return scope


@event.listens_for(Session, "do_orm_execute")
def _add_branch_criteria(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get("include_all_branches"):
        return  # only used by code that has already checked the viewer may see all
    scope = state.session.info.get(_SCOPE_KEY, _UNSET)
    if scope is _UNSET:
        if _touches_branch_owned(state):
            raise ScopeError("query of branch-owned rows from a session without a branch scope")
        return
    if scope is None:
        return
    ids = tuple(scope)
    state.statement = state.statement.options(
        with_loader_criteria(BranchOwned, lambda cls: cls.branch_id.in_(ids), include_aliases=True)
    )


def _touches_branch_owned(state: ORMExecuteState) -> bool:
    return any(issubclass(mapper.class_, BranchOwned) for mapper in state.all_mappers)


@event.listens_for(Session, "before_flush")
def _refuse_writes_outside_scope(session: Session, _ctx: Any, _instances: Any) -> None:
    scope = session.info.get(_SCOPE_KEY, _UNSET)
    if scope is None:
        return
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if not isinstance(obj, BranchOwned):
            continue
        if scope is _UNSET:
            raise ScopeError("write of branch-owned rows from a session without a branch scope")
        if obj.branch_id not in scope:
            raise ScopeError(
                f"{type(obj).__name__} of branch {obj.branch_id} is outside this session's branches"
            )
