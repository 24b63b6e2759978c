"""Batches through the service layer: a merchant's many returns, a tote of scans, a cart of
inspections. Each item is judged by the rules of one alone; the good ones are stored, the refused
ones are listed with their errors and leave nothing behind."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from homeward.auth.domain import Principal, Scope, WarehousePrincipal
from homeward.db import Database
from homeward.events.models import OutboxEvent
from homeward.inventory.models import LedgerEntry
from homeward.kit.errors import FieldError, InvalidInput, NotFound, RuleViolation
from homeward.photos.store import DiskStore
from homeward.receiving import service as receiving
from homeward.receiving.domain import Observation
from homeward.receiving.service import InspectionRequest
from homeward.returns import service as returns
from homeward.returns.domain import RequestedAction, ReturnLine, ReturnRequest, ReturnStatus
from homeward.returns.models import ReturnOrder

TEE, MUG = 1001, 1002
MERCHANT = Principal(token_id=0, merchant_id=1, scopes=Scope.merchant_defaults())
CHANNEL = 11
STAFF = WarehousePrincipal(None, 1, frozenset({Scope.WAREHOUSE}), "batch test")
MUG_OK = Observation(MUG, 1, steps={"no chips or cracks": True})


def request(reference: str, *lines: tuple[int, int], center: int = 1) -> ReturnRequest:
    return ReturnRequest(reference, center, tuple(ReturnLine(i, q) for i, q in lines))


def fields(error: Exception | None) -> list[str]:
    assert isinstance(error, RuleViolation | NotFound | InvalidInput), error
    return [e.field for e in error.errors]


def stored(db: Database, prefix: str) -> Counter[str]:
    with db.read() as session:
        query = select(ReturnOrder.reference_id).where(ReturnOrder.reference_id.startswith(prefix))
        return Counter(session.scalars(query))


def topics(db: Database, return_id: int) -> list[str]:
    with db.read() as session:
        query = select(OutboxEvent.topic).where(OutboxEvent.return_id == return_id).order_by(OutboxEvent.id)
        return list(session.scalars(query))


def test_a_batch_of_returns_stores_the_good_ones_and_lists_the_refused(
    db: Database, demo: dict[str, Any]
) -> None:
    returns.create_return(db, MERCHANT, CHANNEL, request("BATCH-TAKEN", (TEE, 1)))
    outcomes = returns.create_returns(
        db,
        MERCHANT,
        CHANNEL,
        [
            request("BATCH-A", (TEE, 2), (MUG, 1)),
            request("BATCH-A", (TEE, 1)),  # the same reference id again, in the same batch
            request("BATCH-TAKEN", (TEE, 1)),
            request("BATCH-C", (999_999, 1)),
            request("BATCH-D", (MUG, 1), center=999),
            request("BATCH-E", (MUG, 3)),
        ],
    )
    assert [o.index for o in outcomes] == list(range(6))
    assert [o.error is None for o in outcomes] == [True, False, False, False, False, True]
    assert fields(outcomes[1].error) == ["reference_id"]
    assert fields(outcomes[2].error) == ["reference_id"]
    assert fields(outcomes[3].error) == ["inventory[0].id"]
    assert fields(outcomes[4].error) == ["fulfillment_center.id"]
    assert stored(db, "BATCH-") == Counter({"BATCH-A": 1, "BATCH-TAKEN": 1, "BATCH-E": 1})
    first = outcomes[0].unwrap()
    assert [(i.inventory_id, i.quantity) for i in first.items] == [(TEE, 2), (MUG, 1)]
    for created in (first, outcomes[5].unwrap()):
        history = returns.status_history(db, MERCHANT, CHANNEL, created.id)
        assert [e.status for e in history] == [ReturnStatus.AWAITING_ARRIVAL]
        assert topics(db, created.id) == ["return.created"]


def test_concurrent_batches_store_each_reference_id_once(db: Database, demo: dict[str, Any]) -> None:
    references = [f"RACE-BATCH-{n:03d}" for n in range(200)]
    orders = [references, references[::-1], references[100:] + references[:100], references[::2]]

    def create(order: list[str]) -> list[returns.CreateOutcome]:
        return returns.create_returns(db, MERCHANT, CHANNEL, [request(r, (TEE, 1)) for r in order])

    with ThreadPoolExecutor(len(orders)) as pool:
        batches = list(pool.map(create, orders))
    outcomes = [outcome for batch in batches for outcome in batch]
    assert Counter(o.reference_id for o in outcomes if o.error is None) == Counter(references)
    assert all(fields(o.error) == ["reference_id"] for o in outcomes if o.error is not None)
    assert stored(db, "RACE-BATCH-") == Counter(references)


def test_a_return_made_in_a_batch_is_the_one_made_alone(db: Database, demo: dict[str, Any]) -> None:
    lines = (ReturnLine(TEE, 2, RequestedAction.DISPOSE, lot_number="L-1"), ReturnLine(MUG, 1))
    alone = returns.create_return(db, MERCHANT, CHANNEL, ReturnRequest("SAME-ALONE", 1, lines, None, "TRK-1"))
    batch = ReturnRequest("SAME-BATCH", 1, lines, None, "TRK-2")
    [outcome] = returns.create_returns(db, MERCHANT, CHANNEL, [batch])
    in_batch = outcome.unwrap()
    read_back = returns.get_record_in
    with db.read() as session:
        for record in (alone, in_batch):  # what was answered is what is stored
            assert read_back(session, MERCHANT, CHANNEL, record.id) == record

    def shape(record: Any) -> Any:
        items = tuple(replace(i, item_id=0) for i in record.items)
        return replace(record, id=0, reference_id="", tracking_number="", insert_date=None, items=items)

    assert shape(in_batch) == shape(alone)


def test_a_tote_of_scans_receives_each_package_and_lists_what_it_cannot(
    db: Database, demo: dict[str, Any]
) -> None:
    created = returns.create_returns(
        db,
        MERCHANT,
        CHANNEL,
        [
            request("TOTE-A", (TEE, 1)),
            request("TOTE-B", (TEE, 1)),
            request("TOTE-C", (TEE, 1)),
            replace(request("TOTE-D", (TEE, 1)), tracking_number="1Z-TOTE-D"),
            request("TOTE-OTHER", (TEE, 1), center=2),
        ],
    )
    ids = {o.reference_id: o.unwrap().id for o in created}
    returns.cancel_return(db, MERCHANT, CHANNEL, ids["TOTE-C"])
    outcomes = receiving.arrive_many(
        db, STAFF, ["TOTE-A", " ", "TOTE-B", "NO-SUCH-BARCODE", "TOTE-A", "TOTE-C", "1Z-TOTE-D", "TOTE-OTHER"]
    )
    a, b, d = ids["TOTE-A"], ids["TOTE-B"], ids["TOTE-D"]
    assert [o.return_id for o in outcomes] == [a, None, b, None, a, None, d, None]
    assert fields(outcomes[1].error) == ["barcode"] and isinstance(outcomes[1].error, InvalidInput)
    assert isinstance(outcomes[3].error, NotFound)
    assert "cancelled" in str(outcomes[5].error)
    assert "fulfillment center 2" in str(outcomes[7].error)
    expected = {
        "TOTE-A": "Arrived",
        "TOTE-B": "Arrived",
        "TOTE-C": "Cancelled",
        "TOTE-D": "Arrived",
        "TOTE-OTHER": "Awaiting Arrival",
    }
    for reference, status in expected.items():
        history = returns.status_history(db, MERCHANT, CHANNEL, ids[reference])
        assert history[-1].status.value == status
        assert [e.status.value for e in history].count("Arrived") == (status == "Arrived")  # once each
    assert topics(db, ids["TOTE-A"]) == ["return.created", "return.arrived"]


def test_a_cart_of_inspections_records_each_and_completes_returns_once(
    db: Database, demo: dict[str, Any], tmp_path: Path
) -> None:
    made = returns.create_returns(
        db,
        MERCHANT,
        CHANNEL,
        [request("CART-A", (TEE, 1)), request("CART-B", (TEE, 2), (MUG, 1)), request("CART-C", (TEE, 1))],
    )
    a, b, c = (o.unwrap().id for o in made)
    receiving.arrive_many(db, STAFF, ["CART-A", "CART-B"])  # CART-C never arrives
    outcomes = receiving.inspect_many(
        db,
        DiskStore(tmp_path),
        STAFF,
        [
            InspectionRequest(a, [Observation(TEE, 1)]),
            InspectionRequest(b, [Observation(TEE, 1)]),
            InspectionRequest(c, [Observation(TEE, 1)]),
            InspectionRequest(b, [Observation(TEE, 2)]),  # one more than is left on B
            InspectionRequest(b, [Observation(TEE, 1), MUG_OK]),  # the rest of B
            InspectionRequest(987_654, [Observation(TEE, 1)]),
        ],
    )
    completed, processing = ReturnStatus.COMPLETED, ReturnStatus.PROCESSING
    assert [o.status for o in outcomes] == [completed, processing, None, None, completed, None]
    assert fields(outcomes[2].error) == ["status"]
    assert fields(outcomes[3].error) == ["items[0].quantity"]
    assert isinstance(outcomes[5].error, NotFound)
    record_b = receiving.get_return(db, STAFF, b)
    assert [(i.inventory_id, i.quantity, i.kind.value) for i in record_b.inspections] == [
        (TEE, 1, "expected"),
        (TEE, 1, "expected"),
        (MUG, 1, "expected"),
    ]
    with db.read() as session:
        ledger = session.execute(
            select(LedgerEntry.return_id, func.sum(LedgerEntry.quantity)).group_by(LedgerEntry.return_id)
        )
        assert dict(ledger.all()) == {a: 1, b: 3}
    history = [e.status.value for e in returns.status_history(db, MERCHANT, CHANNEL, b)]
    assert history == ["Awaiting Arrival", "Arrived", "Processing", "Completed"]
    assert topics(db, b) == ["return.created", "return.arrived", "return.processing", "return.completed"]
    demo_fees = {"ReturnProcessingFee": Decimal("3.00"), "ReturnPerUnitFee": Decimal("0.75")}
    charged = returns.get_record_in
    with db.read() as session:
        fees = charged(session, MERCHANT, CHANNEL, b).transactions
    assert {t.transaction_type: t.amount for t in fees} == demo_fees  # charged once, for 3 units
    assert receiving.get_return(db, STAFF, c).status is ReturnStatus.AWAITING_ARRIVAL


def test_a_single_call_keeps_its_errors(db: Database, demo: dict[str, Any], tmp_path: Path) -> None:
    """The single use cases are batches of one; what they raise is what a batch lists."""
    returns.create_return(db, MERCHANT, CHANNEL, request("ONE-TAKEN", (TEE, 1)))
    with pytest.raises(RuleViolation) as raised:
        returns.create_return(db, MERCHANT, CHANNEL, request("ONE-TAKEN", (TEE, 1)))
    assert raised.value.errors == [
        FieldError("reference_id", "'ONE-TAKEN' is already used by another return of this merchant")
    ]
    [listed] = returns.create_returns(db, MERCHANT, CHANNEL, [request("ONE-TAKEN", (TEE, 1))])
    assert isinstance(listed.error, RuleViolation) and listed.error.errors == raised.value.errors
    with pytest.raises(InvalidInput) as blank:
        receiving.arrive(db, STAFF, "  ")
    assert fields(blank.value) == ["barcode"]
    with pytest.raises(NotFound):
        receiving.inspect(db, DiskStore(tmp_path), STAFF, 987_654, [Observation(TEE, 1)])
