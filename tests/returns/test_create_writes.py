"""What a create stores, whichever way it is written (on PostgreSQL a lone return goes in as one
statement, in autocommit when it has no shipment): the return, its items in the order asked, one
status history entry and one return.created event; and when its reference id was taken by a
concurrent create after the check, nothing at all."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from homeward.db import Database
from homeward.events.domain import Topic
from homeward.events.models import OutboxEvent
from homeward.returns import repository
from homeward.returns.domain import ReturnStatus
from homeward.returns.models import ReturnItem, ReturnOrder, ReturnStatusEvent
from tests.builders import merchant_headers, return_body

URL = "/2025-07/return"


def stored(db: Database, reference_id: str) -> tuple[Any, list[Any], list[Any], list[Any]]:
    with db.read() as session:
        row = session.execute(
            select(ReturnOrder.id, ReturnOrder.status, ReturnOrder.insert_date).where(
                ReturnOrder.reference_id == reference_id
            )
        ).one()
        items = session.execute(
            select(ReturnItem.inventory_id, ReturnItem.quantity, ReturnItem.name, ReturnItem.action)
            .where(ReturnItem.return_id == row.id)
            .order_by(ReturnItem.id)
        ).all()
        history = session.execute(
            select(ReturnStatusEvent.status, ReturnStatusEvent.occurred_at).where(
                ReturnStatusEvent.return_id == row.id
            )
        ).all()
        events = session.execute(
            select(
                OutboxEvent.topic, OutboxEvent.merchant_id, OutboxEvent.dispatched, OutboxEvent.occurred_at
            ).where(OutboxEvent.return_id == row.id)
        ).all()
        return row, list(items), list(history), list(events)


def counts(db: Database) -> tuple[int, ...]:
    with db.read() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (ReturnOrder, ReturnItem, ReturnStatusEvent, OutboxEvent)
        )


@pytest.mark.parametrize("shipped", [False, True], ids=["no-shipment", "shipment"])
def test_a_create_stores_its_items_in_order_one_history_entry_and_one_event(
    client: TestClient, db: Database, demo: dict[str, Any], shipped: bool
) -> None:
    if shipped:
        body = return_body(demo, reference_id="W-1")
        lines = [(item["id"], item["quantity"]) for item in body["inventory"]]
    else:
        lines = [(1003, 2), (1001, 1), (1002, 3)]
        body = {
            "fulfillment_center": {"id": demo["fulfillment_centers"][0]["id"]},
            "reference_id": "W-1",
            "inventory": [{"id": i, "quantity": q, "requested_action": "Default"} for i, q in lines],
        }
    response = client.post(URL, json=body, headers=merchant_headers(demo))
    assert response.status_code == 201, response.text
    created = response.json()

    row, items, history, events = stored(db, "W-1")
    assert row.id == created["id"]
    assert row.status == ReturnStatus.AWAITING_ARRIVAL.value
    assert [(inventory_id, quantity) for inventory_id, quantity, _, _ in items] == lines
    assert [(i["id"], i["quantity"], i["name"]) for i in created["inventory"]] == [
        (inventory_id, quantity, name) for inventory_id, quantity, name, _ in items
    ]
    assert history == [(ReturnStatus.AWAITING_ARRIVAL.value, row.insert_date)]
    assert events == [(Topic.RETURN_CREATED.value, demo["merchant_id"], False, row.insert_date)]
    again = client.get(f"{URL}/{row.id}", headers=merchant_headers(demo)).json()
    assert again["inventory"] == created["inventory"]


def test_a_reference_id_taken_since_the_check_refuses_the_create_and_stores_nothing(
    client: TestClient, db: Database, demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {
        "fulfillment_center": {"id": demo["fulfillment_centers"][0]["id"]},
        "reference_id": "RACE-1",
        "inventory": [{"id": 1001, "quantity": 1, "requested_action": "Default"}],
    }
    assert client.post(URL, json=body, headers=merchant_headers(demo)).status_code == 201
    before = counts(db)
    checked = repository.create_facts

    def seen_before_the_other_create(*args: Any) -> repository.CreateFacts:
        facts = checked(*args)
        facts.taken.clear()  # as if the other create had committed just after this read
        return facts

    monkeypatch.setattr(repository, "create_facts", seen_before_the_other_create)
    response = client.post(URL, json=body, headers=merchant_headers(demo))
    assert response.status_code == 422, response.text
    assert "RACE-1" in response.text and "already" in response.text
    assert counts(db) == before


# A connection to lose is PostgreSQL's: SQLite is a file in this process.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_connection_lost_before_the_insert_is_a_503_and_stores_nothing_then_creates_go_on(
    client: TestClient, db: Database, demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {
        "fulfillment_center": {"id": demo["fulfillment_centers"][0]["id"]},
        "reference_id": "LOST-1",
        "inventory": [{"id": 1001, "quantity": 1, "requested_action": "Default"}],
    }
    before = counts(db)
    insert = repository.insert_return_at_once

    def after_the_server_dropped_us(connection: Any, *args: Any) -> Any:
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with db.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
        return insert(connection, *args)

    monkeypatch.setattr(repository, "insert_return_at_once", after_the_server_dropped_us)
    response = client.post(URL, json=body, headers=merchant_headers(demo))
    assert response.status_code == 503, response.text
    assert counts(db) == before

    monkeypatch.setattr(repository, "insert_return_at_once", insert)
    assert client.post(URL, json=body, headers=merchant_headers(demo)).status_code == 201
    assert counts(db)[0] == before[0] + 1
