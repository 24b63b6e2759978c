"""Return use cases. Each public function is one transaction; doors call these and nothing deeper."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached, object_session

from homeward.auth.domain import Principal, Scope
from homeward.catalog.domain import ReturnAction, ReturnPreference
from homeward.catalog.models import BundleComponent, Product
from homeward.db import Database, DriverRead, pipelined
from homeward.events.domain import STATUS_TOPICS, Topic
from homeward.events.outbox import record_return_event, record_return_events, return_event_row
from homeward.kit.clock import utcnow
from homeward.kit.errors import FieldError, Forbidden, InvalidInput, NotFound, RuleViolation
from homeward.kit.pagination import Cursor, Page, paginate
from homeward.orders.models import Shipment
from homeward.returns import domain, order_items, read_model, repository
from homeward.returns.domain import ReturnLine, ReturnRequest, ReturnStatus, ReturnType
from homeward.returns.listing import ReturnFilter
from homeward.returns.models import ReturnedUnit, ReturnItem, ReturnOrder, ReturnStatusEvent
from homeward.returns.order_items import OrderItemFacts, OrderItemReturn
from homeward.returns.records import ReturnRecord, StatusEventRecord, build_record, to_record
from homeward.tenants.models import Channel


def create_return(
    db: Database, principal: Principal, channel_id: int | None, request: ReturnRequest
) -> ReturnRecord:
    """One return: the batch of one (create_returns), its refusal raised as it is."""
    [outcome] = create_returns(db, principal, channel_id, [request])
    return outcome.unwrap()


@dataclass(frozen=True)
class CreateOutcome:
    """One request of a batch: the return made of it, or why it was refused (nothing of it stored)."""

    index: int
    reference_id: str
    record: ReturnRecord | None = None
    error: RuleViolation | None = None

    def unwrap(self) -> ReturnRecord:
        if self.error is not None:
            raise self.error
        assert self.record is not None, "an outcome holds a record or an error"
        return self.record


def create_returns(
    db: Database,
    principal: Principal,
    channel_id: int | None,
    requests: Sequence[ReturnRequest],
    return_type: ReturnType = ReturnType.REGULAR,
) -> list[CreateOutcome]:
    """Create many returns in one transaction, each judged by the same rules as one alone.

    Per-request results: a refused request (a broken rule, a reference id taken before or earlier in
    the batch) is reported with its errors and the others are stored, as a merchant importing a file
    expects. What concerns the whole call (scope, channel) is raised and stores nothing.
    """
    principal.require(Scope.RETURNS_WRITE)
    # A lone return with no shipment to lock (nor units to claim) is written by one statement
    # (_write_many), so on PostgreSQL it needs no transaction of its own: no BEGIN, no COMMIT.
    alone = len(requests) == 1 and _locks_nothing(requests[0])
    with db.write_at_once() if alone else db.write() as session:
        written = create_many_in(session, principal, channel_id, requests, return_type)
        return [
            CreateOutcome(index, request.reference_id, error=done)
            if isinstance(done, RuleViolation)
            else CreateOutcome(index, request.reference_id, record=done.record())
            for index, (request, done) in enumerate(zip(requests, written, strict=True))
        ]


def _locks_nothing(request: ReturnRequest) -> bool:
    """Whether creating the request writes its return and nothing else (no shipment to lock and
    count units on, no identified units to claim)."""
    return request.original_shipment_id is None and all(line.order_item is None for line in request.lines)


def create_return_in(
    session: Session,
    principal: Principal,
    channel_id: int | None,
    request: ReturnRequest,
    return_type: ReturnType = ReturnType.REGULAR,
) -> ReturnOrder:
    """Create a return inside the caller's transaction, for use cases that do more in the same one."""
    [done] = create_many_in(session, principal, channel_id, [request], return_type)
    if isinstance(done, RuleViolation):
        raise done
    return done.attach(session)


@dataclass(frozen=True)
class Written:
    """A return just inserted, as the values written (nothing is read back)."""

    head: dict[str, Any]
    items: list[dict[str, Any]]
    names: tuple[str, str, str]  # channel, fulfillment center, merchant

    def record(self) -> ReturnRecord:
        channel_name, fc_name, merchant_name = self.names
        return build_record(
            SimpleNamespace(**self.head),
            items=[SimpleNamespace(**item) for item in self.items],
            transactions=(),
            inspections=(),
            channel_name=channel_name,
            fc_name=fc_name,
            merchant_name=merchant_name,
        )

    def attach(self, session: Session) -> ReturnOrder:
        """The return as an ORM row of the session, built from the values written: no query."""
        items = [ReturnItem(**item) for item in self.items]
        # A new return has none of either; saying so spares lazy loads when it is read back.
        row = ReturnOrder(**self.head, items=items, transactions=[], inspections=[])
        for obj in (*items, row):
            make_transient_to_detached(obj)  # as if just loaded: nothing left to flush
        session.add(row)
        return row


def create_many_in(
    session: Session,
    principal: Principal,
    channel_id: int | None,
    requests: Sequence[ReturnRequest],
    return_type: ReturnType = ReturnType.REGULAR,
) -> list[Written | RuleViolation]:
    """Judge and insert requests inside the caller's transaction: per request, what was written or
    the rules it broke. The channel must be the caller's (else nothing is done). The facts every
    request needs are read once for the batch (channel, fulfillment centers, reference ids taken,
    then the catalog); a shipment's are read per request, under its lock."""
    merchant_id = principal.merchant_id
    channel_id = _named_channel(channel_id)
    connection = session.connection()
    facts = repository.create_facts(
        connection,
        merchant_id,
        channel_id,
        {r.fulfillment_center_id for r in requests},
        {r.reference_id for r in requests},
        {line.inventory_id for r in requests for line in r.lines},
    )
    _ensure_owner(principal, channel_id, facts.channel_owner)
    catalog = _catalog_of(connection, facts.products)
    centers, taken = facts.centers, facts.taken
    shipments = {r.original_shipment_id for r in requests if r.original_shipment_id is not None}
    if len(shipments) > 1:  # one order of locking for every batch, so two batches never deadlock
        repository.lock_shipments(session, shipments)
    results: list[Written | RuleViolation | None] = [None] * len(requests)
    pending: list[tuple[int, ReturnRequest, _Checked]] = []
    claimed: set[int] = set()  # shipments claimed by pending requests
    for index, request in enumerate(requests):
        if request.original_shipment_id in claimed:
            # The next request's shipment facts must count the units the pending ones claim.
            _write_many(session, merchant_id, facts, channel_id, return_type, pending, results)
            pending, claimed = [], set()
        try:
            checked = _judge(
                session,
                principal,
                request,
                catalog,
                center_exists=request.fulfillment_center_id in centers,
                reference_taken=request.reference_id in taken,
                excluding=None,
            )
        except RuleViolation as exc:
            results[index] = exc
            continue
        taken.add(request.reference_id)
        pending.append((index, request, checked))
        if request.original_shipment_id is not None:
            claimed.add(request.original_shipment_id)
    _write_many(session, merchant_id, facts, channel_id, return_type, pending, results)
    return [result for result in results if result is not None]


def _write_many(
    session: Session,
    merchant_id: int,
    facts: repository.CreateFacts,
    channel_id: int,
    return_type: ReturnType,
    accepted: list[tuple[int, ReturnRequest, _Checked]],
    results: list[Written | RuleViolation | None],
) -> None:
    """Insert accepted requests, a few statements for all; a reference id a concurrent create
    stored since the check refuses its request only."""
    if not accepted:
        return
    now = utcnow()
    status = ReturnStatus.AWAITING_ARRIVAL
    heads = [
        {
            "merchant_id": merchant_id,
            "channel_id": channel_id,
            "return_type": return_type.value,
            "status": status.value,
            "insert_date": now,
            "updated_at": now,
            "completed_date": None,
            **_head_values(request, checked),
        }
        for _, request, checked in accepted
    ]
    connection = session.connection()
    topic = STATUS_TOPICS[status]  # the first history entry and this event come from the same fact
    stored: list[tuple[int, ReturnRequest, Written]] = []
    if len(accepted) == 1 and repository.inserts_at_once(connection):
        # The usual create: the return, its items, history entry and event in one statement.
        [(index, request, checked)], [head] = accepted, heads
        lines = _item_values(request, checked, return_type)
        event = return_event_row(merchant_id, topic, now)
        ids = repository.insert_return_at_once(connection, head, lines, status, now, event)
        if ids is None:
            results[index] = _duplicate_reference(request.reference_id)
            return
        head["id"], item_ids = ids
        for line, item_id in zip(lines, item_ids, strict=True):
            line["return_id"], line["id"] = head["id"], item_id
        stored.append((index, request, Written(head, lines, _names(facts, request))))
    else:
        by_reference = repository.insert_returns(connection, heads)
        for (index, request, checked), head in zip(accepted, heads, strict=True):
            if head["reference_id"] not in by_reference:
                results[index] = _duplicate_reference(request.reference_id)
                continue
            head["id"] = return_id = by_reference[head["reference_id"]]
            items = _item_values(request, checked, return_type)
            lines = [{"return_id": return_id, **item} for item in items]
            stored.append((index, request, Written(head, lines, _names(facts, request))))
        item_rows = [item for _, _, done in stored for item in done.items]
        with pipelined(connection):  # the three need only the returns' ids: sent together, waited for once
            repository.insert_history(connection, [(done.head["id"], status, now) for _, _, done in stored])
            record_return_events(
                connection, [(merchant_id, topic, done.head["id"], now) for *_, done in stored]
            )
            item_ids = repository.insert_items(connection, item_rows)
        for item, item_id in zip(item_rows, item_ids, strict=True):
            item["id"] = item_id
    _claim_units(session, [(request, done) for _, request, done in stored])
    for index, _, done in stored:
        results[index] = done


def _names(facts: repository.CreateFacts, request: ReturnRequest) -> tuple[str, str, str]:
    return facts.channel_name, facts.centers[request.fulfillment_center_id], facts.merchant_name


def check_request(db: Database, principal: Principal, request: ReturnRequest) -> list[FieldError]:
    """Every rule create_return would find this request breaking, without creating anything: how a
    form checks a return step by step before it is submitted. Empty when it would be accepted now."""
    principal.require(Scope.RETURNS_WRITE)
    with db.read() as session:
        try:
            _check(session, principal, request, excluding=None, lock=False)
        except RuleViolation as exc:
            return list(exc.errors)
        return []


def create_order_item_return_in(
    session: Session, principal: Principal, request: OrderItemReturn
) -> ReturnOrder:
    """Create a return named by order items (shipment lines) inside the caller's transaction.

    The items tell the shipment, inventory ids and lots; the return goes to the order's channel
    (else the merchant's first) and, unless told otherwise, to the fulfillment center it left from.
    """
    principal.require(Scope.RETURNS_WRITE)
    facts = repository.order_item_facts(
        session, principal.merchant_id, ids={item.order_item_id for item in request.items}
    )
    origin = order_items.resolve(request, facts)
    lines = tuple(
        ReturnLine(
            inventory_id=facts[item.order_item_id].inventory_id,
            quantity=item.quantity,
            lot_number=facts[item.order_item_id].lot_number,
            order_item=item,
        )
        for item in request.items
    )
    resolved = ReturnRequest(
        reference_id=request.reference_id,
        fulfillment_center_id=origin.fulfillment_center_id,
        lines=lines,
        original_shipment_id=origin.shipment_id,
        refund=request.refund,
        order_id=request.order_id,
        store_order_id=request.store_order_id,
    )
    channel_id = channel_for_order(session, principal.merchant_id, origin.channel_id)
    if channel_id is None:
        raise RuleViolation("This merchant has no channel to file the return under")
    return create_return_in(session, principal, channel_id, resolved)


def order_item_facts(session: Session, principal: Principal, ids: set[int]) -> dict[int, OrderItemFacts]:
    """The caller's order items (shipment lines) by id, for use cases that describe them."""
    return repository.order_item_facts(session, principal.merchant_id, ids=ids)


def get_return_in(session: Session, principal: Principal, return_id: int) -> ReturnOrder:
    """One of the caller's returns inside the caller's transaction; NotFound for anyone else's."""
    principal.require(Scope.RETURNS_READ)
    row = repository.get(session, principal.merchant_id, return_id)
    if row is None:
        raise _not_found(return_id)
    return row


def modify_return_in(
    session: Session,
    principal: Principal,
    channel_id: int | None,
    return_id: int,
    request: ReturnRequest,
    adjust: Callable[[ReturnOrder, ReturnRequest], ReturnRequest] | None = None,
) -> ReturnOrder:
    """Replace a return's details while it is Awaiting Arrival, inside the caller's transaction.

    `adjust` sees the locked return first and may amend the request (labels keep what a bought
    label fixed); it runs before the return's own rules are checked.
    """
    principal.require(Scope.RETURNS_WRITE)
    writable_channel(session, principal, channel_id)
    row = _get_for_update(session, principal, return_id)
    if adjust is not None:
        request = adjust(row, request)
    domain.ensure_changeable(row.status_enum, "modified")
    checked = _check(session, principal, request, excluding=row.id)
    row.items.clear()
    _apply(row, request, checked)
    row.updated_at = utcnow()
    _flush_unique(session, request.reference_id)
    record_return_event(session, row.merchant_id, Topic.RETURN_UPDATED, row.id, row.updated_at)
    return row


def cancel_return(db: Database, principal: Principal, channel_id: int | None, return_id: int) -> ReturnRecord:
    with db.write() as session:
        return record_of(session, cancel_return_in(session, principal, channel_id, return_id))


def cancel_return_in(
    session: Session, principal: Principal, channel_id: int | None, return_id: int
) -> ReturnOrder:
    """Cancel a return while it is Awaiting Arrival, inside the caller's transaction."""
    principal.require(Scope.RETURNS_WRITE)
    writable_channel(session, principal, channel_id)
    row = _get_for_update(session, principal, return_id)
    domain.ensure_changeable(row.status_enum, "cancelled")
    change_status(row, ReturnStatus.CANCELLED)
    session.flush()
    return row


def get_record_in(
    session: Session, principal: Principal, channel_id: int | None, return_id: int
) -> ReturnRecord:
    """One of the caller's returns as a record, inside the caller's transaction."""
    principal.require(Scope.RETURNS_READ)
    readable_channel(session, principal, channel_id)
    found = read_model.record(session, principal.merchant_id, return_id)
    if found is None:
        raise _not_found(return_id)
    return found


def status_history(
    db: Database, principal: Principal, channel_id: int | None, return_id: int
) -> list[StatusEventRecord]:
    principal.require(Scope.RETURNS_READ)
    with db.read() as session:
        readable_channel(session, principal, channel_id)
        row = repository.get(session, principal.merchant_id, return_id)
        if row is None:
            raise _not_found(return_id)
        return [StatusEventRecord(ReturnStatus(e.status), e.occurred_at) for e in row.history]


def list_page_in(
    session: Session,
    principal: Principal,
    channel_id: int | None,
    filters: ReturnFilter,
    cursor: Cursor,
    limit: int,
    widen: read_model.Widen | None = None,
) -> Page[tuple[ReturnRecord, Any]]:
    """A keyset page of the caller's returns inside the caller's transaction, each record beside
    the head row it was read from (with what `widen` added to it: read_model.page_rows)."""
    principal.require(Scope.RETURNS_READ)
    readable_channel(session, principal, channel_id)
    found = read_model.page_rows(session, principal.merchant_id, filters, cursor, limit, widen)
    return paginate(found, cursor, limit, [r.id for r, _ in found])


def status_counts(
    db: Database, principal: Principal, filters: ReturnFilter, cap: int
) -> dict[ReturnStatus, int]:
    """Returns matching `filters` (whatever their statuses) per status, each count stopping at `cap`."""
    principal.require(Scope.RETURNS_READ)
    with db.read() as session:
        return read_model.status_counts(session, principal.merchant_id, filters, cap)


def ensure_photo_of_return(db: Database, principal: Principal, return_id: int, photo_key: str) -> None:
    """Raise NotFound unless the photo was taken while inspecting this return of the caller's."""
    principal.require(Scope.RETURNS_READ)
    with db.read() as session:
        if not repository.photo_of_return(session, principal.merchant_id, return_id, photo_key):
            raise NotFound(f"Return {return_id} has no photo {photo_key[:100]}")


def list_returns_numbered(
    db: Database, principal: Principal, channel_id: int | None, filters: ReturnFilter, page: int, limit: int
) -> tuple[list[ReturnRecord], int]:
    principal.require(Scope.RETURNS_READ)
    with db.read() as session:
        readable_channel(session, principal, channel_id)
        return read_model.numbered_page(session, principal.merchant_id, filters, (page - 1) * limit, limit)


def change_status(row: ReturnOrder, target: ReturnStatus) -> None:
    """The one way a return's status moves: checked, stamped and written to its history."""
    domain.check_transition(row.status_enum, target)
    now = utcnow()
    for column, value in domain.status_columns(target, now).items():
        setattr(row, column, value)
    if target is ReturnStatus.CANCELLED:
        _release_units(row)
    event = ReturnStatusEvent(status=target.value, occurred_at=now)
    session = object_session(row)
    if session is not None:  # the history entry and the outbox event announce the same move
        record_return_event(session, row.merchant_id, STATUS_TOPICS[target], row.id, now)
    if session is not None and row.id is not None and "history" in sa_inspect(row).unloaded:
        # A stored return whose history was not read: add the event without loading the history.
        event.return_id = row.id
        session.add(event)
    else:
        row.history.append(event)


@dataclass(frozen=True)
class StatusMove:
    """A stored return to move, with the status it was locked in."""

    return_id: int
    merchant_id: int
    current: ReturnStatus
    target: ReturnStatus


def move_statuses(session: Session, moves: Sequence[StatusMove]) -> None:
    """change_status for many locked returns at once (batch use cases): the same check, stamp,
    history entry and event, in a few statements. The caller has locked the rows."""
    for move in moves:
        domain.check_transition(move.current, move.target)
    if not moves:
        return
    now = utcnow()
    targets: dict[ReturnStatus, list[int]] = defaultdict(list)
    for move in moves:
        targets[move.target].append(move.return_id)
    for target, ids in targets.items():
        repository.set_status(session, ids, domain.status_columns(target, now))
        if target is ReturnStatus.CANCELLED:
            session.execute(delete(ReturnedUnit).where(ReturnedUnit.return_id.in_(ids)))
    connection = session.connection()
    repository.insert_history(connection, [(m.return_id, m.target, now) for m in moves])
    record_return_events(
        connection, [(m.merchant_id, STATUS_TOPICS[m.target], m.return_id, now) for m in moves]
    )


# --- helpers -------------------------------------------------------------------------------------


def writable_channel(session: Session, principal: Principal, channel_id: int | None) -> int:
    """Writes name one of the caller's channels (shipbob_channel_id): 400 without, 403 if not theirs."""
    return _owned_channel(session, principal, _named_channel(channel_id))


def _named_channel(channel_id: int | None) -> int:
    if channel_id is None:
        raise InvalidInput(
            "shipbob_channel_id header is required", [FieldError("shipbob_channel_id", "header is required")]
        )
    return channel_id


def channel_for_order(session: Session, merchant_id: int, order_channel_id: int | None) -> int | None:
    """The channel a return made for an order is filed under: the order's, else the merchant's first."""
    if order_channel_id is not None:
        return order_channel_id
    return session.scalar(
        select(Channel.id).where(Channel.merchant_id == merchant_id).order_by(Channel.id).limit(1)
    )


def readable_channel(session: Session, principal: Principal, channel_id: int | None) -> None:
    """Reads need no channel; one that is named must still be the caller's."""
    if channel_id is not None:
        _owned_channel(session, principal, channel_id)


def _owned_channel(session: Session, principal: Principal, channel_id: int) -> int:
    _ensure_owner(principal, channel_id, repository.channel_owner(session, channel_id))
    return channel_id


def _ensure_owner(principal: Principal, channel_id: int, owner: int | None) -> None:
    if owner != principal.merchant_id:
        raise Forbidden(f"Channel {channel_id} is not one of this merchant's channels")


def _get_for_update(session: Session, principal: Principal, return_id: int) -> ReturnOrder:
    row = repository.get(session, principal.merchant_id, return_id, for_update=True)
    if row is None:
        raise _not_found(return_id)
    return row


# The products a request names and what the rules need of each, built once (one id compares,
# several expand per call); no ORM objects: a check reads these columns and nothing else.
_PRODUCT_COLUMNS = repository.PRODUCT_COLUMNS
_PRODUCT = DriverRead(
    select(*_PRODUCT_COLUMNS).where(
        Product.id == bindparam("id"), Product.merchant_id == bindparam("merchant_id")
    )
)
_PRODUCTS = select(*_PRODUCT_COLUMNS).where(
    Product.id.in_(bindparam("ids", expanding=True)), Product.merchant_id == bindparam("merchant_id")
)
_COMPONENTS = (
    select(BundleComponent.bundle_id, BundleComponent.component_id)
    .where(BundleComponent.bundle_id.in_(bindparam("ids", expanding=True)))
    .order_by(BundleComponent.bundle_id, BundleComponent.component_id)
)


@dataclass(frozen=True)
class _Checked:
    """A request the domain has accepted, with the facts it was judged on."""

    shipment: Shipment | None
    shipment_facts: domain.ShipmentFacts | None
    items: dict[int, domain.ItemFacts]


@dataclass(frozen=True)
class _Catalog:
    """The merchant's products a batch names: what the rules need of each."""

    items: dict[int, domain.ItemFacts]


def _catalog(connection: Connection, merchant_id: int, ids: set[int]) -> _Catalog:
    rows: Sequence[tuple[Any, ...]]
    if len(ids) == 1:
        rows = _PRODUCT.all(connection, {"id": next(iter(ids)), "merchant_id": merchant_id})
    else:
        rows = connection.execute(_PRODUCTS, {"ids": sorted(ids), "merchant_id": merchant_id}).all()
    return _catalog_of(connection, rows)


def _catalog_of(connection: Connection, rows: Sequence[tuple[Any, ...]]) -> _Catalog:
    """The catalog made of product rows (repository.PRODUCT_COLUMNS), bundles' components read."""
    bundles = sorted(row[0] for row in rows if row[3])
    components: dict[int, list[int]] = defaultdict(list)
    if bundles:
        for bundle_id, component_id in connection.execute(_COMPONENTS, {"ids": bundles}):
            components[bundle_id].append(component_id)
    items = {
        product_id: domain.ItemFacts(
            inventory_id=product_id,
            name=name,
            sku=sku,
            is_bundle=bool(is_bundle),
            component_ids=tuple(components[product_id]),
            preference=ReturnPreference(
                action=ReturnAction(action),
                instructions=instructions,
                backup_action=ReturnAction(backup_action),
                rts_action=ReturnAction(rts_action),
            ),
        )
        for product_id, name, sku, is_bundle, action, instructions, backup_action, rts_action in rows
    }
    return _Catalog(items)


def _check(
    session: Session,
    principal: Principal,
    request: ReturnRequest,
    *,
    excluding: int | None,
    lock: bool = True,
) -> _Checked:
    """Gather the facts the domain rules need of one request, then let the domain judge it."""
    return _judge(
        session,
        principal,
        request,
        _catalog(session.connection(), principal.merchant_id, {line.inventory_id for line in request.lines}),
        center_exists=repository.fulfillment_center_exists(session, request.fulfillment_center_id),
        reference_taken=repository.reference_taken(
            session, principal.merchant_id, request.reference_id, excluding=excluding
        ),
        excluding=excluding,
        lock=lock,
    )


def _judge(
    session: Session,
    principal: Principal,
    request: ReturnRequest,
    catalog: _Catalog,
    *,
    center_exists: bool,
    reference_taken: bool,
    excluding: int | None,
    lock: bool = True,
) -> _Checked:
    """Let the domain judge a request on the facts gathered, its shipment's read here."""
    shipment: Shipment | None = None
    if request.original_shipment_id is not None:
        # Lock the shipment so concurrent returns against it cannot both claim the last unit.
        shipment = session.get(Shipment, request.original_shipment_id, with_for_update=lock)
        if shipment is not None and shipment.merchant_id != principal.merchant_id:
            shipment = None
    shipment_facts = _shipment_facts(
        session, shipment, excluding, principal.merchant_id if _names_order_items(request) else None
    )
    domain.check_request(
        request,
        fulfillment_center_exists=center_exists,
        items=catalog.items,
        shipment=shipment_facts,
        reference_id_taken=reference_taken,
    )
    return _Checked(shipment, shipment_facts, catalog.items)


def _names_order_items(request: ReturnRequest) -> bool:
    return any(line.order_item is not None for line in request.lines)


def _shipment_facts(
    session: Session, shipment: Shipment | None, excluding: int | None, order_items_of: int | None = None
) -> domain.ShipmentFacts | None:
    """What the rules need of the shipment; its lines as order items too when `order_items_of`
    (the merchant) is given. Called with the shipment locked, so what others hold is current."""
    if shipment is None:
        return None
    bundle_parents: dict[int, str] = {}
    for line in shipment.lines:
        if line.bundle_inventory_id is not None:
            bundle = session.get(Product, line.bundle_inventory_id)
            if bundle is not None:
                bundle_parents[line.inventory_id] = bundle.sku
    return domain.ShipmentFacts(
        shipment_id=shipment.id,
        shipped=shipment.is_shipped,
        shipped_quantity=shipment.units_by_inventory(),
        held_by_open_returns=repository.units_held_by_open_returns(session, shipment.id, excluding=excluding),
        bundle_parent_sku=bundle_parents,
        order_id=shipment.order_id,
        store_order_id=shipment.order.store_order_id,
        order_items=(
            repository.order_item_facts(session, order_items_of, shipment_id=shipment.id, excluding=excluding)
            if order_items_of is not None
            else {}
        ),
    )


def _apply(row: ReturnOrder, request: ReturnRequest, checked: _Checked) -> None:
    """Copy a checked request onto a stored row (modify), resolving each line's requested action."""
    for column, value in _head_values(request, checked).items():
        setattr(row, column, value)
    for item in _item_values(request, checked, ReturnType(row.return_type)):
        row.items.append(ReturnItem(**item))


def _head_values(request: ReturnRequest, checked: _Checked) -> dict[str, Any]:
    """The return's columns a checked request sets."""
    shipment = checked.shipment
    return {
        "reference_id": request.reference_id,
        "tracking_number": request.tracking_number,
        "fulfillment_center_id": request.fulfillment_center_id,
        "original_shipment_id": request.original_shipment_id,
        "store_order_id": shipment.order.store_order_id if shipment else None,
        "customer_name": shipment.recipient_name if shipment else None,
    }


def _item_values(request: ReturnRequest, checked: _Checked, return_type: ReturnType) -> list[dict[str, Any]]:
    """The item rows of a checked request, each line's requested action resolved."""
    shipment, facts = checked.shipment, checked.shipment_facts
    items = []
    for line in request.lines:
        product = checked.items[line.inventory_id]
        resolved = domain.resolve_action(line.requested_action, product.preference, return_type)
        items.append(
            {
                "inventory_id": line.inventory_id,
                "name": product.name,
                "quantity": line.expected_units,
                "action": resolved.action.value,
                "action_source": resolved.source.value,
                "instructions": resolved.instructions,
                "lot_number": line.lot_number,
                "lot_date": line.lot_date,
                "bundle_parent_sku": facts.bundle_parent_sku.get(line.inventory_id) if facts else None,
                "order_item_id": _order_item_of(line, shipment),
                "reason_code": line.order_item.reason_code if line.order_item else None,
            }
        )
    return items


def _order_item_of(line: ReturnLine, shipment: Shipment | None) -> int | None:
    """The shipment line a returned line comes from: as named, else the only line of that item."""
    if line.order_item is not None:
        return line.order_item.order_item_id
    candidates = [s.id for s in shipment.lines if s.inventory_id == line.inventory_id] if shipment else []
    return candidates[0] if len(candidates) == 1 else None


def _claim_units(session: Session, created: list[tuple[ReturnRequest, Written]]) -> None:
    """Record the identified units the returns hold; the unique constraints settle any race."""
    claims = [
        {
            "return_id": done.head["id"],
            "return_item_id": item["id"],
            "order_item_id": line.order_item.order_item_id,
            "unit_id": unit.unit_id,
            "serial_number": unit.serial_number,
        }
        for request, done in created
        for item, line in zip(done.items, request.lines, strict=True)
        if line.order_item is not None and line.order_item.expects_units
        for unit in line.order_item.units
    ]
    if not claims:
        return
    try:
        session.execute(insert(ReturnedUnit), claims)
    except IntegrityError as exc:  # a unit claimed since it was checked: the whole call is refused
        raise RuleViolation(
            "A unit on this return is already on another open return",
            [FieldError("inventory", "a named unit is already on another open return")],
        ) from exc


def _release_units(row: ReturnOrder) -> None:
    """A cancelled return gives its identified units back."""
    session = object_session(row)
    if session is not None:
        session.execute(delete(ReturnedUnit).where(ReturnedUnit.return_id == row.id))


def _flush_unique(session: Session, reference_id: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        # A concurrent create won the race for this reference_id between our check and our insert.
        raise _duplicate_reference(reference_id) from exc


def record_of(session: Session, row: ReturnOrder) -> ReturnRecord:
    """The read model of one return just written, as every door sees it."""
    channel, fc, merchant = read_model.names(
        session, row.channel_id, row.fulfillment_center_id, row.merchant_id
    )
    return to_record(row, channel_name=channel, fc_name=fc, merchant_name=merchant)


def _not_found(return_id: int) -> NotFound:
    return NotFound(f"Return {return_id} was not found")


def _duplicate_reference(reference_id: str) -> RuleViolation:
    return RuleViolation(
        f"A return with reference_id '{reference_id}' already exists",
        [domain.duplicate_reference(reference_id)],
    )
