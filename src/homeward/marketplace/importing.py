"""Marketplace orders arrive through `homeward import` like other orders; this stores one record."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from homeward.catalog.models import Product
from homeward.importing.format import MarketplaceOrderLine
from homeward.kit.money import to_money
from homeward.marketplace.domain import Amounts
from homeward.marketplace.models import MarketplaceOrder, MarketplaceOrderItem


def upsert_order(session: Session, merchant_id: int, line: MarketplaceOrderLine) -> list[str]:
    """Create or update an order by (merchant, merchant_order_id); return what is wrong, if anything.

    Items are matched by order_item_id so their ids stay stable; items the record leaves out are
    kept. A line may not shrink below what has already been refunded of it.
    """
    order = session.scalars(
        select(MarketplaceOrder)
        .where(
            MarketplaceOrder.merchant_id == merchant_id,
            MarketplaceOrder.merchant_order_id == line.merchant_order_id,
        )
        .with_for_update()
    ).first()
    problems = _check_items(session, merchant_id, line, order)
    if problems:
        return problems
    if order is None:
        order = MarketplaceOrder(merchant_id=merchant_id, merchant_order_id=line.merchant_order_id)
        session.add(order)
    order.status = line.status.value
    order.store_order_id = line.store_order_id
    existing = {item.order_item_id: item for item in order.items}
    for data in line.items:
        item = existing.get(data.order_item_id)
        if item is None:
            item = MarketplaceOrderItem(order_item_id=data.order_item_id)
            order.items.append(item)
        item.inventory_id, item.quantity = data.inventory_id, data.quantity
        item.principal, item.tax = to_money(data.principal), to_money(data.tax)
        item.shipping_cost, item.shipping_tax = to_money(data.shipping_cost), to_money(data.shipping_tax)
    return []


def _check_items(
    session: Session, merchant_id: int, line: MarketplaceOrderLine, order: MarketplaceOrder | None
) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    existing = {item.order_item_id: item for item in order.items} if order is not None else {}
    for index, data in enumerate(line.items):
        where = f"items[{index}]"
        if data.order_item_id in seen:
            problems.append(f"{where}.order_item_id '{data.order_item_id}' is listed more than once")
        seen.add(data.order_item_id)
        if data.inventory_id is not None:
            product = session.get(Product, data.inventory_id)
            if product is None or product.merchant_id != merchant_id:
                problems.append(
                    f"{where}.inventory_id {data.inventory_id} is not a product of merchant {merchant_id}"
                )
        item = existing.get(data.order_item_id)
        if item is None:
            continue
        if data.quantity < item.refunded_quantity:
            problems.append(
                f"{where}.quantity {data.quantity} is less than the {item.refunded_quantity} unit(s) "
                "already refunded"
            )
        charged = Amounts(data.principal, data.tax, data.shipping_cost, data.shipping_tax)
        for name, amount in charged.items():
            refunded = getattr(item.refunded, name)
            if amount < refunded:
                problems.append(f"{where}.{name} {amount} is less than the {refunded} already refunded")
    return problems
