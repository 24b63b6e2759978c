"""2025-07 bodies are sent as plain data, skipping model validation: they must be byte for byte
what PublicReturnV1Dto would have sent, whatever the return holds."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pydantic_core
from hypothesis import given
from hypothesis import strategies as st

from homeward.doors.shipbob.mapping import body_2025
from homeward.doors.shipbob.schemas import PublicReturnV1Dto
from homeward.labels.domain import LabelType
from homeward.labels.records import LabelRecord
from homeward.returns.domain import ReturnStatus, ReturnType
from homeward.returns.records import ActionTakenRecord, ReturnItemRecord, ReturnRecord, TransactionRecord

texts = st.text(max_size=30)
maybe_texts = st.none() | texts
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
money = st.decimals(min_value=Decimal("-99999.99"), max_value=Decimal("99999.99"), places=2)
taken = st.builds(
    ActionTakenRecord,
    action=st.sampled_from(["Restock", "Quarantine", "Dispose", "Short"]),
    reason=maybe_texts,
    quantity=st.integers(0, 1000),
    photo_key=st.none() | st.from_regex(r"[a-f0-9]{32}\.jpg", fullmatch=True),
)
items = st.builds(
    ReturnItemRecord,
    inventory_id=st.integers(1, 2**31 - 1),
    name=texts,
    quantity=st.integers(0, 1000),
    action=st.sampled_from(["Restock", "Quarantine", "Dispose"]),
    action_source=st.sampled_from(["InventoryDefault", "Override", "Extra"]),
    instructions=maybe_texts,
    lot_number=maybe_texts,
    lot_date=st.none() | moments,
    bundle_parent_sku=maybe_texts,
    actions_taken=st.tuples(taken) | st.tuples(taken, taken) | st.just(()),
)
transactions = st.lists(st.builds(TransactionRecord, transaction_type=texts, amount=money), max_size=3)
returns = st.builds(
    ReturnRecord,
    id=st.integers(1, 2**31 - 1),
    reference_id=texts,
    status=st.sampled_from(ReturnStatus),
    return_type=st.sampled_from(ReturnType),
    tracking_number=maybe_texts,
    channel_id=st.integers(1, 10**6),
    channel_name=texts,
    fulfillment_center_id=st.integers(1, 10**6),
    fulfillment_center_name=texts,
    original_shipment_id=st.none() | st.integers(1, 10**9),
    store_order_id=maybe_texts,
    merchant_name=texts,
    customer_name=maybe_texts,
    insert_date=moments,
    completed_date=st.none() | moments,
    items=st.lists(items, max_size=3).map(tuple),
    transactions=transactions.map(tuple),
    invoice_amount=st.none() | money,
)
labels = st.none() | st.builds(
    LabelRecord,
    return_id=st.integers(1, 10**6),
    type=st.sampled_from(LabelType),
    requested_type=st.sampled_from(LabelType),
    fallback_reason=maybe_texts,
    carrier=maybe_texts,
    service=maybe_texts,
    tracking_number=maybe_texts,
    cost=st.none() | money,
    weight_kg=st.none() | st.decimals(min_value=0, max_value=100, places=3),
    zone=maybe_texts,
    rate_card_version=maybe_texts,
)


@given(returns, labels)
def test_plain_body_is_what_the_model_sends(record: ReturnRecord, label: LabelRecord | None) -> None:
    body = body_2025(record, label)
    assert pydantic_core.to_json(body) == PublicReturnV1Dto.model_validate(body).model_dump_json().encode()
    assert ("label" in body) == (label is not None)
