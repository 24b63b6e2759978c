"""Sign in, sign out, and the home page (which sends each user to where their work is)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response
from starsessions import regenerate_session_id

from homeward.db import Database
from homeward.doors.http.deps import get_db
from homeward.doors.web import forms
from homeward.doors.web.deps import USER_KEY, session_loaded, web_user
from homeward.doors.web.templating import flash, page
from homeward.kit.errors import TooManyAttempts, Unauthenticated
from homeward.users import service as users
from homeward.users.domain import WebUser

router = APIRouter()


def _safe_next(target: str) -> str:
    # Only paths on this site: never an open redirect to another host.
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.get("/")
async def home(user: WebUser = Depends(web_user)) -> Response:
    return RedirectResponse("/receive" if user.is_warehouse else "/returns", status_code=303)


@router.get("/login")
async def login_form(request: Request = Depends(session_loaded)) -> Response:
    if isinstance(request.session.get(USER_KEY), int):
        return RedirectResponse(_safe_next(request.query_params.get("next", "/")), status_code=303)
    return page(request, "auth/login.html", next=_safe_next(request.query_params.get("next", "/")), email="")


@router.post("/login")
async def login(request: Request = Depends(session_loaded), db: Database = Depends(get_db)) -> Response:
    form = await request.form()
    email, password = forms.text(form, "email", 254), str(form.get("password") or "")[:200]
    target = _safe_next(forms.text(form, "next", 2000) or "/")
    client = request.client.host if request.client else "unknown"
    try:
        user = await run_in_threadpool(users.sign_in, db, email, password, client)
    except (Unauthenticated, TooManyAttempts) as exc:
        status = 429 if isinstance(exc, TooManyAttempts) else 401
        return page(
            request,
            "auth/login.html",
            status_code=status,
            next=target,
            email=email,
            errors=forms.FormErrors.of(exc),
        )
    regenerate_session_id(request)  # a new id at sign-in: no session fixation
    request.session.clear()
    request.session[USER_KEY] = user.id
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
async def logout(request: Request = Depends(session_loaded)) -> Response:
    request.session.clear()
    flash(request, "You are signed out.", "info")
    return RedirectResponse("/login", status_code=303)
