"""Label use cases. Each public function is one transaction; a refused label changes nothing.

Creating a return with a label is one transaction (returns.service.create_return_in + the label),
so a refused label leaves no return behind and buys nothing.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from homeward.auth.domain import Principal, Scope
from homeward.catalog.models import FulfillmentCenter, Product
from homeward.db import Database, DriverRead
from homeward.events.domain import Topic
from homeward.events.outbox import record_return_event
from homeward.kit.clock import utcnow
from homeward.kit.errors import FieldError, InvalidInput, NotFound, RuleViolation
from homeward.kit.orm import in_ids
from homeward.kit.pagination import FIRST, Cursor, Page
from homeward.labels import domain
from homeward.labels.carriers.rate_card import RateCardCarrier, carriers_of
from homeward.labels.domain import Address, LabelRequest, LabelType, Parcel, ParcelItem, Quote
from homeward.labels.models import RateCardFile, ReturnLabel
from homeward.labels.pdf import LabelContent, render_label
from homeward.labels.rate_file import RateCard, cached_rate_card, parse_rate_file
from homeward.labels.records import LabelFile, LabelledReturn, LabelRecord, to_label_record
from homeward.orders.models import Shipment
from homeward.returns import read_model, repository
from homeward.returns import service as returns
from homeward.returns.domain import ReturnRequest, ensure_changeable
from homeward.returns.listing import ReturnFilter
from homeward.returns.models import ReturnOrder, ReturnTransaction


def create_return(
    db: Database,
    principal: Principal,
    channel_id: int | None,
    request: ReturnRequest,
    label: LabelRequest | None = None,
) -> LabelledReturn:
    """Create a return and, when asked, its label: both or neither."""
    principal.require(Scope.RETURNS_WRITE)
    if label is None:  # the usual API create: the batch-of-one path, which reads nothing back
        return LabelledReturn(returns.create_return(db, principal, channel_id, request), None)
    with db.write() as session:
        row = returns.create_return_in(session, principal, channel_id, request)
        label_row = _give_label(session, row, label, prefix="label.")
        return LabelledReturn(returns.record_of(session, row), to_label_record(label_row))


def request_label(
    db: Database, principal: Principal, channel_id: int | None, return_id: int, label: LabelRequest
) -> tuple[LabelledReturn, bool]:
    """Buy a label for an existing return; (result, True) when a label was bought just now.

    The return row is locked first, so parallel requests for one return buy one label.
    """
    principal.require(Scope.RETURNS_WRITE)
    with db.write() as session:
        returns.writable_channel(session, principal, channel_id)
        row = repository.get(session, principal.merchant_id, return_id, for_update=True)
        if row is None:
            raise NotFound(f"Return {return_id} was not found")
        existing = _label_of(session, row.id)
        if existing is not None and LabelType(existing.label_type).is_purchased:
            return LabelledReturn(returns.record_of(session, row), _record(existing)), False
        if not label.type.is_purchased:
            raise RuleViolation(
                "A Prepaid label is not bought",
                [
                    FieldError(
                        "type",
                        "Prepaid buys no label: the customer ships on your own label; add its tracking "
                        f"number with PUT /2025-07/return/{return_id}",
                    )
                ],
            )
        ensure_changeable(row.status_enum, "given a label")
        label_row = _give_label(session, row, label, prefix="")
        bought = LabelType(label_row.label_type).is_purchased
        if bought:  # the return now has a label and its tracking number
            record_return_event(session, row.merchant_id, Topic.RETURN_UPDATED, row.id, utcnow())
        return LabelledReturn(returns.record_of(session, row), _record(label_row)), bought


def modify_return(
    db: Database, principal: Principal, channel_id: int | None, return_id: int, request: ReturnRequest
) -> LabelledReturn:
    """returns.service.modify_return_in, keeping a bought label's tracking number and destination.

    The label is read in the same transaction as the change, once the return is locked, so a
    label bought by a concurrent request is either seen here or bought after this change.
    """
    principal.require(Scope.RETURNS_WRITE)
    with db.write() as session:
        label: ReturnLabel | None = None

        def keep_bought_label(row: ReturnOrder, request: ReturnRequest) -> ReturnRequest:
            nonlocal label
            label = _label_of(session, row.id)
            if label is None or label.tracking_number is None:
                return request
            keep = domain.check_modification(
                label_tracking=label.tracking_number,
                label_fulfillment_center_id=row.fulfillment_center_id,
                fulfillment_center_id=request.fulfillment_center_id,
                tracking_number=request.tracking_number,
            )
            return replace(request, tracking_number=keep)

        row = returns.modify_return_in(session, principal, channel_id, return_id, request, keep_bought_label)
        return LabelledReturn(returns.record_of(session, row), _record(label))


def cancel_return(
    db: Database, principal: Principal, channel_id: int | None, return_id: int
) -> LabelledReturn:
    """returns.service.cancel_return_in, answered with the return's label (a bought label stays bought)."""
    principal.require(Scope.RETURNS_WRITE)
    with db.write() as session:
        row = returns.cancel_return_in(session, principal, channel_id, return_id)
        return LabelledReturn(returns.record_of(session, row), _record(_label_of(session, row.id)))


def get_return(db: Database, principal: Principal, channel_id: int | None, return_id: int) -> LabelledReturn:
    principal.require(Scope.RETURNS_READ)
    with db.read() as session:
        record = returns.get_record_in(session, principal, channel_id, return_id)
        return LabelledReturn(record, _labels_in(session, principal.merchant_id, [record.id]).get(record.id))


def list_returns(
    db: Database,
    principal: Principal,
    channel_id: int | None,
    filters: ReturnFilter,
    cursor: Cursor,
    limit: int,
) -> Page[LabelledReturn]:
    """A keyset page of returns, each with its label, read in one transaction: the labels come
    outer-joined to the page's own query (one round trip fewer than reading them after)."""
    principal.require(Scope.RETURNS_READ)
    with db.read() as session:
        page = returns.list_page_in(session, principal, channel_id, filters, cursor, limit, _with_label)
        return Page(
            items=[LabelledReturn(record, _label_beside(head)) for record, head in page.items],
            next=page.next,
            prev=page.prev,
        )


def labelled_in(session: Session, merchant_id: int, return_ids: list[int]) -> dict[int, LabelledReturn]:
    """Some of the merchant's returns with their labels, by id, inside the caller's transaction
    (what webhook payloads carry: the return as GET /2025-07/return/{id} shows it)."""
    if not return_ids:
        return {}
    wanted = ReturnFilter(ids=tuple(sorted(set(return_ids))), newest_first=False)
    # The ids bound the rows; a limit rounded up to a power of two keeps the statements few.
    limit = 1 << (len(wanted.ids) - 1).bit_length()
    found = read_model.page_rows(session, merchant_id, wanted, FIRST, limit, _with_label)
    return {record.id: LabelledReturn(record, _label_beside(head)) for record, head in found}


# A label's columns, named as to_label_record reads them; a page's head rows carry them last.
_LABEL_FIELDS = (
    "return_id",
    "label_type",
    "requested_type",
    "fallback_reason",
    "carrier",
    "service",
    "tracking_number",
    "cost",
    "weight_kg",
    "zone",
    "rate_card_version",
)
_LabelBeside = namedtuple("_LabelBeside", _LABEL_FIELDS)  # type: ignore[misc]  # built from a tuple


def _with_label(query: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    """A page's head query with each return's label beside it (outer-joined: one label per return
    at most, so still one row per return), its columns last as `label_<name>`."""
    table = ReturnLabel.__table__
    return query.outerjoin(table, table.c.return_id == ReturnOrder.id).add_columns(
        *(table.c[name].label(f"label_{name}") for name in _LABEL_FIELDS)
    )


def _label_beside(head: Any) -> LabelRecord | None:
    """The label a head row of _with_label carries, or None when the return has none."""
    label: Any = _LabelBeside._make(head[-len(_LABEL_FIELDS) :])
    return None if label.return_id is None else to_label_record(label)


def _labels_in(session: Session, merchant_id: int, return_ids: list[int]) -> dict[int, LabelRecord]:
    """Labels of some of the merchant's returns, by return id."""
    if not return_ids:
        return {}
    connection = session.connection()
    rows = _labels_query(connection.dialect.name).named(
        connection, {"ids": return_ids, "merchant": merchant_id}
    )
    return {r.return_id: to_label_record(r) for r in rows}


@cache
def _labels_query(dialect: str) -> DriverRead:
    """Every label column but the PDF, for a batch of returns (`ids`) of one merchant: read on
    every list and GET, so handed to the driver (db.DriverRead)."""
    return DriverRead(
        select(*(c for c in ReturnLabel.__table__.c if c.key != "pdf"))
        .join(ReturnOrder, ReturnOrder.id == ReturnLabel.return_id)
        .where(in_ids(ReturnLabel.return_id, dialect), ReturnOrder.merchant_id == bindparam("merchant"))
    )


def label_pdf(db: Database, principal: Principal, channel_id: int | None, return_id: int) -> LabelFile:
    principal.require(Scope.RETURNS_READ)
    with db.read() as session:
        returns.readable_channel(session, principal, channel_id)
        row = repository.get(session, principal.merchant_id, return_id)
        if row is None:
            raise NotFound(f"Return {return_id} was not found")
        label = _label_of(session, row.id)
        if label is None or label.pdf is None:
            why = f" ({label.fallback_reason})" if label is not None and label.fallback_reason else ""
            raise NotFound(
                f"Return {return_id} has a Prepaid label{why}: Homeward bought no label, so there is no "
                "label file; the customer ships on the merchant's own label"
            )
        return LabelFile(f"return-{row.id}-{row.reference_id}.pdf", label.pdf)


# --- a return being drafted (the dashboard's label step) -------------------------------------------


@dataclass(frozen=True)
class LabelOptions:
    """What the label types would do for a return not created yet, judged by the same rules."""

    weight_kg: Decimal
    refusals: tuple[FieldError, ...]  # why no label can be bought for it (empty: one can)
    fallback_reason: str | None  # carriers will not take it: a purchased label stays Prepaid
    quotes: tuple[Quote, ...]  # every carrier service: its price, or why it may not carry the parcel
    cheapest: Quote | None  # what Optimized would buy

    @property
    def purchasable(self) -> bool:
        return not self.refusals


@dataclass(frozen=True)
class LabelVerdict:
    """A label judged for a drafted return: the choices, and what this label would meet."""

    options: LabelOptions
    errors: list[FieldError]  # what creating the return with this label would refuse
    quote: Quote | None  # what it would buy (None: Prepaid, a fallback, or refused)


def judge_label(
    db: Database, principal: Principal, request: ReturnRequest, label: LabelRequest | None = None
) -> LabelVerdict:
    """The label choices for a drafted return (Prepaid always; purchased ones unless a rule refuses),
    and, for `label`, what creating the return with it would refuse (create_return's label rules).
    Nothing is created or bought; a label that would fall back to Prepaid is not refused."""
    principal.require(Scope.RETURNS_WRITE)
    with db.read() as session:
        facts = _draft_facts(session, principal, request)
        weight = sum((i.weight_kg * i.quantity for i in facts.items), Decimal("0"))
        if facts.center is None:
            missing = FieldError("fulfillment_center.id", "choose an existing fulfillment center first")
            purchased = label is not None and label.type.is_purchased
            return LabelVerdict(
                LabelOptions(weight, (missing,), None, (), None), [missing] if purchased else [], None
            )
        card = _rate_card(session)

        def errors_of(wanted: LabelRequest) -> tuple[list[FieldError], _Decision | None]:
            try:
                decision = _decide(
                    session,
                    wanted,
                    facts,
                    reference_id=request.reference_id,
                    tracking_number=request.tracking_number,
                    prefix="label.",
                    card=card,
                )
            except RuleViolation as exc:
                return list(exc.errors), None
            return [], decision

        quotes: tuple[Quote, ...] = ()
        if facts.customer is not None:
            parcel = Parcel(facts.items, origin=facts.customer, destination=facts.center)
            quotes = tuple(
                replace(q, refusal=domain.service_refusal(q, weight))
                for carrier in carriers_of(card)
                for q in carrier.quote(parcel)
            )
        refusals, optimized = errors_of(LabelRequest(LabelType.OPTIMIZED))
        options = LabelOptions(
            weight,
            tuple(refusals),
            optimized.fallback_reason if optimized else None,
            quotes,
            optimized.quote if optimized else None,
        )
        if label is None or not label.type.is_purchased:
            return LabelVerdict(options, [], None)
        errors, decision = errors_of(label)
        return LabelVerdict(options, errors, decision.quote if decision else None)


def label_options(db: Database, principal: Principal, request: ReturnRequest) -> LabelOptions:
    return judge_label(db, principal, request).options


def check_label(
    db: Database, principal: Principal, request: ReturnRequest, label: LabelRequest
) -> list[FieldError]:
    return judge_label(db, principal, request, label).errors


def _draft_facts(session: Session, principal: Principal, request: ReturnRequest) -> _ParcelFacts:
    return _parcel_facts(
        session,
        [(line.inventory_id, line.expected_units) for line in request.lines],
        request.original_shipment_id,
        request.fulfillment_center_id,
        merchant_id=principal.merchant_id,
    )


# --- rate cards -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateCardSummary:
    version: str
    carriers: dict[str, list[str]]  # carrier -> its services
    loaded: bool  # False: this exact file was already the loaded version


def load_rate_card(db: Database, text: str) -> RateCardSummary:
    """Validate a rate file fully and make it the one that prices new labels; a bad file changes nothing."""
    card = parse_rate_file(text)
    with db.write() as session:
        same = session.scalars(select(RateCardFile).where(RateCardFile.version == card.version)).first()
        if same is not None:
            if parse_rate_file(same.content) != card:
                raise InvalidInput(
                    f"Rate card version {card.version!r} is already loaded with other rates",
                    [FieldError("version", f"{card.version!r} is taken; give changed rates a new version")],
                )
            if same.id == _newest(session).id:  # type: ignore[union-attr]
                return _summary(card, loaded=False)
            session.delete(same)  # an older version made current again: move it to the top
            session.flush()
        session.add(RateCardFile(version=card.version, content=text, loaded_at=utcnow()))
        try:
            session.flush()
        except IntegrityError as exc:  # a concurrent load of the same version won
            raise InvalidInput(
                f"Rate card version {card.version!r} was loaded concurrently",
                [FieldError("version", "was just loaded by someone else")],
            ) from exc
        return _summary(card, loaded=True)


def ensure_default_rate_card(db: Database) -> RateCardSummary | None:
    """Load the packaged rate file when none is loaded (on migrate and demo data)."""
    with db.read() as session:
        if _newest(session) is not None:
            return None
    try:
        return load_rate_card(db, default_rate_file())
    except InvalidInput:
        return None  # another process loaded one meanwhile


def current_rate_card(db: Database) -> RateCardSummary:
    with db.read() as session:
        return _summary(_rate_card(session), loaded=True)


def default_rate_file() -> str:
    return (files("homeward.labels") / "default_rates.json").read_text(encoding="utf-8")


def _newest(session: Session) -> RateCardFile | None:
    return session.scalars(select(RateCardFile).order_by(RateCardFile.id.desc()).limit(1)).first()


def _rate_card(session: Session) -> RateCard:
    """The newest loaded card; the packaged one if an operator never loaded any."""
    newest = _newest(session)
    return cached_rate_card(newest.content if newest is not None else default_rate_file())


def _summary(card: RateCard, *, loaded: bool) -> RateCardSummary:
    return RateCardSummary(
        card.version, {c.code: [s.code for s in c.services] for c in card.carriers}, loaded
    )


# --- helpers ----------------------------------------------------------------------------------------


def _give_label(session: Session, row: ReturnOrder, request: LabelRequest, *, prefix: str) -> ReturnLabel:
    """Attach the requested label to a return inside the caller's transaction, buying it if need be."""
    now = utcnow()
    label = _label_of(session, row.id) or ReturnLabel(return_id=row.id, created_at=now)
    label.requested_type = request.type.value
    label.label_type = LabelType.PREPAID.value
    label.updated_at = now
    session.add(label)
    if not request.type.is_purchased:
        session.flush()
        return label

    facts = _parcel_facts(
        session,
        [(item.inventory_id, item.quantity) for item in row.items],
        row.original_shipment_id,
        row.fulfillment_center_id,
    )
    assert facts.center is not None, "a return's fulfillment center exists (foreign key)"
    decision = _decide(
        session,
        request,
        facts,
        reference_id=row.reference_id,
        tracking_number=row.tracking_number,
        prefix=prefix,
    )
    parcel = decision.parcel
    label.weight_kg = parcel.weight_kg
    if decision.fallback_reason is not None:
        # Seed 000: such labels fail; the return stays Prepaid and says why.
        label.fallback_reason = decision.fallback_reason
        session.flush()
        return label

    assert decision.quote is not None and decision.carrier is not None
    bought = decision.carrier.buy(decision.quote, parcel, serial=row.id)
    label.label_type = request.type.value
    label.fallback_reason = None
    label.carrier, label.service = bought.carrier, bought.service
    label.tracking_number, label.cost, label.zone = bought.tracking_number, bought.amount, bought.zone
    label.rate_card_version = decision.rate_card_version
    label.pdf = render_label(
        LabelContent(
            reference_id=row.reference_id,
            tracking_number=bought.tracking_number,
            carrier_name=bought.carrier_name,
            service_name=bought.service_name,
            origin=parcel.origin,
            destination=parcel.destination,
            weight_kg=parcel.weight_kg,
            zone=bought.zone,
            created_at=now,
        )
    )
    # The warehouse scans this tracking number on arrival; the cost is invoiced with the return.
    row.tracking_number = bought.tracking_number
    row.transactions.append(ReturnTransaction(transaction_type=domain.LABEL_INVOICE, amount=bought.amount))
    row.updated_at = now
    session.flush()
    return label


@dataclass(frozen=True)
class _ParcelFacts:
    """What the label rules judge: the items, where they come from and where they go."""

    items: tuple[ParcelItem, ...]
    customer: Address | None  # None: no original shipment of this merchant
    center: Address | None  # None: no such fulfillment center


@dataclass(frozen=True)
class _Decision:
    """A purchase the rules allow: the quote to buy, or why carriers will not take it (fallback)."""

    parcel: Parcel
    fallback_reason: str | None = None
    quote: Quote | None = None
    carrier: RateCardCarrier | None = None
    rate_card_version: str | None = None


def _parcel_facts(
    session: Session,
    units: list[tuple[int, int]],
    shipment_id: int | None,
    fulfillment_center_id: int,
    merchant_id: int | None = None,
) -> _ParcelFacts:
    """The facts for (inventory id, quantity) pairs; `merchant_id` limits products and shipment to it."""
    query = (
        select(Product)
        .where(Product.id.in_({inventory_id for inventory_id, _ in units}))
        .options(lazyload(Product.components))  # not needed to weigh a parcel
    )
    if merchant_id is not None:
        query = query.where(Product.merchant_id == merchant_id)
    products = {p.id: p for p in session.scalars(query)}
    items = tuple(
        ParcelItem(
            inventory_id=inventory_id,
            name=products[inventory_id].name,
            quantity=quantity,
            weight_kg=products[inventory_id].weight_kg,
            dangerous_goods=products[inventory_id].dangerous_goods
            or products[inventory_id].ineligible_category == "hazardous_materials",
        )
        for inventory_id, quantity in units
        if inventory_id in products
    )
    shipment = session.get(Shipment, shipment_id) if shipment_id is not None else None
    if shipment is not None and merchant_id is not None and shipment.merchant_id != merchant_id:
        shipment = None
    fc = session.get(FulfillmentCenter, fulfillment_center_id)
    center = (
        Address(fc.name, fc.address1, fc.address2, fc.city, fc.state, fc.zip_code, fc.country) if fc else None
    )
    return _ParcelFacts(items, _customer_address(shipment) if shipment is not None else None, center)


def _decide(
    session: Session,
    request: LabelRequest,
    facts: _ParcelFacts,
    *,
    reference_id: str,
    tracking_number: str | None,
    prefix: str,
    card: RateCard | None = None,
) -> _Decision:
    """Judge a purchased label by the rules, then find the quote to buy; RuleViolation when refused."""
    assert facts.center is not None
    domain.check_purchase(
        request,
        parcel_items=facts.items,
        customer=facts.customer,
        fulfillment_center=facts.center,
        reference_id=reference_id,
        tracking_number=tracking_number,
        prefix=prefix,
    )
    assert facts.customer is not None  # check_purchase refuses a label without one
    parcel = Parcel(facts.items, origin=facts.customer, destination=facts.center)
    refusal = domain.pickup_refusal(facts.customer)
    if refusal is not None:
        return _Decision(parcel, fallback_reason=refusal)
    card = card or _rate_card(session)
    carriers = {c.code: c for c in carriers_of(card)}
    quotes = [q for carrier in carriers.values() for q in carrier.quote(parcel)]
    chosen = domain.choose_quote(request, quotes, parcel.weight_kg, prefix)
    return _Decision(parcel, quote=chosen, carrier=carriers[chosen.carrier], rate_card_version=card.version)


def _customer_address(shipment: Shipment) -> Address:
    return Address(
        shipment.recipient_name,
        shipment.address1,
        shipment.address2,
        shipment.city,
        shipment.state,
        shipment.zip_code,
        shipment.country,
    )


def _label_of(session: Session, return_id: int) -> ReturnLabel | None:
    return session.scalars(select(ReturnLabel).where(ReturnLabel.return_id == return_id)).first()


def _record(row: ReturnLabel | None) -> LabelRecord | None:
    return to_label_record(row) if row is not None else None
