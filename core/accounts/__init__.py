"""Who may do what: users and roles (access), login sessions with lockout (auth) and the re-login
cookie bound to a session (login_cookie)."""

from typing import TYPE_CHECKING

from core.platform.public import lazy_exports

if TYPE_CHECKING:  # the public names, loaded on first use (core.platform.public)
    from core.accounts import auth as auth, login_cookie as login_cookie
    from core.accounts.access import Perm as Perm, Viewer as Viewer, session_for as session_for

__all__, __getattr__ = lazy_exports(__file__, __name__)
