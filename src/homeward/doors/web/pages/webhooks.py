"""Pages: the merchant's webhook subscriptions (Settings → Webhooks), over events.service.

The same use cases as /2025-07/webhook: the URL and topic rules, the SSRF check and the secret shown
once all live in events/; this page translates the form and shows what the service answers.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from homeward.auth.domain import Principal
from homeward.db import Database
from homeward.doors.http.deps import get_db
from homeward.doors.web import forms
from homeward.doors.web.deps import merchant
from homeward.doors.web.templating import flash, page
from homeward.events import service
from homeward.events.domain import Topic
from homeward.kit.errors import HomewardError
from homeward.kit.text import INT32_MAX

router = APIRouter()
SubscriptionId = Path(ge=0, le=INT32_MAX)
DeliveryId = Path(ge=0, le=INT32_MAX)


async def _render(
    request: Request, principal: Principal, db: Database, *, status_code: int = 200, **context: object
) -> Response:
    subscriptions = await run_in_threadpool(service.list_subscriptions, db, principal)
    return page(
        request,
        "settings/webhooks.html",
        status_code=status_code,
        subscriptions=subscriptions,
        topics=list(Topic),
        **context,
    )


@router.get("/settings/webhooks")
async def webhooks_page(
    request: Request, principal: Principal = Depends(merchant), db: Database = Depends(get_db)
) -> Response:
    return await _render(request, principal, db, values={"url": "", "description": "", "topics": []})


@router.post("/settings/webhooks")
async def add_webhook(
    request: Request, principal: Principal = Depends(merchant), db: Database = Depends(get_db)
) -> Response:
    form = await request.form()
    url, description = forms.text(form, "url", 3000), forms.text(form, "description", 1000)
    topics = [t for t in form.getlist("topics") if isinstance(t, str)][: len(Topic)]
    values = {"url": url, "description": description, "topics": topics}
    try:
        created = await run_in_threadpool(service.add_subscription, db, principal, url, topics, description)
    except HomewardError as exc:
        errors = forms.FormErrors.of(exc)
        return await _render(request, principal, db, status_code=422, values=values, errors=errors)
    # The secret is shown on this answer only (never stored in the session or shown again).
    return await _render(
        request, principal, db, values={"url": "", "description": "", "topics": []}, created=created
    )


@router.get("/settings/webhooks/{subscription_id}")
async def webhook_log(
    request: Request,
    subscription_id: int = SubscriptionId,
    principal: Principal = Depends(merchant),
    db: Database = Depends(get_db),
) -> Response:
    subscription = await run_in_threadpool(service.get_subscription, db, principal, subscription_id)
    attempts = await run_in_threadpool(service.delivery_log, db, principal, subscription_id)
    return page(request, "settings/webhook_log.html", subscription=subscription, attempts=attempts)


@router.post("/settings/webhooks/{subscription_id}/remove")
async def remove_webhook(
    request: Request,
    subscription_id: int = SubscriptionId,
    principal: Principal = Depends(merchant),
    db: Database = Depends(get_db),
) -> Response:
    await run_in_threadpool(service.remove_subscription, db, principal, subscription_id)
    flash(request, f"Webhook {subscription_id} removed; it receives no more events.")
    return RedirectResponse("/settings/webhooks", status_code=303)


@router.post("/settings/webhooks/{subscription_id}/deliveries/{delivery_id}/replay")
async def replay_delivery(
    request: Request,
    subscription_id: int = SubscriptionId,
    delivery_id: int = DeliveryId,
    principal: Principal = Depends(merchant),
    db: Database = Depends(get_db),
) -> Response:
    replayed = await run_in_threadpool(service.replay_delivery, db, principal, subscription_id, delivery_id)
    flash(request, f"Event {replayed.event_id} will be sent again (delivery {replayed.delivery_id}).")
    return RedirectResponse(f"/settings/webhooks/{subscription_id}", status_code=303)
