"""Jinja2 templates and what every page gets: the user, its menu, the CSRF token, flash messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib.resources import files
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse

from homeward.doors.web.sessions import CSRF_FIELD
from homeward.users.domain import WebUser

templates = Jinja2Templates(directory=str(files("homeward") / "doors" / "web" / "templates"))
env = templates.env
env.trim_blocks = True
env.lstrip_blocks = True


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str


MERCHANT_NAV = (
    NavItem("/returns", "Returns"),
    NavItem("/orders", "Orders"),
    NavItem("/products", "Products"),
    NavItem("/insights", "Insights"),
    NavItem("/settings/webhooks", "Webhooks"),
)
WAREHOUSE_NAV = (
    NavItem("/receive", "Receive"),
    NavItem("/inspect", "Inspect"),
    NavItem("/quarantine", "Quarantine"),
)


def money(value: Decimal | None) -> str:
    return "—" if value is None else f"${value:,.2f}"


def when(value: datetime | date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%b %-d, %Y %H:%M UTC")
    return value.strftime("%b %-d, %Y")


def day(value: datetime | date | None) -> str:
    return "—" if value is None else value.strftime("%b %-d, %Y")


env.filters["money"] = money
env.filters["when"] = when
env.filters["day"] = day


def csrf_token(request: Request) -> str:
    getter = request.scope.get("csrftoken")
    return str(getter()) if getter else ""


def flash(request: Request, message: str, kind: str = "success") -> None:
    """A message shown once, on the next page this browser sees (e.g. after a redirect)."""
    messages = list(request.session.get("flash", []))
    messages.append({"kind": kind, "message": message})
    request.session["flash"] = messages


def _take_flashes(request: Request) -> list[dict[str, str]]:
    if "session" not in request.scope:
        return []
    try:
        messages: list[dict[str, str]] = request.session.pop("flash", [])
    except Exception:  # session not loaded (an error page before sign-in)
        return []
    return messages


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with the shared context (and no caching: pages show live, per-user data)."""
    user: WebUser | None = getattr(request.state, "user", None)
    nav: tuple[NavItem, ...] = ()
    if user is not None:
        nav = WAREHOUSE_NAV if user.is_warehouse else MERCHANT_NAV
    shared = {
        "user": user,
        "nav": nav,
        "path": request.url.path,
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request),
        "flashes": _take_flashes(request),
    }
    response = templates.TemplateResponse(request, template, {**shared, **context}, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response
