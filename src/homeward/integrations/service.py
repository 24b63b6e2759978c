"""Returns created on AfterShip or Loop become Homeward returns through the one create-return
service (returns.service.create_return_in): this module only finds the order, shipment and items
the platform names. Every webhook received is recorded for the merchant, refusals with the reason."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from homeward.auth.domain import Principal, Scope
from homeward.catalog.models import Product
from homeward.db import Database
from homeward.integrations.domain import InboundReturn, Outcome, Platform, parse, signature_matches
from homeward.integrations.models import IntegrationEvent, MerchantIntegration
from homeward.kit.clock import utcnow
from homeward.kit.errors import (
    FieldError,
    HomewardError,
    InvalidInput,
    NotFound,
    RuleViolation,
    Unauthenticated,
)
from homeward.kit.sealed import seal, unseal
from homeward.orders.models import Order, Shipment
from homeward.returns import repository as returns_repository
from homeward.returns.domain import ReturnLine, ReturnRequest
from homeward.returns.models import ReturnOrder
from homeward.returns.service import channel_for_order, create_return_in
from homeward.tenants.models import Merchant

SECRET_MAX = 200
LOG_LIMIT_MAX = 250


@dataclass(frozen=True)
class IntegrationRecord:
    platform: Platform
    merchant_key: str
    created_at: datetime

    @property
    def path(self) -> str:
        return f"/integrations/{self.platform.value}/{self.merchant_key}"


@dataclass(frozen=True)
class Received:
    outcome: Outcome
    return_id: int | None = None
    reference_id: str | None = None


@dataclass(frozen=True)
class EventRecord:
    id: int
    platform: str
    external_id: str
    rma: str | None
    outcome: str
    reason: str | None
    return_id: int | None
    received_at: datetime


def configure(db: Database, merchant_id: int, platform: Platform, secret: str) -> IntegrationRecord:
    """Store the platform's webhook secret; the merchant key (the URL path) is made once and kept."""
    if not secret or len(secret) > SECRET_MAX or not secret.isprintable():
        raise InvalidInput(
            "The webhook secret is not valid",
            [FieldError("secret", f"1 to {SECRET_MAX} printable characters")],
        )
    with db.write() as session:
        if session.get(Merchant, merchant_id) is None:
            raise NotFound(f"Merchant {merchant_id} was not found")
        row = session.scalar(
            select(MerchantIntegration).where(
                MerchantIntegration.merchant_id == merchant_id, MerchantIntegration.platform == platform.value
            )
        )
        if row is None:
            row = MerchantIntegration(
                merchant_id=merchant_id,
                platform=platform.value,
                merchant_key=secrets.token_urlsafe(24),
                created_at=utcnow(),
            )
            session.add(row)
        row.secret = seal(secret)
        session.flush()
        return IntegrationRecord(Platform(row.platform), row.merchant_key, row.created_at)


def list_integrations(db: Database, merchant_id: int) -> list[IntegrationRecord]:
    with db.read() as session:
        rows = session.scalars(
            select(MerchantIntegration)
            .where(MerchantIntegration.merchant_id == merchant_id)
            .order_by(MerchantIntegration.platform)
        )
        return [IntegrationRecord(Platform(r.platform), r.merchant_key, r.created_at) for r in rows]


def receive(
    db: Database, platform: Platform, merchant_key: str, body: bytes, signature: str | None
) -> Received:
    """Verify, read and store one webhook; raises (and records) when it cannot be stored."""
    with db.read() as session:
        integration = session.scalar(
            select(MerchantIntegration).where(
                MerchantIntegration.merchant_key == merchant_key,
                MerchantIntegration.platform == platform.value,
            )
        )
        if integration is None:
            raise NotFound(f"No {platform.value} integration has this key")
        merchant_id, secret = integration.merchant_id, unseal(integration.secret)
    if not signature_matches(secret, body, signature):
        # Not recorded: anyone can post here, and only signed webhooks are the merchant's business.
        raise Unauthenticated("The webhook signature does not match the configured secret")
    try:
        inbound = parse(platform, json.loads(body))
    except ValueError:
        error = InvalidInput("The webhook body is not JSON", [FieldError("body", "must be a JSON object")])
        _record_refusal(db, merchant_id, platform, "", None, error)
        raise error from None
    except InvalidInput as error:
        _record_refusal(db, merchant_id, platform, "", None, error)
        raise
    if not inbound.is_creation:
        _record(db, merchant_id, inbound, Outcome.IGNORED, reason=f"event {inbound.event!r} creates nothing")
        return Received(Outcome.IGNORED)
    try:
        return _create(db, merchant_id, inbound)
    except HomewardError as error:
        _record_refusal(db, merchant_id, platform, inbound.external_id, inbound.rma, error)
        raise


def _create(db: Database, merchant_id: int, inbound: InboundReturn) -> Received:
    for _ in range(2):
        with db.write() as session:
            earlier = _existing(session, merchant_id, inbound)
            if earlier is not None:
                _add_event(session, merchant_id, inbound, Outcome.DUPLICATE, earlier.id)
                return Received(Outcome.DUPLICATE, earlier.id, earlier.reference_id)
            try:
                row = _create_in(session, merchant_id, inbound)
            except RuleViolation as exc:
                if any(e.field == "reference_id" for e in exc.errors) and _reference_taken(
                    session, merchant_id, inbound
                ):
                    continue  # a concurrent replay of the same webhook won: answer as a duplicate
                raise
            _add_event(session, merchant_id, inbound, Outcome.CREATED, row.id)
            return Received(Outcome.CREATED, row.id, row.reference_id)
    raise RuleViolation("The return could not be stored; please retry")


def _existing(session: Session, merchant_id: int, inbound: InboundReturn) -> ReturnOrder | None:
    """The return this platform return already became (a replayed webhook)."""
    return session.scalar(
        select(ReturnOrder).where(
            ReturnOrder.merchant_id == merchant_id, ReturnOrder.reference_id == inbound.rma
        )
    )


def _reference_taken(session: Session, merchant_id: int, inbound: InboundReturn) -> bool:
    session.rollback()
    return returns_repository.reference_taken(session, merchant_id, inbound.rma, excluding=None)


def _create_in(session: Session, merchant_id: int, inbound: InboundReturn) -> ReturnOrder:
    shipments = list(
        session.scalars(
            select(Shipment)
            .join(Order, Order.id == Shipment.order_id)
            .where(Order.merchant_id == merchant_id, Order.store_order_id.in_(inbound.order_names))
            .order_by(Shipment.id)
        )
    )
    if not shipments:
        raise RuleViolation(
            "The order is not known to Homeward",
            [FieldError("order", f"no order {inbound.order_names[0]!r} was imported for this merchant")],
        )
    products = {
        p.sku: p.id
        for p in session.scalars(
            select(Product).where(
                Product.merchant_id == merchant_id, Product.sku.in_([i.sku for i in inbound.items])
            )
        )
    }
    unknown = [i.sku for i in inbound.items if i.sku not in products]
    if unknown:
        raise RuleViolation(
            "An item is not known to Homeward",
            [FieldError("items", f"no product with SKU {sku!r} for this merchant") for sku in unknown],
        )
    wanted = {products[i.sku] for i in inbound.items}
    shipment = next((s for s in shipments if wanted <= {line.inventory_id for line in s.lines}), None)
    if shipment is None:
        raise RuleViolation(
            "An item is not on the order",
            [
                FieldError(
                    "items", f"order {inbound.order_names[0]!r} has no shipment holding every item returned"
                )
            ],
        )
    request = ReturnRequest(
        reference_id=inbound.rma,
        fulfillment_center_id=shipment.fulfillment_center_id,
        lines=tuple(ReturnLine(inventory_id=products[i.sku], quantity=i.quantity) for i in inbound.items),
        original_shipment_id=shipment.id,
        tracking_number=inbound.tracking_number,
    )
    channel_id = channel_for_order(session, merchant_id, shipment.order.channel_id)
    if channel_id is None:
        raise RuleViolation("This merchant has no channel to file the return under")
    merchant = Principal(token_id=0, merchant_id=merchant_id, scopes=frozenset({Scope.RETURNS_WRITE}))
    return create_return_in(session, merchant, channel_id, request)


def _add_event(
    session: Session,
    merchant_id: int,
    inbound: InboundReturn,
    outcome: Outcome,
    return_id: int | None = None,
    reason: str | None = None,
) -> None:
    session.add(
        IntegrationEvent(
            merchant_id=merchant_id,
            platform=inbound.platform.value,
            external_id=inbound.external_id[:100],
            rma=inbound.rma[:50],
            outcome=outcome.value,
            reason=reason,
            return_id=return_id,
            received_at=utcnow(),
        )
    )


def _record(db: Database, merchant_id: int, inbound: InboundReturn, outcome: Outcome, reason: str) -> None:
    with db.write() as session:
        _add_event(session, merchant_id, inbound, outcome, reason=reason)


def _record_refusal(
    db: Database,
    merchant_id: int,
    platform: Platform,
    external_id: str,
    rma: str | None,
    error: HomewardError,
) -> None:
    reason = "; ".join([error.message, *(str(e) for e in error.errors)])[:2000]
    with db.write() as session:
        session.add(
            IntegrationEvent(
                merchant_id=merchant_id,
                platform=platform.value,
                external_id=external_id[:100],
                rma=rma[:50] if rma else None,
                outcome=Outcome.REFUSED.value,
                reason=reason,
                received_at=utcnow(),
            )
        )


def events(
    db: Database, principal: Principal, limit: int = 50, before: int | None = None
) -> list[EventRecord]:
    """What the platforms sent this merchant, newest first."""
    principal.require(Scope.RETURNS_READ)
    with db.read() as session:
        query = (
            select(IntegrationEvent)
            .where(IntegrationEvent.merchant_id == principal.merchant_id)
            .order_by(IntegrationEvent.id.desc())
            .limit(min(max(limit, 1), LOG_LIMIT_MAX))
        )
        if before is not None:
            query = query.where(IntegrationEvent.id < before)
        return [
            EventRecord(
                id=r.id,
                platform=r.platform,
                external_id=r.external_id,
                rma=r.rma,
                outcome=r.outcome,
                reason=r.reason,
                return_id=r.return_id,
                received_at=r.received_at,
            )
            for r in session.scalars(query)
        ]
