"""Load merchants, fulfillment centers, products and orders from JSON lines, all or nothing.

Re-importing the same ids updates in place, so an import can be run again safely.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from homeward.billing.models import FeeScheduleRow
from homeward.catalog.domain import PreferencesInput, check_preferences
from homeward.catalog.models import BundleComponent, FulfillmentCenter, Product
from homeward.db import Database
from homeward.doors.http.errors import field_path
from homeward.importing import format as fmt
from homeward.kit.clock import utcnow
from homeward.kit.errors import FieldError, Forbidden, InvalidInput, RuleViolation
from homeward.marketplace.importing import upsert_order
from homeward.orders.models import Order, Shipment, ShipmentLine, ShipmentLineSerial
from homeward.tenants.models import Channel, Merchant

_adapter: TypeAdapter[fmt.ImportLine] = TypeAdapter(fmt.ImportLine)
# catalog.domain's preference fields as this format names them.
_IMPORT_NAMES = {
    "return_action": "return_preference.action",
    "rts_action": "return_preference.rts_action",
    "backup_action": "return_preference.backup_action",
    "instructions": "return_preference.instructions",
}
# Tables whose ids come from the import; PostgreSQL sequences must move past them.
_EXPLICIT_ID_TABLES = ("merchants", "channels", "fulfillment_centers", "orders", "shipments")


@dataclass(frozen=True)
class ImportSummary:
    counts: dict[str, int]


def parse(text_lines: str) -> list[tuple[int, fmt.ImportLine]]:
    """Parse every line; report every bad one (by line number and field) before anything is stored."""
    parsed: list[tuple[int, fmt.ImportLine]] = []
    errors: list[FieldError] = []
    for number, raw in enumerate(text_lines.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            parsed.append((number, _adapter.validate_python(json.loads(raw))))
        except json.JSONDecodeError as exc:
            errors.append(FieldError(f"line {number}", f"is not valid JSON ({exc.msg})"))
        except ValidationError as exc:
            for err in exc.errors():
                loc = err["loc"][1:] if err["loc"] and err["loc"][0] in fmt.RECORD_TYPES else err["loc"]
                where = field_path(("body", *loc))
                errors.append(FieldError(f"line {number}: {where}", err["msg"]))
    if errors:
        raise InvalidInput("The import file is not valid; nothing was imported", errors)
    if not parsed:
        raise InvalidInput("The import file has no records", [FieldError("file", "is empty")])
    return parsed


def import_lines(db: Database, text_lines: str, *, tenant: int | None = None) -> ImportSummary:
    """Import a file. `tenant` set (REST callers): only that merchant's products and orders."""
    lines = parse(text_lines)
    if tenant is not None:
        refused = [
            FieldError(f"line {n}", f"'{line.type}' records are imported by an operator (CLI)")
            for n, line in lines
            if line.type in fmt.OPERATOR_ONLY
        ]
        if refused:
            raise Forbidden("A merchant token may import products and orders only", refused)
    with db.write() as session:
        importer = _Importer(session, tenant)
        for kind in ("merchant", "fulfillment_center", "channel", "product", "order", "marketplace_order"):
            for number, line in lines:
                if line.type == kind:
                    importer.apply(number, line)
            if kind == "product":
                importer.link_components(lines)  # before orders, which expand bundles
        if importer.errors:
            raise RuleViolation("The import breaks one or more rules; nothing was imported", importer.errors)
        session.flush()
        if db.is_postgres:
            for table in _EXPLICIT_ID_TABLES:
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1))"
                    )
                )
        return ImportSummary(dict(Counter(line.type for _, line in lines)))


class _Importer:
    def __init__(self, session: Session, tenant: int | None) -> None:
        self.session = session
        self.tenant = tenant
        self.errors: list[FieldError] = []

    def fail(self, number: int, message: str) -> None:
        self.errors.append(FieldError(f"line {number}", message))

    def merchant_of(self, number: int, given: int | None) -> int | None:
        merchant_id = given if given is not None else self.tenant
        if merchant_id is None:
            self.fail(number, "merchant_id is required")
            return None
        if self.tenant is not None and merchant_id != self.tenant:
            self.fail(number, f"merchant_id {merchant_id} is not the token's merchant")
            return None
        if self.session.get(Merchant, merchant_id) is None:
            self.fail(number, f"merchant {merchant_id} does not exist")
            return None
        return merchant_id

    def owned(self, number: int, row: object, merchant_id: int, what: str) -> bool:
        if row is not None and getattr(row, "merchant_id", merchant_id) != merchant_id:
            self.fail(number, f"{what} id is already used by another merchant")
            return False
        return True

    def apply(self, number: int, line: fmt.ImportLine) -> None:
        handler = getattr(self, f"_{line.type}")
        handler(number, line)
        self.session.flush()

    def _merchant(self, _: int, line: fmt.MerchantLine) -> None:
        row = self.session.get(Merchant, line.id) or Merchant(id=line.id, dispose_dangerous_goods=False)
        row.name = line.name
        if line.dispose_dangerous_goods is not None:
            row.dispose_dangerous_goods = line.dispose_dangerous_goods
        self.session.add(row)
        if line.fees is not None:
            self.session.flush()
            fees = self.session.get(FeeScheduleRow, line.id) or FeeScheduleRow(merchant_id=line.id)
            for name in ("return_processing", "per_unit", "return_to_sender", "quarantine_per_unit_day"):
                setattr(fees, name, getattr(line.fees, name))
            self.session.add(fees)

    def _fulfillment_center(self, _: int, line: fmt.FulfillmentCenterLine) -> None:
        row = self.session.get(FulfillmentCenter, line.id) or FulfillmentCenter(id=line.id)
        for field in ("name", "country", "address1", "address2", "city", "state", "zip_code", "timezone"):
            setattr(row, field, getattr(line, field))
        self.session.add(row)

    def _channel(self, number: int, line: fmt.ChannelLine) -> None:
        merchant_id = self.merchant_of(number, line.merchant_id)
        row = self.session.get(Channel, line.id)
        if merchant_id is None or not self.owned(number, row, merchant_id, "channel"):
            return
        row = row or Channel(id=line.id, merchant_id=merchant_id)
        row.name, row.application_name = line.name, line.application_name
        self.session.add(row)

    def _product(self, number: int, line: fmt.ProductLine) -> None:
        merchant_id = self.merchant_of(number, line.merchant_id)
        row = self.session.get(Product, line.id)
        if merchant_id is None or not self.owned(number, row, merchant_id, "product"):
            return
        pref = line.return_preference
        if not self._preferences_keep_the_rules(number, line):
            return
        row = row or Product(id=line.id, merchant_id=merchant_id)
        row.sku, row.name, row.weight_kg = line.sku, line.name, line.weight_kg
        row.is_bundle = bool(line.components)
        row.dangerous_goods, row.lot_tracked = line.dangerous_goods, line.lot_tracked
        row.ineligible_category = line.ineligible_category.value if line.ineligible_category else None
        row.min_shelf_life_days = line.min_shelf_life_days
        row.return_action, row.return_instructions = pref.action.value, pref.instructions
        row.backup_action, row.rts_action = pref.backup_action.value, pref.rts_action.value
        row.inspection_steps = list(line.inspection_steps)
        # A line that states the return preference sets it; one without resets it to the defaults,
        # which count as never set (the products page flags them).
        row.preferences_set_at = utcnow() if "return_preference" in line.model_fields_set else None
        self.session.add(row)

    def _preferences_keep_the_rules(self, number: int, line: fmt.ProductLine) -> bool:
        """The same preference rules as the Products page (catalog.domain), named as in this format."""
        pref = line.return_preference
        raw = PreferencesInput(
            return_action=pref.action.value,
            rts_action=pref.rts_action.value,
            backup_action=pref.backup_action.value,
            instructions=pref.instructions or "",
            inspection_steps=tuple(line.inspection_steps),
            min_shelf_life_days=str(line.min_shelf_life_days),
        )
        try:
            check_preferences(raw)
        except RuleViolation as exc:
            for error in exc.errors:
                self.fail(number, f"{_IMPORT_NAMES.get(error.field, error.field)}: {error.message}")
            return False
        return True

    def link_components(self, lines: list[tuple[int, fmt.ImportLine]]) -> None:
        """Bundles name their components; done after all products exist, whatever the line order."""
        for number, line in lines:
            if not isinstance(line, fmt.ProductLine) or not line.components:
                continue
            bundle = self.session.get(Product, line.id)
            if bundle is None:
                continue
            bundle.components.clear()
            self.session.flush()
            for component in line.components:
                part = self.session.get(Product, component.id)
                if part is None or part.merchant_id != bundle.merchant_id:
                    self.fail(
                        number, f"component {component.id} is not a product of merchant {bundle.merchant_id}"
                    )
                elif part.is_bundle:
                    self.fail(number, f"component {component.id} is itself a bundle")
                else:
                    bundle.components.append(
                        BundleComponent(
                            bundle_id=bundle.id, component_id=part.id, quantity=component.quantity
                        )
                    )

    def _order(self, number: int, line: fmt.OrderLine) -> None:
        merchant_id = self.merchant_of(number, line.merchant_id)
        row = self.session.get(Order, line.id)
        if merchant_id is None or not self.owned(number, row, merchant_id, "order"):
            return
        if line.channel_id is not None:
            channel = self.session.get(Channel, line.channel_id)
            if channel is None or channel.merchant_id != merchant_id:
                self.fail(number, f"channel {line.channel_id} is not a channel of merchant {merchant_id}")
                return
        row = row or Order(id=line.id, merchant_id=merchant_id)
        row.channel_id, row.store_order_id = line.channel_id, line.store_order_id
        self.session.add(row)
        self.session.flush()
        for shipment in line.shipments:
            self._shipment(number, row, shipment)

    def _marketplace_order(self, number: int, line: fmt.MarketplaceOrderLine) -> None:
        merchant_id = self.merchant_of(number, line.merchant_id)
        if merchant_id is not None:
            for problem in upsert_order(self.session, merchant_id, line):
                self.fail(number, problem)

    def _shipment(self, number: int, order: Order, data: fmt.ShipmentIn) -> None:
        row = self.session.get(Shipment, data.id)
        if not self.owned(number, row, order.merchant_id, "shipment"):
            return
        if self.session.get(FulfillmentCenter, data.fulfillment_center_id) is None:
            self.fail(number, f"fulfillment center {data.fulfillment_center_id} does not exist")
            return
        row = row or Shipment(id=data.id, order_id=order.id, merchant_id=order.merchant_id)
        row.order_id, row.status = order.id, data.status.value
        row.fulfillment_center_id, row.tracking_number, row.shipped_at = (
            data.fulfillment_center_id,
            data.tracking_number,
            data.shipped_at,
        )
        r = data.recipient
        row.recipient_name, row.address1, row.address2 = r.name, r.address1, r.address2
        row.city, row.state, row.zip_code, row.country = r.city, r.state, r.zip_code, r.country
        self.session.add(row)
        self.session.flush()
        for item in data.lines:
            self._shipment_lines(number, row, item)

    def _shipment_lines(self, number: int, shipment: Shipment, item: fmt.ShipmentLineIn) -> None:
        """A bundle on a shipment is stored as its components, each remembering the bundle."""
        product = self.session.get(Product, item.inventory_id)
        if product is None or product.merchant_id != shipment.merchant_id:
            self.fail(
                number, f"inventory {item.inventory_id} is not a product of merchant {shipment.merchant_id}"
            )
            return
        if len(set(item.serial_numbers)) != len(item.serial_numbers):
            self.fail(number, f"inventory {item.inventory_id}: a serial number is listed more than once")
            return
        if len(item.serial_numbers) > item.quantity:
            self.fail(
                number,
                f"inventory {item.inventory_id}: {len(item.serial_numbers)} serial numbers for "
                f"{item.quantity} unit(s)",
            )
            return
        if product.is_bundle:
            if item.unit_price is not None or item.serial_numbers:
                # A bundle ships as its components; its price and serials cannot be split among them.
                self.fail(
                    number,
                    f"inventory {item.inventory_id} is a bundle: unit_price and serial_numbers "
                    "belong on lines of single items",
                )
                return
            for component in product.components:
                self._upsert_line(
                    shipment,
                    component.component_id,
                    item.quantity * component.quantity,
                    item,
                    bundle_id=product.id,
                )
        else:
            self._upsert_line(shipment, product.id, item.quantity, item, bundle_id=None)

    def _upsert_line(
        self,
        shipment: Shipment,
        inventory_id: int,
        quantity: int,
        item: fmt.ShipmentLineIn,
        *,
        bundle_id: int | None,
    ) -> None:
        """Lines are matched by item (and bundle), so their ids, the order item ids, stay stable."""
        row = self.session.scalars(
            select(ShipmentLine).where(
                ShipmentLine.shipment_id == shipment.id,
                ShipmentLine.inventory_id == inventory_id,
                ShipmentLine.bundle_inventory_id.is_(None)
                if bundle_id is None
                else ShipmentLine.bundle_inventory_id == bundle_id,
            )
        ).first()
        row = row or ShipmentLine(shipment_id=shipment.id)
        row.inventory_id, row.quantity, row.bundle_inventory_id = inventory_id, quantity, bundle_id
        row.lot_number, row.lot_expiration = item.lot_number, item.lot_expiration
        row.unit_price = item.unit_price if bundle_id is None else None
        self.session.add(row)
        self.session.flush()
        self._replace_serials(row, item.serial_numbers if bundle_id is None else [])

    def _replace_serials(self, line: ShipmentLine, serials: list[str]) -> None:
        """A re-import states the line's serials in full: the old set is replaced."""
        existing = set(
            self.session.scalars(
                select(ShipmentLineSerial.serial_number).where(ShipmentLineSerial.shipment_line_id == line.id)
            )
        )
        if existing == set(serials):
            return
        self.session.execute(delete(ShipmentLineSerial).where(ShipmentLineSerial.shipment_line_id == line.id))
        self.session.add_all(ShipmentLineSerial(shipment_line_id=line.id, serial_number=s) for s in serials)
