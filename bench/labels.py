"""Label throughput: returns created with a bought label (quote, tracking number, PDF, invoice) per
second, as a ratio to creating the same returns without a label, in the same run and database.

Service layer, one process: what is measured is the label work, not HTTP. Plain and labelled
creates alternate in batches so that a database growing during the run weighs on both alike.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import func, select

from homeward.auth.domain import Principal, Scope
from homeward.db import Database
from homeward.importing.service import import_lines
from homeward.labels.domain import LabelRequest, LabelType
from homeward.labels.models import ReturnLabel
from homeward.labels.service import create_return
from homeward.returns.domain import ReturnLine, ReturnRequest

LABEL_GOAL_RATIO = 0.25  # a label (PDF included) may cost up to 4 plain creates
PLAIN_SHIPMENT, LABELLED_SHIPMENT = 9_901, 9_902
BATCH = 100


def _bench_shipments(db: Database, units: int) -> None:
    """Two shipments of `units` tees to Chicago from the demo's Cicero (IL) center, one per side."""
    lines = [
        {
            "type": "order",
            "id": 9_900 + n,
            "merchant_id": 1,
            "channel_id": 11,
            "store_order_id": f"BENCH-LABELS-{n}",
            "shipments": [
                {
                    "id": shipment_id,
                    "status": "Shipped",
                    "fulfillment_center_id": 1,
                    "recipient": {
                        "name": "Bench Customer",
                        "address1": "410 W Adams St",
                        "city": "Chicago",
                        "state": "IL",
                        "zip_code": "60606",
                        "country": "US",
                    },
                    "lines": [{"inventory_id": 1001, "quantity": units}],
                }
            ],
        }
        for n, shipment_id in enumerate((PLAIN_SHIPMENT, LABELLED_SHIPMENT))
    ]
    import_lines(db, "\n".join(json.dumps(line) for line in lines))


def label_throughput(backend: str, url: str, count: int = 1_000) -> dict[str, Any]:
    db = Database(url)
    _bench_shipments(db, count)
    merchant = Principal(token_id=0, merchant_id=1, scopes=Scope.merchant_defaults())
    optimized = LabelRequest(LabelType.OPTIMIZED)

    def request(prefix: str, n: int, shipment_id: int) -> ReturnRequest:
        return ReturnRequest(
            reference_id=f"{prefix}-{n:05d}",
            fulfillment_center_id=1,
            original_shipment_id=shipment_id,
            lines=(ReturnLine(inventory_id=1001, quantity=1),),
        )

    create_return(db, merchant, 11, request("WARM", 0, PLAIN_SHIPMENT), optimized)  # imports, caches
    seconds = {"plain": 0.0, "labelled": 0.0}
    for start in range(0, count - 1, BATCH):
        batch = range(start, min(start + BATCH, count - 1))
        began = time.perf_counter()
        for n in batch:
            create_return(db, merchant, 11, request("PLAIN", n, PLAIN_SHIPMENT))
        seconds["plain"] += time.perf_counter() - began
        began = time.perf_counter()
        for n in batch:
            create_return(db, merchant, 11, request("LABEL", n, LABELLED_SHIPMENT), optimized)
        seconds["labelled"] += time.perf_counter() - began
    measured = count - 1
    with db.read() as session:
        pdfs, pdf_bytes = session.execute(
            select(func.count(ReturnLabel.id), func.sum(func.length(ReturnLabel.pdf))).where(
                ReturnLabel.pdf.is_not(None)
            )
        ).one()
    plain_rate, label_rate = measured / seconds["plain"], measured / seconds["labelled"]
    ratio = label_rate / plain_rate
    return {
        "bench": "label_throughput",
        "backend": backend,
        "returns": measured,
        "plain_creates_per_s": round(plain_rate, 1),
        "labelled_creates_per_s": round(label_rate, 1),
        "ratio": round(ratio, 3),
        "goal_ratio": LABEL_GOAL_RATIO,
        "ms_per_label": round(1000 * (seconds["labelled"] - seconds["plain"]) / measured, 2),
        "pdfs": int(pdfs),
        "avg_pdf_bytes": round(int(pdf_bytes or 0) / max(int(pdfs), 1)),
        "met": ratio >= LABEL_GOAL_RATIO and int(pdfs) == measured + 1,
    }
