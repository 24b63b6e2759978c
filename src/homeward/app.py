"""Builds the web application: every HTTP door mounted on one FastAPI app."""

import gc
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from homeward import __version__
from homeward.config import get_settings
from homeward.db import HTTP_THREADS, Database
from homeward.doors.admin.routes import router as admin_router
from homeward.doors.http import errors, idempotency
from homeward.doors.http.body_limit import JsonBodyLimit
from homeward.doors.http.idempotency import IdempotencyMiddleware
from homeward.doors.http.observability import ObservabilityMiddleware, configure_logging, metrics_endpoint
from homeward.doors.http.routing import gate_included_routers
from homeward.doors.http.together import Together
from homeward.doors.integrations.routes import router as integrations_router
from homeward.doors.oms.routes import router as oms_router
from homeward.doors.refunds_api.routes import router as refunds_router
from homeward.doors.shipbob.labels import router as labels_router
from homeward.doors.shipbob.routes import v1, v2025
from homeward.doors.warehouse.routes import router as warehouse_router
from homeward.doors.web import routes as web
from homeward.doors.webhooks.routes import router as webhooks_router
from homeward.photos.store import store_from_url

DESCRIPTION = """
Homeward is an open-source returns management system. Its Returns API is a drop-in for
ShipBob's (2025-07 and 1.0): change the base URL and the token, keep your client.

Authenticate with `Authorization: Bearer <token>` (create one with `homeward token create`).
"""


@asynccontextmanager
async def _lifespan(_: FastAPI) -> AsyncIterator[None]:
    # Blocking handlers share this many threads, so each can always find a pooled connection
    # (db.py sizes the pools to match) instead of opening one or waiting for one.
    anyio.to_thread.current_default_thread_limiter().total_tokens = HTTP_THREADS
    yield


def create_app(database_url: str | None = None, photo_store: str | None = None) -> FastAPI:
    settings = get_settings()
    configure_logging(settings.log_level)
    app = FastAPI(title="Homeward", version=__version__, description=DESCRIPTION, lifespan=_lifespan)
    app.state.db = Database(database_url or settings.database_url)
    app.state.photos = store_from_url(photo_store or settings.photo_store)
    app.state.together = Together()  # a caller's creates that arrive together, written together
    errors.install(app)
    web.mount(app, app.state.db)  # its middleware sits inside the request log and metrics
    app.add_middleware(IdempotencyMiddleware)  # inside the request log, so replays are logged too
    app.add_middleware(JsonBodyLimit)
    app.add_middleware(ObservabilityMiddleware)

    @app.get("/healthz", tags=["Operations"], summary="Liveness: the process answers")
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", tags=["Operations"], summary="Readiness: the database answers (503 if not)")
    async def readyz() -> JSONResponse:
        db: Database = app.state.db
        await run_in_threadpool(db.ping)  # a database that is away is a 503 (doors/http/errors.py)
        return JSONResponse({"status": "ready"})

    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    app.include_router(v2025)
    app.include_router(labels_router)
    app.include_router(v1)
    app.include_router(admin_router)
    app.include_router(oms_router)
    app.include_router(warehouse_router)
    app.include_router(refunds_router)
    app.include_router(webhooks_router)
    app.include_router(integrations_router)
    gate_included_routers(app)
    idempotency.document(app)
    return app


def start_worker_thread(db: Database) -> threading.Event:
    """A webhook delivery worker inside this server process (demo set-ups; production runs
    `homeward worker`). Set the returned event to stop it."""
    from homeward.doors.webhooks.payloads import render
    from homeward.events.worker import Worker

    stop = threading.Event()
    threading.Thread(target=Worker(db, render).run, args=(stop,), name="webhook-worker", daemon=True).start()
    return stop


def create_served_app() -> FastAPI:
    """The app as `homeward serve` runs it: built once per worker process, then frozen out of GC.

    Everything built at startup (modules, routes, schemas) lives as long as the process; frozen,
    the garbage collector stops re-scanning it on every full collection a request may trigger.
    """
    app = create_app()
    if get_settings().serve_worker:
        start_worker_thread(app.state.db)
    gc.collect()  # only what is alive gets frozen
    gc.freeze()
    return app
