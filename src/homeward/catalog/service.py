"""Catalog use cases shared by the doors: fulfillment centers, products and their return preferences."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, lazyload

from homeward.auth.domain import Principal, Scope
from homeward.catalog import domain, preferences_csv
from homeward.catalog.domain import IneligibleCategory, ReturnAction
from homeward.catalog.models import FulfillmentCenter, Product
from homeward.db import Database, DriverRead
from homeward.kit.clock import utcnow
from homeward.kit.errors import FieldError, NotFound, RuleViolation


@dataclass(frozen=True)
class FulfillmentCenterRecord:
    id: int
    name: str
    country: str
    address1: str
    address2: str
    city: str
    state: str
    zip_code: str
    timezone: str


# Built once, handed to the driver (every column a str or int): every API call that lists
# fulfillment centers only runs it.
_ALL_CENTERS = DriverRead(
    select(
        FulfillmentCenter.id,
        FulfillmentCenter.name,
        FulfillmentCenter.country,
        FulfillmentCenter.address1,
        FulfillmentCenter.address2,
        FulfillmentCenter.city,
        FulfillmentCenter.state,
        FulfillmentCenter.zip_code,
        FulfillmentCenter.timezone,
    ).order_by(FulfillmentCenter.id)
)


def list_fulfillment_centers(db: Database) -> list[FulfillmentCenterRecord]:
    with db.connect() as connection:
        return [FulfillmentCenterRecord(*row) for row in _ALL_CENTERS.all(connection, {})]


# --- products and their return preferences (seed 001) --------------------------------------------


@dataclass(frozen=True)
class ProductRecord:
    id: int
    sku: str
    name: str
    is_bundle: bool
    lot_tracked: bool
    dangerous_goods: bool
    ineligible_category: IneligibleCategory | None
    preferences: domain.ProductPreferences
    preferences_set_at: datetime | None
    needs_preferences: bool  # never configured: the defaults apply (seed 001 warns of disposals)


@dataclass(frozen=True)
class ProductPage:
    products: list[ProductRecord]
    total: int  # products matching the search
    needing_preferences: int  # of all the merchant's products, how many were never configured
    offset: int
    limit: int


def _product_record(row: Product) -> ProductRecord:
    category = row.category
    return ProductRecord(
        id=row.id,
        sku=row.sku,
        name=row.name,
        is_bundle=row.is_bundle,
        lot_tracked=row.lot_tracked,
        dangerous_goods=row.dangerous_goods,
        ineligible_category=category,
        preferences=domain.ProductPreferences(
            return_action=ReturnAction(row.return_action),
            rts_action=ReturnAction(row.rts_action),
            backup_action=ReturnAction(row.backup_action),
            instructions=row.return_instructions,
            inspection_steps=tuple(row.inspection_steps or ()),
            min_shelf_life_days=row.min_shelf_life_days,
        ),
        preferences_set_at=row.preferences_set_at,
        needs_preferences=domain.needs_preferences(
            preferences_set=row.preferences_set_at is not None, is_bundle=row.is_bundle, category=category
        ),
    )


def _needing_preferences(merchant_id: int) -> ColumnElement[bool]:
    """SQL twin of domain.needs_preferences, for counting and filtering."""
    return and_(
        Product.merchant_id == merchant_id,
        Product.preferences_set_at.is_(None),
        Product.is_bundle.is_(False),
        Product.ineligible_category.is_(None),
    )


def list_products(
    db: Database,
    principal: Principal,
    *,
    search: str = "",
    only_unset: bool = False,
    offset: int = 0,
    limit: int = 100,
) -> ProductPage:
    """The merchant's products by SKU; `search` matches SKU or name, `only_unset` the flagged ones."""
    principal.require(Scope.RETURNS_READ)
    condition = (
        _needing_preferences(principal.merchant_id)
        if only_unset
        else Product.merchant_id == principal.merchant_id
    )
    query = select(Product).where(condition).options(lazyload(Product.components))
    if search.strip():
        pattern = (
            "%" + search.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        query = query.where(
            or_(
                func.lower(Product.sku).like(pattern, escape="\\"),
                func.lower(Product.name).like(pattern, escape="\\"),
            )
        )
    offset, limit = max(offset, 0), min(max(limit, 1), 500)
    with db.read() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(Product.sku, Product.id).offset(offset).limit(limit))
        products = [_product_record(r) for r in rows]
        unset = session.scalar(select(func.count()).where(_needing_preferences(principal.merchant_id))) or 0
    return ProductPage(products, total, unset, offset, limit)


def get_product(db: Database, principal: Principal, product_id: int) -> ProductRecord:
    principal.require(Scope.RETURNS_READ)
    with db.read() as session:
        return _product_record(_owned(session, principal, product_id))


def _owned(session: Session, principal: Principal, product_id: int, *, lock: bool = False) -> Product:
    row = session.get(Product, product_id, with_for_update=lock) if 0 < product_id < 2**31 else None
    if row is None or row.merchant_id != principal.merchant_id:
        raise NotFound(f"Product {product_id} was not found")
    return row


def _apply(row: Product, prefs: domain.ProductPreferences, now: datetime) -> None:
    row.return_action = prefs.return_action.value
    row.rts_action = prefs.rts_action.value
    row.backup_action = prefs.backup_action.value
    row.return_instructions = prefs.instructions
    row.inspection_steps = list(prefs.inspection_steps)
    row.min_shelf_life_days = prefs.min_shelf_life_days
    row.preferences_set_at = now


def update_preferences(
    db: Database, principal: Principal, product_id: int, raw: domain.PreferencesInput
) -> ProductRecord:
    """Save one product's return preferences (checked by catalog.domain); they are then set."""
    principal.require(Scope.CATALOG_WRITE)
    with db.write() as session:
        row = _owned(session, principal, product_id, lock=True)
        _apply(row, domain.check_preferences(raw), utcnow())
        session.flush()
        return _product_record(row)


def _input_of(row: Product, cells: Mapping[str, str]) -> domain.PreferencesInput:
    """The product's current preferences with the CSV's cells laid over them."""
    steps = list(row.inspection_steps or ())
    steps += [""] * (len(preferences_csv.STEP_COLUMNS) - len(steps))
    for index, column in enumerate(preferences_csv.STEP_COLUMNS):
        if column in cells:
            steps[index] = cells[column]
    return domain.PreferencesInput(
        return_action=cells.get("return_action", row.return_action),
        rts_action=cells.get("rts_action", row.rts_action),
        backup_action=cells.get("backup_action", row.backup_action),
        instructions=cells.get("instructions", row.return_instructions or ""),
        inspection_steps=tuple(steps),
        min_shelf_life_days=cells.get("min_shelf_life_days", str(row.min_shelf_life_days)),
    )


def bulk_update_preferences(db: Database, principal: Principal, csv_text: str) -> list[ProductRecord]:
    """Apply a products CSV all or nothing: any bad line, and no product changes; every bad line
    is reported as `line N: column`."""
    principal.require(Scope.CATALOG_WRITE)
    lines = preferences_csv.parse(csv_text)
    errors: list[FieldError] = []
    with db.write() as session:
        products = list(
            session.scalars(
                select(Product)
                .where(Product.merchant_id == principal.merchant_id)
                .options(lazyload(Product.components))
                .with_for_update()
            )
        )
        by_id = {p.id: p for p in products}
        by_sku: dict[str, list[Product]] = {}
        for p in products:
            by_sku.setdefault(p.sku, []).append(p)
        seen: dict[int, int] = {}
        checked: list[tuple[Product, domain.ProductPreferences]] = []
        for line in lines:
            where = f"line {line.number}"
            row = _product_of_line(line, by_id, by_sku, errors)
            if row is None:
                continue
            if row.id in seen:
                errors.append(
                    FieldError(
                        f"{where}: inventory_id", f"product {row.id} is already on line {seen[row.id]}"
                    )
                )
                continue
            seen[row.id] = line.number
            try:
                checked.append((row, domain.check_preferences(_input_of(row, line.cells))))
            except RuleViolation as exc:
                errors.extend(
                    FieldError(f"{where}: {preferences_csv.column_of(e.field)}", e.message)
                    for e in exc.errors
                )
        if errors:
            raise RuleViolation(
                f"{_lines_with(errors)} of the file break a rule; nothing was changed", errors
            )
        now = utcnow()
        for row, prefs in checked:
            _apply(row, prefs, now)
        session.flush()
        return [_product_record(row) for row, _ in checked]


def _lines_with(errors: list[FieldError]) -> str:
    count = len({e.field.split(":", 1)[0] for e in errors})
    return "1 line" if count == 1 else f"{count} lines"


def _product_of_line(
    line: preferences_csv.CsvLine,
    by_id: Mapping[int, Product],
    by_sku: Mapping[str, list[Product]],
    errors: list[FieldError],
) -> Product | None:
    where = f"line {line.number}"
    if line.inventory_id:
        number = (
            int(line.inventory_id) if line.inventory_id.isdigit() and len(line.inventory_id) < 11 else None
        )
        row = by_id.get(number) if number is not None else None
        if row is None:
            errors.append(
                FieldError(
                    f"{where}: inventory_id", f"'{line.inventory_id[:40]}' is not one of your products"
                )
            )
        elif line.sku and line.sku != row.sku:
            errors.append(
                FieldError(
                    f"{where}: sku", f"'{line.sku[:100]}' is not the SKU of product {row.id} ({row.sku})"
                )
            )
            return None
        return row
    if not line.sku:
        errors.append(FieldError(f"{where}: inventory_id", "give the product's inventory_id or sku"))
        return None
    matches = by_sku.get(line.sku, [])
    if len(matches) != 1:
        why = (
            "is not one of your products' SKUs"
            if not matches
            else "names several products; give inventory_id"
        )
        errors.append(FieldError(f"{where}: sku", f"'{line.sku[:100]}' {why}"))
        return None
    return matches[0]


def export_preferences(db: Database, principal: Principal) -> str:
    """Every product of the merchant as a products CSV: the current values, ready to edit."""
    principal.require(Scope.RETURNS_READ)
    with db.read() as session:
        rows = session.scalars(
            select(Product)
            .where(Product.merchant_id == principal.merchant_id)
            .options(lazyload(Product.components))
            .order_by(Product.sku, Product.id)
        )
        return preferences_csv.write(_csv_row(r) for r in rows)


def _csv_row(row: Product) -> dict[str, object]:
    steps = list(row.inspection_steps or ())
    return {
        "inventory_id": row.id,
        "sku": row.sku,
        "name": row.name,
        "return_action": row.return_action,
        "rts_action": row.rts_action,
        "backup_action": row.backup_action,
        "instructions": row.return_instructions or "",
        **{
            column: steps[i] if i < len(steps) else ""
            for i, column in enumerate(preferences_csv.STEP_COLUMNS)
        },
        "min_shelf_life_days": row.min_shelf_life_days,
    }
