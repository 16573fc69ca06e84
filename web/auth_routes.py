"""The re-login cookie's two routes (core.accounts.login_cookie): the page posts its login's one-time ticket and
gets the cookie as HttpOnly, SameSite=Lax and, over HTTPS, Secure; and logout drops it. Thin: read,
call core in one transaction off the event loop, answer."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.accounts import login_cookie
from db.engine import Database, make_engine

MAX_BODY = 512  # a ticket is 43 characters


def _secure(request: Request) -> bool:
    """Secure when the browser reached us over HTTPS: directly, or through a TLS proxy that says so
    (uvicorn applies X-Forwarded-Proto from the proxies it trusts); H23_COOKIE_SECURE=1 forces it."""
    return os.environ.get("H23_COOKIE_SECURE") == "1" or request.url.scheme == "https"


@lru_cache(maxsize=1)
def _default_db() -> Database:
    return Database(make_engine())


def auth_routes(database: Callable[[], Database] = _default_db) -> list[Route]:
    """The routes, on a database (default: DATABASE_URL)."""
    async def set_cookie(request: Request) -> Response:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return Response(status_code=413)
        ticket = body.decode("ascii", errors="replace").strip()

        def redeem() -> tuple[str, int] | None:
            with database().transaction(None, system=True) as s:
                return login_cookie.redeem_ticket(s, ticket)
        issued = await run_in_threadpool(redeem)
        if issued is None:
            return Response(status_code=403)
        secret, max_age = issued
        response = Response(status_code=204, headers={"Cache-Control": "no-store"})
        # Lax, not Strict: a shared link opened from WhatsApp Web is a cross-site navigation, and the
        # admin should land logged in; Lax still keeps the cookie off other sites' POSTs.
        response.set_cookie(login_cookie.COOKIE_NAME, secret, max_age=max_age, path="/", httponly=True,
                            samesite="lax", secure=_secure(request))
        return response

    async def clear_cookie(request: Request) -> Response:
        secret = request.cookies.get(login_cookie.COOKIE_NAME)

        def revoke() -> None:
            with database().transaction(None, system=True) as s:
                login_cookie.revoke(s, secret)
        if secret:
            await run_in_threadpool(revoke)
        response = Response(status_code=204, headers={"Cache-Control": "no-store"})
        response.delete_cookie(login_cookie.COOKIE_NAME, path="/", httponly=True, samesite="lax",
                               secure=_secure(request))
        return response

    return [
        Route(login_cookie.SET_ROUTE, set_cookie, methods=["POST"]),
        Route(login_cookie.CLEAR_ROUTE, clear_cookie, methods=["POST"]),
    ]
