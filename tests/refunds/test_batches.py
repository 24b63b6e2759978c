"""Whatever the number of groups per transaction, a group whose rows lie far apart in the file is
settled whole, once, and the ack says so row by row."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from homeward.config import get_settings
from homeward.db import Database
from homeward.refunds.acks import AckFolder
from homeward.refunds.models import Refund
from homeward.refunds.records import Inbound, Source
from homeward.refunds.service import handle
from tests.refund_files import GOOD_NAME, MUG, TEES, read_ack, refund_csv, refund_row


def cent(alt: str, item: str, **overrides: Any) -> dict[str, str]:
    """One cent back on an item (no units), under the given alt_refund_id."""
    cells: dict[str, Any] = {
        "alt_refund_id": alt,
        "order_item_id": item,
        "total_quantity_returned": "0",
        "order_return_refund_qty": "0",
        "refund_feedback": "item damaged",
        "principal": "0.01",
        "tax": "0",
        "shipping_cost": "0",
        "shipping_tax": "0",
    }
    return refund_row(**(cells | overrides))


@pytest.fixture(params=[1, 2, 5000])
def groups_per_transaction(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setenv("HOMEWARD_REFUNDS_GROUPS_PER_TRANSACTION", str(request.param))
    get_settings.cache_clear()
    yield request.param
    monkeypatch.delenv("HOMEWARD_REFUNDS_GROUPS_PER_TRANSACTION")
    get_settings.cache_clear()


def test_interleaved_groups_are_settled_whole_in_any_batch_size(
    db: Database, demo: dict[str, Any], tmp_path: Path, groups_per_transaction: int
) -> None:
    rows = [
        cent("A", TEES),  # row 2: A is rows 2 and 4
        cent("B", MUG),  # row 3: B is rows 3 and 6, and fails on row 6
        cent("A", MUG),
        cent("C", TEES),  # row 5: alone
        cent("B", TEES, principal="x"),
        cent("D", MUG),  # row 7: D is rows 7 and 8, one item twice
        cent("D", MUG),
    ]
    path = tmp_path / GOOD_NAME
    path.write_bytes(refund_csv(*rows))
    outcome = handle(db, Inbound(1, GOOD_NAME, path, Source.CLI), AckFolder(tmp_path / "Acks"))

    ack = read_ack(Path(outcome.ack_location).read_bytes())
    assert [a["Status"] for a in ack] == ["TRUE", "FALSE", "TRUE", "TRUE", "FALSE", "FALSE", "FALSE"]
    assert ack[1]["ErrorMessage"] == "alt_refund_id: not applied: row(s) 6 of alt_refund_id 'B' failed"
    assert ack[4]["ErrorMessage"].startswith("principal: must be an amount like 12.34")
    assert "is on more than one row of alt_refund_id 'D'" in ack[5]["ErrorMessage"]
    assert (outcome.file.rows_ok, outcome.file.rows_failed) == (3, 4)
    with db.read() as session:
        applied = session.execute(select(Refund.alt_refund_id, func.count()).group_by(Refund.alt_refund_id))
        assert dict(applied.all()) == {"A": 1, "C": 1}
