"""For random sequences of create / arrive / inspect / release / close / cancel, every unit is
accounted for, per item and fulfillment center, always:

    units returned = sellable + quarantined + disposed + not yet processed (+ recorded short)

where units returned are those announced on returns that were not cancelled, plus extras. The
ledger is checked against the inspections and against a model kept by the test; no bucket and
no return line ever goes negative.
"""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from homeward.auth.domain import Principal, Scope, WarehousePrincipal
from homeward.catalog.domain import ReturnAction
from homeward.db import Database
from homeward.inventory.models import LedgerEntry
from homeward.inventory.service import release
from homeward.kit.errors import RuleViolation
from homeward.photos.store import DiskStore
from homeward.receiving import service as receiving
from homeward.receiving.domain import Observation
from homeward.receiving.models import Inspection
from homeward.returns import service as returns
from homeward.returns.domain import ReturnLine, ReturnRequest, ReturnStatus
from homeward.returns.models import ReturnItem, ReturnOrder

TEE, MUG, AEROSOL, BAR = 1001, 1002, 1003, 1006  # restock, quarantine + a step, two ineligible
ITEMS = (TEE, MUG, AEROSOL, BAR)
CENTERS = (1, 2)
MERCHANT = Principal(token_id=0, merchant_id=1, scopes=Scope.merchant_defaults())
BUCKETS = ("sellable", "quarantine", "disposed")
BUCKET_OF = {"Restock": "sellable", "Quarantine": "quarantine", "Dispose": "disposed"}
Key = tuple[int, int]  # (inventory id, fulfillment center id)


def staff(center: int) -> WarehousePrincipal:
    return WarehousePrincipal(None, center, frozenset({Scope.WAREHOUSE}), "hypothesis")


@dataclass
class ModelReturn:
    reference: str
    center: int
    expected: dict[int, int]
    status: ReturnStatus = ReturnStatus.AWAITING_ARRIVAL
    processed: Counter[int] = field(default_factory=Counter)
    short: Counter[int] = field(default_factory=Counter)
    quarantined: Counter[int] = field(default_factory=Counter)

    def remaining(self, item: int) -> int:
        return self.expected.get(item, 0) - self.processed[item] - self.short[item]


def totals(db: Database) -> dict[Key, Counter[str]]:
    """Per (item, center): returned, processed, extra, short, and each ledger bucket, from the database."""
    out: dict[Key, Counter[str]] = {}

    def add(key: Key, name: str, value: int | None) -> None:
        out.setdefault(key, Counter())[name] += int(value or 0)

    with db.read() as session:
        live = ReturnOrder.status != ReturnStatus.CANCELLED.value
        for item, center, quantity in session.execute(
            select(ReturnItem.inventory_id, ReturnOrder.fulfillment_center_id, func.sum(ReturnItem.quantity))
            .join(ReturnOrder, ReturnOrder.id == ReturnItem.return_id)
            .where(live)
            .group_by(ReturnItem.inventory_id, ReturnOrder.fulfillment_center_id)
        ):
            add((item, center), "announced", quantity)
        for item, center, kind, quantity in session.execute(
            select(
                Inspection.inventory_id,
                ReturnOrder.fulfillment_center_id,
                Inspection.kind,
                func.sum(Inspection.quantity),
            )
            .join(ReturnOrder, ReturnOrder.id == Inspection.return_id)
            .group_by(Inspection.inventory_id, ReturnOrder.fulfillment_center_id, Inspection.kind)
        ):
            add((item, center), kind, quantity)
        for item, center, bucket, quantity in session.execute(
            select(
                LedgerEntry.inventory_id,
                LedgerEntry.fulfillment_center_id,
                LedgerEntry.bucket,
                func.sum(LedgerEntry.quantity),
            ).group_by(LedgerEntry.inventory_id, LedgerEntry.fulfillment_center_id, LedgerEntry.bucket)
        ):
            add((item, center), bucket, quantity)
        overdrawn = session.execute(
            select(ReturnItem.id)
            .join(
                Inspection,
                (Inspection.return_id == ReturnItem.return_id)
                & (Inspection.inventory_id == ReturnItem.inventory_id),
            )
            .where(Inspection.kind.in_(("expected", "short")))
            .group_by(ReturnItem.id, ReturnItem.quantity)
            .having(func.sum(Inspection.quantity) > ReturnItem.quantity)
        ).all()
        assert overdrawn == [], "a return line had more units processed than it announced"
    return out


class Warehouse(RuleBasedStateMachine):
    db: Database
    photos: DiskStore
    names = itertools.count()

    def __init__(self) -> None:
        super().__init__()
        self.baseline = totals(self.db)  # earlier examples share the database; compare deltas
        self.model: dict[int, ModelReturn] = {}
        self.moved: Counter[tuple[int, int, str]] = Counter()  # (item, center, bucket) -> units
        self.extras: Counter[Key] = Counter()

    returns = Bundle("returns")

    @rule(
        target=returns,
        lines=st.lists(
            st.tuples(st.sampled_from(ITEMS), st.integers(1, 3)),
            min_size=1,
            max_size=3,
            unique_by=lambda t: t[0],
        ),
        center=st.sampled_from(CENTERS),
    )
    def create(self, lines: list[tuple[int, int]], center: int) -> int:
        reference = f"HYP-{uuid.uuid4().hex[:8]}-{next(self.names)}"
        request = ReturnRequest(reference, center, tuple(ReturnLine(i, q) for i, q in lines))
        record = returns.create_return(self.db, MERCHANT, 11, request)
        self.model[record.id] = ModelReturn(reference, center, dict(lines))
        return record.id

    @rule(return_id=returns)
    def arrive(self, return_id: int) -> None:
        r = self.model[return_id]
        try:
            record = receiving.arrive(self.db, staff(r.center), r.reference)
        except RuleViolation:
            assert r.status is ReturnStatus.CANCELLED
            return
        assert r.status is not ReturnStatus.CANCELLED
        if r.status is ReturnStatus.AWAITING_ARRIVAL:
            r.status = ReturnStatus.ARRIVED
        assert record.status is r.status

    @rule(return_id=returns)
    def cancel(self, return_id: int) -> None:
        r = self.model[return_id]
        try:
            returns.cancel_return(self.db, MERCHANT, 11, return_id)
        except RuleViolation:
            assert r.status is not ReturnStatus.AWAITING_ARRIVAL
            return
        assert r.status is ReturnStatus.AWAITING_ARRIVAL
        r.status = ReturnStatus.CANCELLED

    @rule(
        return_id=returns,
        item=st.sampled_from(ITEMS),
        quantity=st.integers(1, 3),
        damaged=st.booleans(),
        extra=st.booleans(),
    )
    def inspect(self, return_id: int, item: int, quantity: int, damaged: bool, extra: bool) -> None:
        r = self.model[return_id]
        steps = {"no chips or cracks": not damaged} if item == MUG else {}
        obs = Observation(item, quantity, damaged=damaged, extra=extra, steps=steps)
        inspectable = r.status in (ReturnStatus.ARRIVED, ReturnStatus.PROCESSING)
        fits = extra or (item in r.expected and quantity <= r.remaining(item))
        try:
            record = receiving.inspect(self.db, self.photos, staff(r.center), return_id, [obs])
        except RuleViolation:
            assert not (inspectable and fits)
            return
        assert inspectable and fits
        line = record.inspections[-1]
        assert (line.inventory_id, line.quantity, line.kind.value) == (
            item,
            quantity,
            "extra" if extra else "expected",
        )
        if item in (AEROSOL, BAR):
            assert line.action == "Dispose"  # ineligible, whatever was requested
        self.moved[(item, r.center, BUCKET_OF[line.action])] += quantity
        if line.action == "Quarantine":
            r.quarantined[item] += quantity
        if extra:
            self.extras[(item, r.center)] += quantity
        else:
            r.processed[item] += quantity
        done = all(r.remaining(i) == 0 for i in r.expected)
        r.status = ReturnStatus.COMPLETED if done else ReturnStatus.PROCESSING
        assert record.status is r.status

    @rule(
        batch=st.lists(
            st.tuples(st.sampled_from(ITEMS), st.integers(1, 3), st.sampled_from(CENTERS)),
            min_size=1,
            max_size=4,
        )
    )
    def create_many(self, batch: list[tuple[int, int, int]]) -> None:
        """A merchant's batch, one single-line return per entry; every one is valid here."""
        requests = [
            ReturnRequest(f"HYP-B-{uuid.uuid4().hex[:8]}-{next(self.names)}", center, (ReturnLine(item, q),))
            for item, q, center in batch
        ]
        for outcome, (item, q, center) in zip(
            returns.create_returns(self.db, MERCHANT, 11, requests), batch, strict=True
        ):
            record = outcome.unwrap()
            self.model[record.id] = ModelReturn(record.reference_id, center, {item: q})

    @rule(tote=st.lists(returns, min_size=1, max_size=4), center=st.sampled_from(CENTERS))
    def arrive_tote(self, tote: list[int], center: int) -> None:
        """A tote scanned in one center: other centers' and cancelled returns are listed, not received."""
        outcomes = receiving.arrive_many(self.db, staff(center), [self.model[i].reference for i in tote])
        for return_id, outcome in zip(tote, outcomes, strict=True):
            r = self.model[return_id]
            receivable = r.center == center and r.status is not ReturnStatus.CANCELLED
            assert (outcome.error is None) is receivable, (r, outcome)
            if receivable and r.status is ReturnStatus.AWAITING_ARRIVAL:
                r.status = ReturnStatus.ARRIVED

    @rule(
        cart=st.lists(st.tuples(returns, st.sampled_from(ITEMS), st.integers(1, 3)), min_size=1, max_size=4),
        center=st.sampled_from(CENTERS),
    )
    def inspect_cart(self, cart: list[tuple[int, int, int]], center: int) -> None:
        """Inspections of one center in a batch (a return may come twice): each judged as if alone,
        after the earlier ones."""
        requests = [
            receiving.InspectionRequest(return_id, [Observation(item, quantity, steps=self._steps(item))])
            for return_id, item, quantity in cart
        ]
        outcomes = receiving.inspect_many(self.db, self.photos, staff(center), requests)
        recorded: Counter[int] = Counter()
        for (return_id, item, quantity), outcome in zip(cart, outcomes, strict=True):
            r = self.model[return_id]
            inspectable = r.center == center and r.status in (ReturnStatus.ARRIVED, ReturnStatus.PROCESSING)
            fits = item in r.expected and quantity <= r.remaining(item)
            assert (outcome.error is None) is (inspectable and fits), (r, outcome)
            if outcome.error is not None:
                continue
            recorded[return_id] += 1
            r.processed[item] += quantity
            done = all(r.remaining(i) == 0 for i in r.expected)
            r.status = ReturnStatus.COMPLETED if done else ReturnStatus.PROCESSING
            assert outcome.status is r.status
        for return_id, lines in recorded.items():  # what each recorded line did with the units
            r = self.model[return_id]
            for line in receiving.get_return(self.db, staff(r.center), return_id).inspections[-lines:]:
                self.moved[(line.inventory_id, r.center, BUCKET_OF[line.action])] += line.quantity
                if line.action == "Quarantine":
                    r.quarantined[line.inventory_id] += line.quantity

    @staticmethod
    def _steps(item: int) -> dict[str, bool]:
        return {"no chips or cracks": True} if item == MUG else {}

    @rule(return_id=returns)
    def close(self, return_id: int) -> None:
        r = self.model[return_id]
        try:
            record = receiving.close(self.db, staff(r.center), return_id)
        except RuleViolation:
            assert r.status in (ReturnStatus.AWAITING_ARRIVAL, ReturnStatus.CANCELLED)
            return
        if r.status is not ReturnStatus.COMPLETED:
            for item in r.expected:
                r.short[item] += r.remaining(item)
        r.status = ReturnStatus.COMPLETED
        assert record.status is ReturnStatus.COMPLETED

    @rule(
        return_id=returns,
        item=st.sampled_from(ITEMS),
        quantity=st.integers(1, 3),
        action=st.sampled_from([ReturnAction.RESTOCK, ReturnAction.DISPOSE]),
    )
    def release(self, return_id: int, item: int, quantity: int, action: ReturnAction) -> None:
        r = self.model[return_id]
        try:
            record = release(self.db, staff(r.center), return_id, item, quantity, action)
        except RuleViolation:
            assert quantity > r.quarantined[item]
            return
        assert quantity <= r.quarantined[item]
        r.quarantined[item] -= quantity
        self.moved[(item, r.center, "quarantine")] -= quantity
        self.moved[(item, r.center, BUCKET_OF[action.value])] += quantity
        assert record.return_balance.quarantine == r.quarantined[item]

    @invariant()
    def every_unit_is_accounted_for(self) -> None:
        now = totals(self.db)
        for key in set(now) | set(self.baseline):
            t = now.get(key, Counter())
            returned = t["announced"] + t["extra"]
            not_yet_processed = t["announced"] - t["expected"] - t["short"]
            assert all(t[b] >= 0 for b in BUCKETS) and not_yet_processed >= 0, (key, t)
            assert (
                returned == t["sellable"] + t["quarantine"] + t["disposed"] + not_yet_processed + t["short"]
            ), (key, t)
            before = self.baseline.get(key, Counter())
            for bucket in BUCKETS:
                assert t[bucket] - before[bucket] == self.moved[(*key, bucket)], (key, bucket, t, before)
            assert t["extra"] - before["extra"] == self.extras[key]
        for return_id, r in self.model.items():
            assert all(r.remaining(i) >= 0 for i in r.expected), (return_id, r)


def test_units_returned_equal_sellable_quarantined_disposed_and_unprocessed(
    db: Database, demo: dict[str, Any], tmp_path: Any
) -> None:
    Warehouse.db, Warehouse.photos = db, DiskStore(tmp_path)
    run_state_machine_as_test(
        Warehouse,
        settings=settings(
            max_examples=15,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )


def test_the_ledger_is_append_only(db: Database, demo: dict[str, Any], tmp_path: Any) -> None:
    request = ReturnRequest("APPEND-ONLY", 1, (ReturnLine(MUG, 2),))
    created = returns.create_return(db, MERCHANT, 11, request)
    receiving.arrive(db, staff(1), "APPEND-ONLY")
    mugs = Observation(MUG, 2, steps={"no chips or cracks": True})
    receiving.inspect(db, DiskStore(tmp_path), staff(1), created.id, [mugs])

    def entries() -> list[tuple[Any, ...]]:
        with db.read() as session:
            rows = session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))
            return [(e.id, e.bucket, e.quantity, e.kind, e.return_id, e.actor) for e in rows]

    before = entries()
    assert [(b, q, k) for _, b, q, k, _, _ in before] == [("quarantine", 2, "inspection")]
    release(db, staff(1), created.id, MUG, 1, ReturnAction.DISPOSE, "cracked after all")
    after = entries()
    assert after[: len(before)] == before  # nothing rewritten; the move is two new entries
    assert [(b, q, k) for _, b, q, k, _, _ in after[len(before) :]] == [
        ("quarantine", -1, "release"),
        ("disposed", 1, "release"),
    ]
    with pytest.raises(RuntimeError, match="append-only"), db.write() as session:
        entry = session.scalars(select(LedgerEntry)).first()
        assert entry is not None
        entry.quantity = 99
        session.flush()
    assert entries() == after
