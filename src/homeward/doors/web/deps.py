"""Who is signed in: dependencies that load the session and the user, or send them to sign in."""

from __future__ import annotations

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starsessions import load_session

from homeward.auth.domain import Principal, WarehousePrincipal
from homeward.db import Database
from homeward.doors.http.deps import get_db
from homeward.kit.errors import Forbidden, Unauthenticated
from homeward.users import service as users
from homeward.users.domain import WebUser

USER_KEY = "user_id"


async def session_loaded(request: Request) -> Request:
    await load_session(request)
    return request


async def web_user(request: Request = Depends(session_loaded), db: Database = Depends(get_db)) -> WebUser:
    """The signed-in user; Unauthenticated (a redirect to /login, see errors.py) otherwise."""
    user_id = request.session.get(USER_KEY)
    user = await run_in_threadpool(users.get_user, db, user_id) if isinstance(user_id, int) else None
    if user is None:
        raise Unauthenticated("Please sign in.")
    request.state.user = user
    return user


async def merchant_user(user: WebUser = Depends(web_user)) -> WebUser:
    if user.is_warehouse:
        raise Forbidden("This page is for merchant users; you are signed in as warehouse staff.")
    return user


async def warehouse_user(user: WebUser = Depends(web_user)) -> WebUser:
    if not user.is_warehouse:
        raise Forbidden("This page is for warehouse staff; you are signed in as a merchant user.")
    return user


async def merchant(user: WebUser = Depends(merchant_user)) -> Principal:
    """The principal merchant pages hand to services: the same one an API token would give."""
    return user.merchant_principal()


async def staff(user: WebUser = Depends(warehouse_user)) -> WarehousePrincipal:
    return user.warehouse_principal()
