"""Refund-file processing: the one service behind every door (FTP server, poller, REST, CLI).

A file goes through four steps, each safe to repeat after a crash:

1. receive: the rows are staged in one transaction (or the file is recorded as unreadable). The
   same upload arriving again while unfinished resumes that file instead of starting another.
2. process: one transaction per (merchant_order_id, alt_refund_id) group applies the refund and
   stores each row's verdict; a group already settled is skipped, so a restart never applies twice.
3. the ack is written from the stored verdicts and handed to the door's sink (a folder, an FTP
   site, an HTTP response).
4. the file is marked done, only after the sink took the ack.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from homeward.config import get_settings
from homeward.db import Database
from homeward.events.outbox import record_refund_applied
from homeward.kit.clock import utcnow
from homeward.kit.errors import NotFound
from homeward.marketplace.domain import MarketplaceOrderStatus
from homeward.marketplace.models import MarketplaceOrder
from homeward.refunds import csv_format, domain, repository
from homeward.refunds.csv_format import UnreadableFile
from homeward.refunds.domain import ItemFacts, OrderFacts, RefundRow, RowResult
from homeward.refunds.models import RefundFile
from homeward.refunds.records import FileOutcome, FileRecord, FileStatus, Inbound, Source, file_record
from homeward.tenants.models import Merchant

GROUP_BATCH = 500
ACK_BATCH = 2000


class AckSink(Protocol):
    """Where a door wants its acks: takes the ack's name and bytes, says where it put them."""

    def deliver(self, ack_name: str, chunks: Iterator[bytes]) -> str: ...


def handle(
    db: Database, inbound: Inbound, sink: AckSink, *, on_received: Callable[[FileRecord], None] | None = None
) -> FileOutcome:
    """Everything a door does with a new file: receive, process, deliver the ack, mark done.

    `on_received` runs once the rows are safely staged (the FTP server empties its inbox there).
    """
    record = receive(db, inbound)
    if on_received is not None:
        on_received(record)
    return complete(db, record.id, sink)


def complete(db: Database, file_id: int, sink: AckSink) -> FileOutcome:
    """Finish a received file from the database alone (also how a restart resumes one)."""
    finish(db, file_id)
    location = sink.deliver(_ack_name(db, file_id), ack_chunks(db, file_id))
    return FileOutcome(mark_done(db, file_id), location)


def finish(db: Database, file_id: int) -> FileRecord:
    """Settle every group, then seal the file: its ack may be written from here on."""
    process(db, file_id)
    return seal(db, file_id)


def receive(db: Database, inbound: Inbound) -> FileRecord:
    digest = _sha256(inbound.path)
    try:
        return _receive(db, inbound, digest)
    except IntegrityError:
        # Another process received the very same upload a moment ago: resume that one.
        with db.read() as session:
            row = repository.unfinished_upload(session, inbound.merchant_id, inbound.name, digest)
            if row is None:
                raise
            return file_record(row)


def _receive(db: Database, inbound: Inbound, digest: str) -> FileRecord:
    with db.write() as session:
        if session.get(Merchant, inbound.merchant_id) is None:
            raise NotFound(f"Merchant {inbound.merchant_id} does not exist")
        existing = repository.unfinished_upload(session, inbound.merchant_id, inbound.name, digest)
        if existing is not None:
            return file_record(existing)
        row = RefundFile(
            merchant_id=inbound.merchant_id,
            name=inbound.name[:255],
            source=inbound.source.value,
            origin=inbound.origin[:500],
            sha256=digest,
            status=FileStatus.PROCESSING.value,
            received_at=utcnow(),
        )
        session.add(row)
        session.flush()
        row.rejection = domain.file_name_problem(inbound.name)
        if row.rejection is None:
            _stage(session, row, inbound.path)
        session.flush()
        return file_record(row)


def _stage(session: Session, row: RefundFile, path: Path) -> None:
    """Copy every row into the database, streaming; an unreadable file keeps none and says why."""
    with path.open("rb") as stream:
        row.has_bom = csv_format.has_bom(stream)
        try:
            with session.begin_nested():
                staged = (
                    (number, domain.group_key(number, cells), cells)
                    for number, cells in csv_format.read_rows(stream)
                )
                row.row_count = repository.stage_rows(session, row.id, staged)
                repository.index_groups(session, row.id)
        except UnreadableFile as exc:
            row.rejection = exc.reason[:1000]
            row.row_count = 0
            return
    if row.row_count == 0:
        row.rejection = "the file has a header row but no refund rows"


def process(db: Database, file_id: int) -> None:
    """Settle every group not settled yet, in the order the groups first appear in the file."""
    delay = get_settings().refunds_test_group_delay
    merchant_id = _file(db, file_id).merchant_id
    after = 0
    with repository.group_connection(db) as connection:
        while True:
            with db.read() as session:  # staged rows never change: read them a batch at a time
                batch = repository.pending_groups(session, file_id, after, GROUP_BATCH)
                rows = repository.rows_of_groups(session, file_id, [key for key, _ in batch])
            if not batch:
                return
            for group_key, first_row in batch:
                parsed = [domain.parse_row(number, cells) for number, cells in rows[group_key]]
                _settle_group(connection, file_id, merchant_id, group_key, parsed)
                after = first_row
                if delay:
                    time.sleep(delay)  # tests only: widen the window for a kill mid-file


def _settle_group(
    connection: Connection, file_id: int, merchant_id: int, group_key: str, rows: list[RefundRow]
) -> None:
    """One transaction: claim the group, judge its rows, apply the refund if all pass, keep verdicts."""
    for attempt in (1, 2):
        try:
            with connection.begin():
                if not repository.claim_group(connection, file_id, group_key):
                    return  # settled by another processor (or before a restart)
                keyed = not group_key.startswith("row:")
                results = _judge_and_apply(connection, file_id, merchant_id, rows, keyed=keyed)
                repository.save_verdicts(connection, file_id, results)
            return
        except IntegrityError:
            # Another processor applied the same alt_refund_id between our check and our insert;
            # judged again, the group is a duplicate.
            if attempt == 2:
                raise


def _judge_and_apply(
    connection: Connection, file_id: int, merchant_id: int, rows: list[RefundRow], *, keyed: bool
) -> list[RowResult]:
    first = rows[0]
    order: repository.LockedOrder | None = None
    if first.merchant_order_id and len(first.merchant_order_id) <= domain.ID_MAX:
        order = repository.lock_order(connection, merchant_id, first.merchant_order_id, first.alt_refund_id)
    applied = keyed and order is not None and order.alt_refund_id_used
    results = domain.settle_group(rows, _facts(order), already_applied=applied)
    if order is not None and all(r.ok for r in results):
        _apply(connection, file_id, merchant_id, order, rows)
    return results


def _facts(order: repository.LockedOrder | None) -> OrderFacts | None:
    if order is None:
        return None
    return OrderFacts(
        merchant_order_id=order.merchant_order_id,
        status=MarketplaceOrderStatus(order.status),
        items={
            key: ItemFacts(key, item.quantity, item.charged, item.refunded_quantity, item.refunded)
            for key, item in order.items.items()
        },
    )


def _apply(
    connection: Connection,
    file_id: int,
    merchant_id: int,
    order: repository.LockedOrder,
    rows: list[RefundRow],
) -> None:
    refund_id = repository.insert_refund(
        connection,
        merchant_id=merchant_id,
        marketplace_order_id=order.id,
        merchant_order_id=order.merchant_order_id,
        alt_refund_id=rows[0].alt_refund_id,
        file_id=file_id,
        created_at=utcnow(),
    )
    lines, totals = [], []
    for row in rows:
        item = order.items[row.order_item_id]
        assert row.amounts is not None and row.quantity_refunded is not None and row.reason is not None
        assert row.quantity_returned is not None
        return_id = None
        if order.store_order_id and item.inventory_id is not None:
            return_id = repository.return_for_item(
                connection, merchant_id, order.store_order_id, item.inventory_id
            )
        lines.append(
            {
                "refund_id": refund_id,
                "item_id": item.id,
                "return_id": return_id,
                "row_number": row.row_number,
                "quantity_returned": row.quantity_returned,
                "quantity_refunded": row.quantity_refunded,
                "reason": row.reason,
                "feedback": row.feedback.value if row.feedback else None,
                "notes": row.notes,
                **dict(row.amounts.items()),
            }
        )
        totals.append((item.id, item.refunded_quantity + row.quantity_refunded, item.refunded + row.amounts))
    repository.insert_lines(connection, lines)
    repository.set_refunded(connection, totals)
    record_refund_applied(connection, merchant_id, refund_id)  # refund.applied, same transaction


def ack_chunks(db: Database, file_id: int) -> Iterator[bytes]:
    """The ack, as CSV bytes, read from the stored verdicts a batch at a time."""
    with db.read() as session:
        file = session.get(RefundFile, file_id)
        if file is None:
            raise NotFound(f"Refund file {file_id} was not found")
        rejection, bom = file.rejection, file.has_bom
    if bom:
        yield csv_format.BOM
    if rejection is not None:
        yield from csv_format.rejection_ack(rejection)
        return
    writer = csv_format.AckWriter()
    yield writer.encode([domain.ACK_COLUMNS])
    after = 0
    while True:
        with db.read() as session:
            batch = repository.verdicts_after(session, file_id, after, ACK_BATCH)
        if not batch:
            return
        for _, _, ok, _ in batch:
            if ok is None:
                raise RuntimeError(f"refund file {file_id} has unsettled rows; process it first")
        yield writer.encode(csv_format.ack_row(cells, bool(ok), error or "") for _, cells, ok, error in batch)
        after = batch[-1][0]


def seal(db: Database, file_id: int) -> FileRecord:
    """Count the verdicts, in a transaction committed durably.

    Group transactions may commit without waiting for the disk (PostgreSQL's asynchronous
    commit: a killed process loses nothing, only a crash of the database server could). This
    commit waits, and the log is written in order, so once it returns every group before it is
    on disk too: no ack ever reports a refund that a database crash could take back.
    """
    with db.write() as session:
        file = session.get(RefundFile, file_id, with_for_update=True)
        if file is None:
            raise NotFound(f"Refund file {file_id} was not found")
        counts = (0, 1) if file.rejection is not None else repository.verdict_counts(session, file_id)
        # Written even when unchanged: this commit must reach the disk (see above).
        repository.store_counts(session, file_id, *counts)
        return file_record(file)


def mark_done(db: Database, file_id: int) -> FileRecord:
    """The ack was delivered: the file will not be worked on again."""
    with db.write() as session:
        file = session.get(RefundFile, file_id, with_for_update=True)
        if file is None:
            raise NotFound(f"Refund file {file_id} was not found")
        if file.status != FileStatus.DONE.value:
            file.status = FileStatus.DONE.value
            file.finished_at = utcnow()
        return file_record(file)


def unfinished(db: Database, source: Source, origin: str | None = None) -> list[FileRecord]:
    """Files of one door that were received but whose ack was not delivered (a crash, a kill)."""
    with db.read() as session:
        query = select(RefundFile).where(
            RefundFile.status == FileStatus.PROCESSING.value, RefundFile.source == source.value
        )
        if origin is not None:
            query = query.where(RefundFile.origin == origin)
        return [file_record(row) for row in session.scalars(query.order_by(RefundFile.id))]


def merchants_with_marketplace_orders(db: Database) -> list[int]:
    with db.read() as session:
        return list(
            session.scalars(
                select(MarketplaceOrder.merchant_id).distinct().order_by(MarketplaceOrder.merchant_id)
            )
        )


def _ack_name(db: Database, file_id: int) -> str:
    return _file(db, file_id).ack_name


def _file(db: Database, file_id: int) -> FileRecord:
    with db.read() as session:
        file = session.get(RefundFile, file_id)
        if file is None:
            raise NotFound(f"Refund file {file_id} was not found")
        return file_record(file)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
