"""A file's settled groups are one watermark: a batch claims its groups by moving it, in the
transaction that applies them. A failed batch moves nothing, a restart resumes at it, a second
processor of the same file skips what the first claimed, and a batch that meets a concurrent
duplicate is judged again whole."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from homeward.config import get_settings
from homeward.db import Database
from homeward.marketplace.models import MarketplaceOrderItem
from homeward.refunds import repository, service
from homeward.refunds.acks import AckFolder
from homeward.refunds.models import Refund, RefundFile
from homeward.refunds.records import Inbound, Source
from tests.refund_files import GOOD_NAME, TEES, cent_refunds, cent_row, read_ack, refund_csv


class Killed(Exception):
    """A processor stopping dead in the middle of a batch."""


GROUPS = 12
BATCH = 3


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HOMEWARD_REFUNDS_GROUPS_PER_TRANSACTION", str(BATCH))
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("HOMEWARD_REFUNDS_GROUPS_PER_TRANSACTION")
    get_settings.cache_clear()


def cents(*alts: str) -> bytes:
    """One cent back on the tees per alt_refund_id."""
    return refund_csv(*map(cent_row, alts))


def refunds_applied(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Refund)) or 0)


def tees_refunded(db: Database) -> Decimal:
    with db.read() as session:
        item = session.scalars(
            select(MarketplaceOrderItem).where(MarketplaceOrderItem.order_item_id == TEES)
        ).one()
        return item.refunded_principal


def watermark(db: Database, file_id: int) -> int:
    with db.read() as session:
        return int(session.scalar(select(RefundFile.settled_through).where(RefundFile.id == file_id)) or 0)


def received(db: Database, tmp_path: Path, data: bytes) -> int:
    path = tmp_path / GOOD_NAME
    path.write_bytes(data)
    return service.receive(db, Inbound(1, GOOD_NAME, path, Source.CLI)).id


def test_a_batch_that_fails_moves_nothing_and_a_restart_resumes_at_the_watermark(
    db: Database, demo: dict[str, Any], tmp_path: Path, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    file_id = received(db, tmp_path, cent_refunds(GROUPS))
    real_apply = service.apply_refunds
    calls = 0

    def crash_on_third_batch(*args: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise Killed("killed mid-batch")
        real_apply(*args)

    monkeypatch.setattr(service, "apply_refunds", crash_on_third_batch)
    with pytest.raises(Killed):
        service.process(db, file_id)
    # Rows 2..13, one group each: two batches settled, the third rolled back whole.
    assert watermark(db, file_id) == 1 + 2 * BATCH
    assert refunds_applied(db) == 2 * BATCH

    monkeypatch.setattr(service, "apply_refunds", real_apply)
    outcome = service.complete(db, file_id, AckFolder(tmp_path / "Acks"))
    ack = read_ack(Path(outcome.ack_location).read_bytes())
    assert [a["Status"] for a in ack] == ["TRUE"] * GROUPS
    assert (outcome.file.rows_ok, outcome.file.rows_failed) == (GROUPS, 0)
    assert refunds_applied(db) == GROUPS and tees_refunded(db) == Decimal("0.12")
    assert watermark(db, file_id) == 1 + GROUPS


def test_two_processors_on_one_file_apply_each_group_once(
    db: Database, demo: dict[str, Any], tmp_path: Path, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    file_id = received(db, tmp_path, cent_refunds(GROUPS))
    # Both read the first batch before either settles it: one claims it, the other must skip it.
    both_read = threading.Barrier(2, timeout=30)
    real_read = service._read_batch
    first_reads: set[int] = set()

    def read_together(db_: Database, file_id_: int, after: int, limit: int) -> Any:
        batch = real_read(db_, file_id_, after, limit)
        if after == 0 and threading.get_ident() not in first_reads:
            first_reads.add(threading.get_ident())
            both_read.wait()
        return batch

    monkeypatch.setattr(service, "_read_batch", read_together)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            service.process(db, file_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)  # neither stuck behind the other
    assert not errors, errors
    assert len(first_reads) == 2
    assert refunds_applied(db) == GROUPS and tees_refunded(db) == Decimal("0.12")

    outcome = service.complete(db, file_id, AckFolder(tmp_path / "Acks"))
    ack = read_ack(Path(outcome.ack_location).read_bytes())
    assert [a["Status"] for a in ack] == ["TRUE"] * GROUPS
    assert refunds_applied(db) == GROUPS


def test_a_batch_meeting_a_concurrent_duplicate_is_judged_again_and_only_that_group_fails(
    db: Database, demo: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should a check for applied alt_refund_ids ever miss one (another processor's insert), the
    unique key refuses the insert, and the batch is settled again from scratch."""
    (tmp_path / "first").mkdir()
    first = tmp_path / "first" / GOOD_NAME
    first.write_bytes(cents("K2"))
    service.handle(db, Inbound(1, GOOD_NAME, first, Source.CLI), AckFolder(tmp_path / "Acks1"))
    assert refunds_applied(db) == 1

    real_used = repository.used_alt_refund_ids
    checks = 0

    def misses_once(*args: Any) -> set[tuple[str, str]]:
        nonlocal checks
        checks += 1
        return set() if checks == 1 else real_used(*args)

    monkeypatch.setattr(repository, "used_alt_refund_ids", misses_once)
    second = tmp_path / GOOD_NAME
    second.write_bytes(cents("K1", "K2", "K3"))
    outcome = service.handle(db, Inbound(1, GOOD_NAME, second, Source.CLI), AckFolder(tmp_path / "Acks"))

    assert checks == 2  # the batch was judged twice
    ack = read_ack(Path(outcome.ack_location).read_bytes())
    assert [a["Status"] for a in ack] == ["TRUE", "FALSE", "TRUE"]
    assert ack[1]["ErrorMessage"].startswith("alt_refund_id: duplicate alt_refund_id: 'K2'")
    assert refunds_applied(db) == 3 and tees_refunded(db) == Decimal("0.03")


def test_a_file_waiting_for_another_files_order_locks_judges_against_what_that_one_applied(
    db: Database, demo: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two files of one merchant refund the same line at once: the second waits for the first's
    order locks and must then see the first one's refunds (no total read from before they were
    applied, so none overwritten and none overspent)."""
    first_locked, second_started = threading.Event(), threading.Event()
    real_lock = repository.lock_orders

    def first_holds_its_locks(*args: Any) -> Any:
        orders = real_lock(*args)
        if not first_locked.is_set():
            first_locked.set()
            assert second_started.wait(30)
            time.sleep(1.0)  # the second file's lock read is waiting for this transaction by now
        return orders

    monkeypatch.setattr(repository, "lock_orders", first_holds_its_locks)
    paths = []
    for folder, alts in (("first", ("A1", "A2")), ("second", ("B1", "B2", "B3"))):
        (tmp_path / folder).mkdir()
        paths.append(tmp_path / folder / GOOD_NAME)
        paths[-1].write_bytes(cents(*alts))
    errors: list[BaseException] = []

    def run(path: Path) -> None:
        try:
            service.handle(db, Inbound(1, GOOD_NAME, path, Source.CLI), AckFolder(path.parent / "Acks"))
        except BaseException as exc:
            errors.append(exc)

    first = threading.Thread(target=run, args=(paths[0],))
    first.start()
    assert first_locked.wait(30)
    second = threading.Thread(target=run, args=(paths[1],))
    second.start()
    second_started.set()
    for thread in (first, second):
        thread.join(60)
    assert not first.is_alive() and not second.is_alive()
    assert not errors, errors
    assert refunds_applied(db) == 5 and tees_refunded(db) == Decimal("0.05")
