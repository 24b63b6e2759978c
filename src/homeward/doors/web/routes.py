"""Mounts the web app on the API's FastAPI app: middleware, static files, pages, error pages."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from homeward.db import Database
from homeward.doors.http.errors import register_pages
from homeward.doors.web.errors import csrf_refused, render_error
from homeward.doors.web.pages import (
    auth,
    insights,
    inspect,
    orders,
    products,
    receive,
    returns,
    webhooks,
    wizard,
)
from homeward.doors.web.paths import is_web_path
from homeward.doors.web.sessions import WebOnly

PAGE_ROUTERS = (auth, orders, wizard, returns, products, insights, receive, inspect, webhooks)


def mount(app: FastAPI, db: Database) -> None:
    register_pages(is_web_path, render_error)
    app.mount(
        "/static", StaticFiles(directory=str(files("homeward") / "doors" / "web" / "static")), name="static"
    )
    for module in PAGE_ROUTERS:
        app.include_router(module.router, include_in_schema=False)
    app.add_middleware(WebOnly, db=db, on_csrf_failure=csrf_refused)
