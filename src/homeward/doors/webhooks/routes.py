"""/2025-07/webhook: a merchant's webhook subscriptions and their delivery log (2025-07 errors)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field

from homeward.auth.domain import Principal, Scope
from homeward.db import Database
from homeward.doors.http.deps import get_db, requires
from homeward.doors.shipbob import schemas as shipbob_schemas
from homeward.events import service
from homeward.events.domain import URL_MAX, Topic
from homeward.events.service import AttemptRecord, NewSubscription, ReplayRecord, SubscriptionRecord
from homeward.kit.text import INT32_MAX, CleanStr

router = APIRouter(tags=["Webhooks"])

SubscriptionId = Path(ge=0, le=INT32_MAX, description="Id of the webhook subscription")
DeliveryId = Path(ge=0, le=INT32_MAX, description="`delivery_id` of an attempt in the delivery log")
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": shipbob_schemas.ProblemDetails, "description": "Malformed request or schema error"},
    401: {"model": shipbob_schemas.SimpleError, "description": "Authorization missing or invalid"},
    403: {"model": shipbob_schemas.SimpleError, "description": "Token lacks the scope"},
    404: {"model": shipbob_schemas.ProblemDetails, "description": "No such subscription for this merchant"},
    422: {"model": shipbob_schemas.ApiError, "description": "A rule was broken (URL, topic)"},
}


class SubscriptionIn(BaseModel):
    url: CleanStr = Field(max_length=URL_MAX, description="https:// receiver of the POSTs")
    topics: list[CleanStr] = Field(
        default_factory=list, max_length=len(Topic), description="Topics to send; empty: all of them"
    )
    description: CleanStr = Field("", max_length=service.DESCRIPTION_MAX)


class SubscriptionOut(BaseModel):
    id: int
    url: str
    topics: list[str]
    description: str
    status: str = Field(description="active, or failing once a delivery gave up after 24 hours of retries")
    created_at: datetime
    failing_since: datetime | None


class NewSubscriptionOut(SubscriptionOut):
    secret: str = Field(
        description="Standard Webhooks signing secret (whsec_...), shown this once: check "
        "`webhook-signature` with it"
    )


class ReplayOut(BaseModel):
    delivery_id: int = Field(description="The new delivery; its attempts appear in the log under this id")
    replay_of: int = Field(description="The delivery replayed")
    event_id: str = Field(description="The `webhook-id` sent: the same as the first time")
    status: str = Field(description="pending: the worker sends it at once")


def subscription_out(record: SubscriptionRecord) -> SubscriptionOut:
    """The subscription as the API and the CLI show it."""
    return SubscriptionOut(
        id=record.id,
        url=record.url,
        topics=[t.value for t in record.topics],
        description=record.description,
        status=record.status.value,
        created_at=record.created_at,
        failing_since=record.failing_since,
    )


def new_subscription_out(created: NewSubscription) -> NewSubscriptionOut:
    return NewSubscriptionOut(**subscription_out(created.subscription).__dict__, secret=created.secret)


def replay_out(record: ReplayRecord) -> ReplayOut:
    return ReplayOut(**{**record.__dict__, "status": record.status.value})


@router.post(
    "/2025-07/webhook",
    status_code=201,
    response_model=NewSubscriptionOut,
    responses=ERRORS,
    summary="Subscribe to events",
)
def subscribe(
    body: SubscriptionIn,
    principal: Principal = Depends(requires(Scope.RETURNS_WRITE)),
    db: Database = Depends(get_db),
) -> NewSubscriptionOut:
    created = service.add_subscription(db, principal, body.url, body.topics, body.description)
    return new_subscription_out(created)


@router.get(
    "/2025-07/webhook", response_model=list[SubscriptionOut], responses=ERRORS, summary="List subscriptions"
)
def list_subscriptions(
    principal: Principal = Depends(requires(Scope.RETURNS_READ)), db: Database = Depends(get_db)
) -> list[SubscriptionOut]:
    return [subscription_out(r) for r in service.list_subscriptions(db, principal)]


@router.get(
    "/2025-07/webhook/{id}", response_model=SubscriptionOut, responses=ERRORS, summary="Get a subscription"
)
def get_subscription(
    id: int = SubscriptionId,
    principal: Principal = Depends(requires(Scope.RETURNS_READ)),
    db: Database = Depends(get_db),
) -> SubscriptionOut:
    return subscription_out(service.get_subscription(db, principal, id))


@router.delete("/2025-07/webhook/{id}", status_code=204, responses=ERRORS, summary="Unsubscribe")
def unsubscribe(
    id: int = SubscriptionId,
    principal: Principal = Depends(requires(Scope.RETURNS_WRITE)),
    db: Database = Depends(get_db),
) -> Response:
    service.remove_subscription(db, principal, id)
    return Response(status_code=204)


@router.get(
    "/2025-07/webhook/{id}/deliveries",
    response_model=list[AttemptRecord],
    responses=ERRORS,
    summary="Delivery log: every attempt, newest first",
    description="`event_id` is the `webhook-id` sent, the same on every attempt of one event (and on "
    "a replay); `delivery_status` is pending (will retry), delivered or failed; `delivery_id` names "
    "the delivery to replay.",
)
def deliveries(
    id: int = SubscriptionId,
    limit: int = Query(50, alias="Limit", ge=1, le=service.LOG_LIMIT_MAX),
    before: int | None = Query(
        None, alias="Before", ge=0, le=INT32_MAX, description="attempt id to page back from"
    ),
    principal: Principal = Depends(requires(Scope.RETURNS_READ)),
    db: Database = Depends(get_db),
) -> list[AttemptRecord]:
    return service.delivery_log(db, principal, id, limit, before)


@router.post(
    "/2025-07/webhook/{id}/deliveries/{delivery_id}/replay",
    status_code=202,
    response_model=ReplayOut,
    responses={**ERRORS, 422: {"model": shipbob_schemas.ApiError, "description": "Delivery still pending"}},
    summary="Send a delivered (or given-up) event again, with the same webhook-id",
)
def replay(
    id: int = SubscriptionId,
    delivery_id: int = DeliveryId,
    principal: Principal = Depends(requires(Scope.RETURNS_WRITE)),
    db: Database = Depends(get_db),
) -> ReplayOut:
    return replay_out(service.replay_delivery(db, principal, id, delivery_id))
