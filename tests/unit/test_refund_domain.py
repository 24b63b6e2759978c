"""Refund-file rules as pure functions: names, rows, partial refunds, and what a group may take."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homeward.marketplace.domain import Amounts, MarketplaceOrderStatus
from homeward.refunds import csv_format, domain
from homeward.refunds.domain import COLUMNS, ItemFacts, OrderFacts, RefundFeedback, parse_row, settle_group

CENT = Decimal("0.01")


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("JET_REFUND_072316143000.csv", True),
        ("JET_REFUND_022924000000.csv", True),  # 29 February 2024 existed
        ("jet_refund_123199235959.CSV", True),
        ("JET_REFUND_022923000000.csv", False),  # 29 February 2023 did not
        ("JET_REFUND_072316240000.csv", False),
        ("JET_REFUND_072316146000.csv", False),
        ("JET_REFUND_07231614300.csv", False),
        ("JET_REFUND_072316143000.txt", False),
        ("REFUND_072316143000.csv", False),
        ("JET_REFUND_072316143000.csv.csv", False),
    ],
)
def test_file_names(name: str, ok: bool) -> None:
    assert (domain.file_name_problem(name) is None) is ok


def test_ack_names_and_names_still_uploading() -> None:
    assert domain.ack_name("JET_REFUND_072316143000.csv") == "JET_REFUND_072316143000_Ack.csv"
    assert domain.ack_name("notes.txt") == "notes.txt_Ack.csv"
    assert all(
        domain.is_in_progress_name(n) for n in (".hidden.csv", "a.csv.part", "a.csv.filepart", "a.tmp")
    )
    assert not domain.is_in_progress_name("JET_REFUND_072316143000.csv")


def test_header_in_any_case_with_trailing_empty_columns() -> None:
    assert domain.header_problem([c.upper() for c in COLUMNS] + ["", " "]) is None
    assert "lacks column 12 'shipping_tax'" in (domain.header_problem(list(COLUMNS[:11])) or "")
    assert "13 columns" in (domain.header_problem([*COLUMNS, "extra"]) or "")


def cells(**overrides: str) -> list[str]:
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        merchant_order_id="O",
        alt_refund_id="A",
        order_item_id="I",
        total_quantity_returned="1",
        order_return_refund_qty="1",
        refund_reason="Unwanted gift",
        principal="10",
    )
    row.update(overrides)
    return [row[c] for c in COLUMNS]


def test_a_row_is_read_with_cells_trimmed_and_money_in_cents() -> None:
    row = parse_row(2, cells(alt_refund_id=" A ", principal=" 10.5 ", refund_feedback=" Item Damaged "))
    assert row.complete and row.alt_refund_id == "A" and row.feedback is RefundFeedback.ITEM_DAMAGED
    assert row.amounts == Amounts(Decimal("10.50"), Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
    assert str(row.amounts.principal) == "10.50"


def test_every_bad_quantity_and_amount_is_named_in_column_order_each_time_it_is_read() -> None:
    """Quantities and amounts are read once per distinct cell (cached): a cell read again, in
    another row or with other neighbours, says the same."""
    bad = cells(
        total_quantity_returned="1000001",
        order_return_refund_qty=" 7x ",
        principal="-1",
        tax="x",
        shipping_cost="1.234",
        shipping_tax="2",
    )
    expected = [
        "total_quantity_returned: must be at most 1,000,000",
        "order_return_refund_qty: must be a whole number, got '7x'",
        "principal: must be 0 or more, got -1",
        "tax: must be an amount like 12.34, got 'x'",
        "shipping_cost: must have at most two decimal places, got 1.234",
    ]
    for number in (2, 3):
        row = parse_row(number, bad)
        assert [str(e) for e in row.errors] == expected
        assert row.amounts is None and row.quantity_returned is None and row.quantity_refunded is None
    good = parse_row(4, cells(total_quantity_returned="1000000", tax="2", shipping_tax="2"))
    assert good.complete and good.quantity_returned == 1_000_000
    assert good.amounts == Amounts(Decimal("10.00"), Decimal("2.00"), Decimal("0.00"), Decimal("2.00"))


def test_the_group_key_ignores_surrounding_blanks_and_isolates_rows_without_ids() -> None:
    assert domain.group_key(cells(alt_refund_id=" A ")) == domain.group_key(cells())
    assert domain.group_key(cells(alt_refund_id="B")) != domain.group_key(cells())
    assert domain.group_key(cells(merchant_order_id="ab", alt_refund_id="c")) != domain.group_key(
        cells(merchant_order_id="a", alt_refund_id="bc")
    )
    assert domain.group_key(cells(alt_refund_id="")) is None


def item(quantity: int, *amounts: str, refunded_quantity: int = 0) -> ItemFacts:
    return ItemFacts("I", quantity, Amounts(*(Decimal(a) for a in amounts)), refunded_quantity, Amounts())


def test_partial_is_judged_without_rounding_per_unit() -> None:
    """Three units for 10.00: one unit is 3.333..., so 3.33 is partial and 3.34 is not."""
    three = item(3, "10.00", "0", "0", "0")
    assert domain.is_partial(parse_row(2, cells(principal="3.33")), three)
    assert not domain.is_partial(parse_row(2, cells(principal="3.34")), three)
    assert not domain.is_partial(parse_row(2, cells(order_return_refund_qty="0", principal="1")), three)


def test_settling_reports_the_group_as_a_whole() -> None:
    order = OrderFacts("O", MarketplaceOrderStatus.COMPLETED, {"I": item(2, "20", "0", "0", "0")})
    results = settle_group(
        [parse_row(2, cells()), parse_row(3, cells(order_item_id="X", principal="1"))],
        order,
        already_applied=False,
    )
    assert [r.ok for r in results] == [False, False]
    assert results[0].message == "alt_refund_id: not applied: row(s) 3 of alt_refund_id 'A' failed"
    assert results[1].message == "order_item_id: 'X' is not an item of order 'O'"
    duplicate = settle_group([parse_row(2, cells())], order, already_applied=True)
    assert duplicate[0].message.startswith("alt_refund_id: duplicate alt_refund_id")


amounts = st.decimals(min_value=0, max_value=50, places=2)


@st.composite
def rows(draw: st.DrawFn) -> list[str]:
    return cells(
        alt_refund_id=draw(st.sampled_from(["A", "B", "C"])),
        total_quantity_returned=str(draw(st.integers(0, 4))),
        order_return_refund_qty=str(draw(st.integers(0, 4))),
        refund_feedback=draw(st.sampled_from(["", "item damaged"])),
        principal=str(draw(amounts)),
        tax=str(draw(amounts)),
        shipping_cost=str(draw(amounts)),
        shipping_tax=str(draw(amounts)),
    )


@settings(max_examples=300, deadline=None)
@given(
    quantity=st.integers(1, 4),
    charged=st.tuples(amounts, amounts, amounts, amounts),
    groups=st.lists(st.lists(rows(), min_size=1, max_size=2), max_size=12),
)
def test_no_sequence_of_accepted_refunds_takes_more_than_was_charged(
    quantity: int, charged: tuple[Decimal, ...], groups: list[list[list[str]]]
) -> None:
    """Apply every group the rules accept, in order; whatever arrives, each part stays within its charge."""
    facts = ItemFacts("I", quantity, Amounts(*charged), 0, Amounts())
    for group in groups:
        parsed = [parse_row(n, raw) for n, raw in enumerate(group, start=2)]
        results = settle_group(
            parsed, OrderFacts("O", MarketplaceOrderStatus.IN_PROGRESS, {"I": facts}), already_applied=False
        )
        if all(r.ok for r in results):
            for row in parsed:
                assert row.amounts is not None and row.quantity_refunded is not None
                facts = ItemFacts(
                    "I",
                    quantity,
                    facts.charged,
                    facts.refunded_quantity + row.quantity_refunded,
                    facts.refunded + row.amounts,
                )
        assert facts.refunded_quantity <= quantity
        for name, refunded in facts.refunded.items():
            assert refunded <= getattr(facts.charged, name)


@given(st.lists(st.lists(st.text(max_size=12), max_size=14), min_size=1, max_size=5))
@settings(max_examples=300)
def test_staged_cells_read_back_exactly_and_hold_no_nul(rows: list[list[str]]) -> None:
    """Staged rows keep their cells as CSV records (JSON where CSV cannot: a NUL): whatever a row
    holds comes back as it was, and nothing stored holds a NUL (PostgreSQL text cannot)."""
    encode = csv_format.LineEncoder()
    lines = [encode(cells) for cells in rows]
    assert not any("\x00" in line for line in lines)
    assert csv_format.decode_lines(lines) == rows


TRICKY_CELLS = st.lists(
    st.text(alphabet=st.sampled_from([",", '"', "\r", "\n", " ", "a", "é", "\x00", "\x01"]), max_size=5)
    | st.text(max_size=8),
    max_size=14,
)


def csv_record(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()[:-2]


@given(st.lists(TRICKY_CELLS, min_size=1, max_size=5))
@settings(max_examples=500)
def test_a_staged_row_is_the_csv_writers_record_of_its_cells(rows: list[list[str]]) -> None:
    """Rows staged at any time read back alike: the record is the csv writer's (JSON, marked, only
    where CSV cannot hold the row)."""
    encode = csv_format.LineEncoder()
    for cells in rows:
        line = encode(cells)
        if "\x00" in "".join(cells) or csv_record(cells).startswith(csv_format.JSON_MARK):
            assert line.startswith(csv_format.JSON_MARK)
        else:
            assert line == csv_record(cells)


@given(
    st.lists(st.tuples(TRICKY_CELLS, st.booleans(), st.sampled_from(["", 'principal: bad, "x"'])), max_size=8)
)
@settings(max_examples=500)
def test_the_ack_of_staged_rows_is_what_the_csv_writer_makes_of_their_cells(
    rows: list[tuple[list[str], bool, str]],
) -> None:
    encode = csv_format.LineEncoder()
    staged = [(encode(cells), ok, "" if ok else message) for cells, ok, message in rows]
    expected = csv_format.AckWriter().encode(
        csv_format.ack_row(cells, ok, "" if ok else message) for cells, ok, message in rows
    )
    assert csv_format.encode_staged_ack(csv_format.AckWriter(), staged) == expected


@st.composite
def group_rows(draw: st.DrawFn) -> list[str]:
    """A row of one group: small amounts (some within any charge, some beyond), any item, and now
    and then a cell the reader refuses."""
    part = st.sampled_from(["0", "0", "0.01", "0.01", "2.50", "60", "x"])
    return cells(
        order_item_id=draw(st.sampled_from(["I", "I", "J", "J", "X", ""])),
        total_quantity_returned=str(draw(st.integers(0, 2))),
        order_return_refund_qty=str(draw(st.integers(0, 2))),
        refund_feedback=draw(st.sampled_from(["", "item damaged"])),
        principal=draw(part),
        tax=draw(part),
        shipping_cost=draw(st.sampled_from(["0", "1"])),
        shipping_tax="0",
    )


@settings(max_examples=500, deadline=None)
@given(
    status=st.sampled_from(list(MarketplaceOrderStatus)),
    quantity=st.integers(1, 3),
    refunded_quantity=st.integers(0, 1),
    charged=st.tuples(amounts, amounts, amounts, amounts),
    group=st.lists(group_rows(), min_size=1, max_size=3),
)
def test_the_fast_verdict_passes_exactly_the_groups_settling_passes(
    status: MarketplaceOrderStatus,
    quantity: int,
    refunded_quantity: int,
    charged: tuple[Decimal, ...],
    group: list[list[str]],
) -> None:
    """group_passes (the refund processor's shortcut for the usual group) never passes a group
    settle_group refuses, and passes every group of known items that settle_group passes."""
    item_facts = ItemFacts("I", quantity, Amounts(*charged), min(refunded_quantity, quantity), Amounts())
    order = OrderFacts("O", status, {"I": item_facts, "J": item_facts})
    parsed = [parse_row(number, raw) for number, raw in enumerate(group, start=2)]
    settled = all(r.ok for r in settle_group(parsed, order, already_applied=False))
    fast = domain.group_passes(parsed, order)
    assert not fast or settled
    if all(row.order_item_id in order.items for row in parsed):
        assert fast == settled
