"""db.DriverRead hands hot selects to the driver: what it reads must be what SQLAlchemy reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bench.seed import seed_returns
from sqlalchemy import bindparam, literal, select

from homeward.db import Database, DriverRead
from homeward.kit.orm import in_ids
from homeward.labels.models import ReturnLabel
from homeward.returns.models import ReturnOrder, ReturnTransaction


def _both(db: Database, statement: Any, params: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    with db.read() as session:
        connection = session.connection()
        through_sqlalchemy = [tuple(row) for row in connection.execute(statement, params).all()]
        return DriverRead(statement).all(connection, params), through_sqlalchemy


def test_dates_money_arrays_and_fixed_values_read_as_sqlalchemy_reads_them(db: Database, demo: Any) -> None:
    first, last = seed_returns(db.url, 6)
    dialect = db.factory.kw["bind"].dialect.name
    with db.write() as session:
        session.add(ReturnTransaction(return_id=first, transaction_type="Refund", amount=Decimal("12.34")))
        session.add(
            ReturnLabel(
                return_id=first,
                requested_type="Prepaid",
                label_type="Prepaid",
                cost=Decimal("7.10"),
                weight_kg=Decimal("1.250"),
                created_at=datetime(2024, 5, 1, 12, 30, tzinfo=UTC),
                updated_at=datetime(2024, 5, 1, 12, 30, tzinfo=UTC),
            )
        )
    statement = (
        select(
            ReturnOrder.id,
            ReturnOrder.insert_date,  # UTCDateTime: aware UTC out of both databases
            ReturnTransaction.amount,  # Money: a Decimal (text on SQLite)
            ReturnLabel.weight_kg,  # Numeric
            ReturnLabel.created_at,
            literal("fixed").label("fixed"),  # a value bound at compile time, not by the caller
        )
        .outerjoin(ReturnTransaction, ReturnTransaction.return_id == ReturnOrder.id)
        .outerjoin(ReturnLabel, ReturnLabel.return_id == ReturnOrder.id)
        .where(
            in_ids(ReturnOrder.id, dialect),  # an array (PostgreSQL) or JSON (SQLite) bind
            ReturnOrder.insert_date >= bindparam("since"),  # a UTCDateTime bind
        )
        .order_by(ReturnOrder.id)
    )
    params = {"ids": list(range(first, last + 1)), "since": datetime(2000, 1, 1, tzinfo=UTC)}
    driver, sqlalchemy = _both(db, statement, params)
    assert driver == sqlalchemy
    assert len(driver) == 6
    row = driver[0]
    assert row[1].tzinfo is not None and row[1].utcoffset() == timedelta(0)
    assert row[2] == Decimal("12.34") and isinstance(row[2], Decimal)
    assert row[3] == Decimal("1.250")
    assert row[4] == datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    assert row[5] == "fixed"
    # A bound date filters as it does through SQLAlchemy.
    later = params | {"since": datetime(2100, 1, 1, tzinfo=UTC)}
    assert _both(db, statement, later) == ([], [])
