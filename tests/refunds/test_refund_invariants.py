"""Whatever rows arrive in whatever files: nothing is refunded beyond what was charged, each
alt_refund_id is applied at most once, and the acks say exactly what was applied."""

from __future__ import annotations

import itertools
import json
import tempfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from homeward.db import Database
from homeward.importing.service import import_lines
from homeward.marketplace.models import MarketplaceOrder
from homeward.refunds.acks import AckFolder
from homeward.refunds.models import Refund
from homeward.refunds.records import Inbound, Source
from homeward.refunds.service import handle
from tests.refund_files import read_ack, refund_csv, refund_row

PARTS = ("principal", "tax", "shipping_cost", "shipping_tax")
_orders = itertools.count(1)
charge = st.decimals(min_value=5, max_value=30, places=2).map(str)
refund = st.sampled_from(["0", "0.01", "1.00", "4.99", "10.00"])
# Now and then a row breaks a rule; most rows are plausible, so refunds pile up to the caps.
BREAKS = (None, None, None, None, None, "units", "amount", "item")


@st.composite
def a_row(draw: st.DrawFn) -> dict[str, str]:
    returned = draw(st.integers(0, 2))
    row = {
        "alt_refund_id": draw(st.sampled_from([f"A{n}" for n in range(1, 8)])),
        "order_item_id": draw(st.sampled_from(["I-1", "I-2"])),
        "total_quantity_returned": str(returned),
        "order_return_refund_qty": str(draw(st.integers(0, returned))),
        "refund_feedback": draw(st.sampled_from(["item damaged", "item damaged", "", "other"])),
        "notes": "see photos",
        **{part: draw(refund) for part in PARTS},
    }
    broken = draw(st.sampled_from(BREAKS))
    if broken == "units":
        row["order_return_refund_qty"] = str(returned + 1)
    elif broken == "amount":
        row[draw(st.sampled_from(PARTS))] = draw(st.sampled_from(["-1", "1.005", "x"]))
    elif broken == "item":
        row["order_item_id"] = "I-9"
    return row


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    charged=st.lists(st.tuples(st.integers(1, 3), charge, charge, charge, charge), min_size=2, max_size=2),
    files=st.lists(st.lists(a_row(), min_size=1, max_size=5), min_size=1, max_size=3),
)
def test_refunds_never_exceed_charges_and_acks_tell_the_truth(
    db: Database, demo: dict[str, Any], charged: list[tuple[Any, ...]], files: list[list[dict[str, str]]]
) -> None:
    order_id = f"HYP-{next(_orders)}"
    items = [
        {"order_item_id": f"I-{n}", "quantity": q, **dict(zip(PARTS, amounts, strict=True))}
        for n, (q, *amounts) in enumerate(charged, start=1)
    ]
    import_lines(
        db,
        json.dumps(
            {
                "type": "marketplace_order",
                "merchant_id": 1,
                "merchant_order_id": order_id,
                "status": "Completed",
                "items": items,
            }
        ),
    )
    acked: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 5)
    winners: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for number, rows in enumerate(files):
            path = Path(scratch) / f"JET_REFUND_0101250000{number:02d}.csv"
            path.write_bytes(refund_csv(*(refund_row(merchant_order_id=order_id, **row) for row in rows)))
            outcome = handle(db, Inbound(1, path.name, path, Source.CLI), AckFolder(Path(scratch) / "Acks"))
            for answer in read_ack(Path(outcome.ack_location).read_bytes()):
                if answer["Status"] == "TRUE":
                    assert (
                        winners.setdefault(answer["alt_refund_id"], number) == number
                    )  # one file wins an id
                    sums = acked[answer["order_item_id"]]
                    sums[0] += int(answer["order_return_refund_qty"])
                    for index, part in enumerate(PARTS, start=1):
                        sums[index] += Decimal(answer[part] or "0")

    with db.read() as session:
        order = session.scalars(
            select(MarketplaceOrder).where(MarketplaceOrder.merchant_order_id == order_id)
        ).one()
        refunds = session.scalars(select(Refund).where(Refund.marketplace_order_id == order.id)).all()
        assert sorted(r.alt_refund_id for r in refunds) == sorted(winners)
        for item in order.items:
            assert 0 <= item.refunded_quantity <= item.quantity
            for part in PARTS:
                assert getattr(item.refunded, part) <= getattr(item.charged, part)
            assert [item.refunded_quantity, *(getattr(item.refunded, p) for p in PARTS)] == acked[
                item.order_item_id
            ]
