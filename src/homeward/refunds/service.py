"""Refund-file processing: the one service behind every door (FTP server, poller, REST, CLI).

A file goes through four steps, each safe to repeat after a crash:

1. receive: the rows are staged in one transaction (or the file is recorded as unreadable). The
   same upload arriving again while unfinished resumes that file instead of starting another.
2. process: the (merchant_order_id, alt_refund_id) groups are settled thousands per transaction
   (HOMEWARD_REFUNDS_GROUPS_PER_TRANSACTION), in the order of their first rows, with a few
   set-based statements each: a batch is claimed by moving the file's watermark
   (settled_through, one compare-and-set) in the transaction that applies its refunds and stores
   its failed rows' verdicts, so a restart resumes at the watermark and never applies anything
   twice, and a second processor of the same file skips what the first claimed.
3. the ack is written from the stored verdicts and handed to the door's sink (a folder, an FTP
   site, an HTTP response).
4. the file is marked done, only after the sink took the ack.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from homeward.config import get_settings
from homeward.db import Database
from homeward.events.outbox import record_refunds_applied
from homeward.kit import gcpause
from homeward.kit.clock import utcnow
from homeward.kit.errors import NotFound
from homeward.marketplace.domain import Amounts, MarketplaceOrderStatus
from homeward.marketplace.models import MarketplaceOrder
from homeward.refunds import csv_format, domain, repository
from homeward.refunds.csv_format import UnreadableFile
from homeward.refunds.domain import ItemFacts, OrderFacts, RefundRow, RowResult
from homeward.refunds.models import RefundFile
from homeward.refunds.records import FileOutcome, FileRecord, FileStatus, Inbound, Source, file_record
from homeward.tenants.models import Merchant

ACK_BATCH = 5_000


class AckSink(Protocol):
    """Where a door wants its acks: takes the ack's name and bytes, says where it put them."""

    def deliver(self, ack_name: str, chunks: Iterator[bytes]) -> str: ...


def handle(
    db: Database, inbound: Inbound, sink: AckSink, *, on_received: Callable[[FileRecord], None] | None = None
) -> FileOutcome:
    """Everything a door does with a new file: receive, process, deliver the ack, mark done.

    `on_received` runs once the rows are safely staged (the FTP server empties its inbox there).
    """
    with gcpause.paused():
        record = receive(db, inbound)
    if on_received is not None:
        on_received(record)
    return complete(db, record.id, sink)


def complete(db: Database, file_id: int, sink: AckSink) -> FileOutcome:
    """Finish a received file from the database alone (also how a restart resumes one)."""
    with gcpause.paused():
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
                row.row_count = repository.stage_rows(session, row.id, _grouped(csv_format.read_rows(stream)))
        except UnreadableFile as exc:
            row.rejection = exc.reason[:1000]
            row.row_count = 0
            return
    if row.row_count == 0:
        row.rejection = "the file has a header row but no refund rows"


def _grouped(rows: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, int, list[str]]]:
    """(row number, the first row of its group, cells): the key of each group is held only while
    the file is staged (a row naming no group is its own)."""
    firsts: dict[str, int] = {}
    first_of = firsts.setdefault
    key_of = domain.group_key
    for number, cells in rows:
        key = key_of(cells)
        yield number, number if key is None else first_of(key, number), cells


def process(db: Database, file_id: int) -> None:
    """Settle every group not settled yet, in the order the groups first appear in the file.

    Groups are settled a batch at a time, one transaction per batch (see _settle_batch): a crash
    loses at most the batch in flight, which the next run settles again from scratch. A batch is
    read and parsed before its transaction begins (see _batches), so the transaction holds its
    locks (SQLite's only writer lock above all) for the database work alone. Should another
    processor have claimed a batch first, this one goes on from that processor's watermark.
    """
    settings = get_settings()
    delay = settings.refunds_test_group_delay
    per_transaction = max(1, settings.refunds_groups_per_transaction)
    merchant_id = _file(db, file_id).merchant_id
    with repository.group_connection(db) as connection:
        ahead = connection.dialect.name == "postgresql"
        after: int | None = _settled_through(db, file_id)
        while after is not None:
            start, after = after, None
            for last, groups in _batches(db, file_id, per_transaction, start, ahead=ahead):
                with db.writer_turn():
                    claimed = _settle_batch(connection, file_id, merchant_id, (start, last), groups)
                gcpause.collect_young()  # this batch's cycles (sessions), so memory stays flat
                if not claimed:
                    after = _settled_through(db, file_id)  # read again from where the other one is
                    break
                if delay:
                    time.sleep(delay)  # tests only: widen the window for a kill mid-file
                start = last


def _settled_through(db: Database, file_id: int) -> int:
    with db.read() as session:
        return repository.settled_through(session, file_id)


Batch = tuple[int, list[tuple[int, list[RefundRow]]]]


def _batches(db: Database, file_id: int, limit: int, after: int, *, ahead: bool) -> Iterator[Batch]:
    """The file's groups whose first row is after `after`, `limit` at a time, parsed (see _read_batch).

    With `ahead`, the next batch is read and parsed on another thread while the caller settles
    this one: worth it where the database works in another process (PostgreSQL). Not on SQLite,
    whose work shares this process's CPU, and where the pause between batches is what lets
    another merchant's file take the writer turn (a thread asking for a lock again the moment it
    let go wins it back before the woken waiter runs). Staged rows never change, and a group
    read early is still claimed, or found claimed, in its own transaction.
    """
    if not ahead:
        while (batch := _read_batch(db, file_id, after, limit)) is not None:
            yield batch
            after = batch[0]
        return
    with ThreadPoolExecutor(1, thread_name_prefix="refund-batches") as reader:
        upcoming = reader.submit(_read_batch, db, file_id, after, limit)
        while (batch := upcoming.result()) is not None:
            upcoming = reader.submit(_read_batch, db, file_id, batch[0], limit)
            yield batch


def _read_batch(db: Database, file_id: int, after: int, limit: int) -> Batch | None:
    """The next `limit` groups whose first row is after row `after`, parsed: (their last first row,
    the groups), or None when none is left."""
    with gcpause.paused(), db.read() as session:
        found = repository.next_groups(session, file_id, after, limit)
    if found is None:
        return None
    last, groups = found
    parse = domain.parse_row
    return last, [(first, [parse(number, cells) for number, cells in rows]) for first, rows in groups]


def _settle_batch(
    connection: Connection,
    file_id: int,
    merchant_id: int,
    span: tuple[int, int],
    groups: list[tuple[int, list[RefundRow]]],
) -> bool:
    """One transaction for the groups whose first row is in the span: claim them (move the file's
    watermark from the span's start to its end), lock their orders, judge each group in file order
    against what the groups before it left, apply the refunds of those that pass, and keep the
    failed rows' verdicts. Set-based: a few statements for the whole batch, not per group.
    False if the span was not this processor's to settle (the watermark had moved)."""
    for attempt in (1, 2):
        try:
            with connection.begin():
                if not repository.claim_span(connection, file_id, *span):
                    return False  # settled by another processor (or before a restart)
                _judge_and_apply(connection, file_id, merchant_id, groups)
            return True
        except IntegrityError:
            # Another processor applied one of these alt_refund_ids between our check and our
            # insert (it cannot while we hold the orders' locks, but the unique key is the last
            # word): the whole batch was rolled back; judged again, with the orders locked first,
            # the check sees that refund and only its group fails, as a duplicate.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _judge_and_apply(
    connection: Connection, file_id: int, merchant_id: int, groups: list[tuple[int, list[RefundRow]]]
) -> None:
    names = {rows[0].merchant_order_id for _, rows in groups if _looks_up_order(rows[0])}
    orders = repository.lock_orders(connection, merchant_id, names)
    # A row naming no alt_refund_id (or a bad one) fails on its own, and no refund has such an id.
    used = repository.used_alt_refund_ids(
        connection,
        merchant_id,
        {
            (rows[0].merchant_order_id, rows[0].alt_refund_id)
            for _, rows in groups
            if rows[0].merchant_order_id in orders
        },
    )
    ledger = _Ledger(orders)
    failed: list[RowResult] = []
    applied: list[AppliedGroup] = []
    for _, rows in groups:
        first = rows[0]
        order = orders.get(first.merchant_order_id) if _looks_up_order(first) else None
        already = (first.merchant_order_id, first.alt_refund_id) in used
        facts = ledger.facts(order)
        if order is not None and facts is not None and not already and domain.group_passes(rows, facts):
            applied.append(ledger.apply(order, rows))  # the usual group: no verdicts to build
            continue
        results = domain.settle_group(rows, facts, already_applied=already)
        if order is not None and all(r.ok for r in results):
            applied.append(ledger.apply(order, rows))
        else:
            failed.extend(results)
    apply_refunds(connection, file_id, merchant_id, applied, ledger)
    repository.save_failed_verdicts(connection, file_id, failed)


def _looks_up_order(first: RefundRow) -> bool:
    return bool(first.merchant_order_id) and len(first.merchant_order_id) <= domain.ID_MAX


@dataclass(frozen=True)
class AppliedGroup:
    """One refund that passed every rule, about to be stored: its order and its rows."""

    order: repository.LockedOrder
    alt_refund_id: str
    rows: list[RefundRow]


class _Ledger:
    """What the orders of a batch have had refunded so far, including by the batch's own earlier
    groups: each group is judged against the totals the groups before it left."""

    def __init__(self, orders: dict[str, repository.LockedOrder]) -> None:
        # One OrderFacts per order, its items' facts replaced as groups are applied.
        self.orders = {
            name: OrderFacts(
                name,
                MarketplaceOrderStatus(order.status),
                {key: item.facts for key, item in order.items.items()},
            )
            for name, order in orders.items()
        }
        self.touched: dict[int, ItemFacts] = {}  # by item id: the items' new totals

    def facts(self, order: repository.LockedOrder | None) -> OrderFacts | None:
        return None if order is None else self.orders[order.merchant_order_id]

    def apply(self, order: repository.LockedOrder, rows: list[RefundRow]) -> AppliedGroup:
        items = self.orders[order.merchant_order_id].items
        for row in rows:
            assert row.amounts is not None and row.quantity_refunded is not None
            key = row.order_item_id
            item = items[key]
            items[key] = self.touched[order.items[key].id] = ItemFacts(
                item.order_item_id,
                item.quantity,
                item.charged,
                item.refunded_quantity + row.quantity_refunded,
                item.refunded + row.amounts,
            )
        return AppliedGroup(order, rows[0].alt_refund_id, rows)

    def totals(self) -> list[tuple[int, int, Amounts]]:
        return [
            (id_, self.touched[id_].refunded_quantity, self.touched[id_].refunded)
            for id_ in sorted(self.touched)
        ]


def apply_refunds(
    connection: Connection, file_id: int, merchant_id: int, applied: list[AppliedGroup], ledger: _Ledger
) -> None:
    """THE place where refunds are applied: the refunds of one batch (or of one group) that passed,
    stored in the batch's transaction with their lines, the items' new refunded totals, and the
    Homeward return each line pays for. Whatever must happen exactly once per applied refund
    (an event, a notification) belongs here, in the same transaction."""
    if not applied:
        return
    refund_ids = repository.insert_refunds(
        connection,
        merchant_id,
        file_id,
        [(group.order.id, group.order.merchant_order_id, group.alt_refund_id) for group in applied],
    )
    returns = repository.open_returns_of_orders(
        connection, merchant_id, {g.order.store_order_id for g in applied if g.order.store_order_id}
    )
    lines = []
    amounts = repository.amount_parts(connection)
    for refund_id, group in zip(refund_ids, applied, strict=True):
        store_order = group.order.store_order_id
        for row in group.rows:
            item = group.order.items[row.order_item_id]
            assert row.amounts is not None and row.reason is not None
            return_id = (
                returns.get((store_order, item.inventory_id))
                if store_order and item.inventory_id is not None
                else None
            )
            lines.append(
                (
                    refund_id,
                    item.id,
                    return_id,
                    row.row_number,
                    row.quantity_returned,
                    row.quantity_refunded,
                    row.reason,
                    row.feedback.value if row.feedback else None,
                    row.notes,
                    *amounts(row.amounts),
                )
            )
    repository.insert_lines(connection, lines)
    repository.set_refunded(connection, ledger.totals())
    record_refunds_applied(connection, merchant_id, refund_ids)  # refund.applied, same transaction


def ack_chunks(db: Database, file_id: int) -> Iterator[bytes]:
    """The ack, as CSV bytes, read from the stored verdicts a batch at a time."""
    with db.read() as session:
        file = session.get(RefundFile, file_id)
        if file is None:
            raise NotFound(f"Refund file {file_id} was not found")
        rejection, bom, through = file.rejection, file.has_bom, file.settled_through
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
            batch = repository.verdicts_after(session, file_id, through, after, ACK_BATCH)
        if not batch:
            return
        for _, _, ok, _ in batch:
            if ok is None:
                raise RuntimeError(f"refund file {file_id} has unsettled rows; process it first")
        yield csv_format.encode_staged_ack(
            writer, [(line, bool(ok), error or "") for _, line, ok, error in batch]
        )
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
        counts = (
            (0, 1)
            if file.rejection is not None
            else repository.verdict_counts(session, file_id, file.settled_through)
        )
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
