"""`homeward warehouse ...`: the CLI twins of /warehouse/v1, over the same services.

Act as a warehouse token (`--token`, or HOMEWARD_TOKEN) or, with direct database access, as an
operator in one fulfillment center (`--warehouse FC_ID`). Output is the REST API's JSON.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ValidationError

from homeward.auth.domain import Caller, Scope, WarehousePrincipal
from homeward.catalog.domain import ReturnAction
from homeward.kit.errors import FieldError, Forbidden, InvalidInput, NotFound

app = typer.Typer(help="Receive, inspect and release returns in a fulfillment center", no_args_is_help=True)

Token = Annotated[
    str | None, typer.Option("--token", envvar="HOMEWARD_TOKEN", help="A warehouse token", show_default=False)
]
Warehouse = Annotated[
    int | None, typer.Option("--warehouse", help="Act as an operator in this fulfillment center")
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="Overrides HOMEWARD_DATABASE_URL (default sqlite:///./homeward.db)"),
]


def _caller(url: str, token: str | None, warehouse: int | None) -> Caller:
    from homeward.auth.service import authenticate_caller
    from homeward.catalog.models import FulfillmentCenter
    from homeward.db import Database

    if (token is None) == (warehouse is None):
        raise InvalidInput("Give exactly one of --token or --warehouse FC_ID")
    with Database(url).read() as session:
        if token is not None:
            return authenticate_caller(session, token)
        if session.get(FulfillmentCenter, warehouse) is None:
            raise NotFound(f"Fulfillment center {warehouse} does not exist")
    assert warehouse is not None
    return WarehousePrincipal(
        token_id=None,
        fulfillment_center_id=warehouse,
        scopes=frozenset({Scope.WAREHOUSE}),
        actor=f"cli {getpass.getuser()}",
    )


def _staff(url: str, token: str | None, warehouse: int | None) -> WarehousePrincipal:
    who = _caller(url, token, warehouse)
    if not isinstance(who, WarehousePrincipal):
        raise Forbidden("This needs a warehouse token (homeward token create --warehouse FC_ID)")
    return who


def _print(model: BaseModel) -> None:
    typer.echo(model.model_dump_json(indent=2))


def _setup(database_url: str | None) -> str:
    from homeward.db import upgrade
    from homeward.doors.cli.main import _use_database

    url = _use_database(database_url)
    upgrade(url)
    return url


def _run_cli(action: Callable[[], None]) -> None:
    from homeward.doors.cli.main import _run

    _run(action)


@app.command()
def arrive(
    barcode: Annotated[
        str, typer.Argument(help="Tracking number or RMA; with --rts an outbound tracking number")
    ],
    rts: Annotated[bool, typer.Option("--rts", help="The carrier sent the package back")] = False,
    token: Token = None,
    warehouse: Warehouse = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Receive a package (scanning it twice is harmless)."""
    from homeward.db import Database
    from homeward.doors.warehouse.mapping import return_out
    from homeward.receiving.service import arrive as receive

    url = _setup(database_url)
    _run_cli(
        lambda: _print(return_out(receive(Database(url), _staff(url, token, warehouse), barcode, rts=rts)))
    )


@app.command("arrive-tote")
def arrive_tote(
    barcodes: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="One barcode per line")
    ],
    rts: Annotated[bool, typer.Option("--rts", help="The carrier sent the packages back")] = False,
    token: Token = None,
    warehouse: Warehouse = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Receive a tote of packages in one go: a JSON line per barcode, its return or why it was
    refused (the others are received all the same); exit 1 when any was refused."""
    from homeward.db import Database
    from homeward.receiving.service import arrive_many

    scanned = [line.strip() for line in barcodes.read_text(encoding="utf-8-sig").splitlines() if line.strip()]
    url = _setup(database_url)
    refused = False

    def run() -> None:
        nonlocal refused
        for outcome in arrive_many(Database(url), _staff(url, token, warehouse), scanned, rts=rts):
            line: dict[str, Any] = {"barcode": outcome.barcode, "return_id": outcome.return_id}
            if outcome.error is not None:
                refused = True
                line["error"] = outcome.error.message
                line["errors"] = [{"field": e.field, "message": e.message} for e in outcome.error.errors]
            typer.echo(json.dumps(line))

    _run_cli(run)
    if refused:
        raise typer.Exit(1)


@app.command()
def show(
    return_id: Annotated[int, typer.Argument(help="Return id")],
    token: Token = None,
    warehouse: Warehouse = None,
    database_url: DatabaseUrl = None,
) -> None:
    """A return as the warehouse sees it: expected, processed, remaining."""
    from homeward.db import Database
    from homeward.doors.warehouse.mapping import return_out
    from homeward.receiving.service import get_return

    url = _setup(database_url)
    _run_cli(lambda: _print(return_out(get_return(Database(url), _staff(url, token, warehouse), return_id))))


@app.command()
def inspect(
    return_id: Annotated[int, typer.Argument(help="Return id")],
    file: Annotated[
        Path, typer.Option("--file", exists=True, dir_okay=False, help="The inspection JSON (as POSTed)")
    ],
    photo: Annotated[
        list[str] | None, typer.Option("--photo", help="NAME=PATH, repeatable; lines name photos by NAME")
    ] = None,
    token: Token = None,
    warehouse: Warehouse = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Record inspected units from a JSON file (the body of POST .../inspections)."""
    from homeward.config import get_settings
    from homeward.db import Database
    from homeward.doors.warehouse import mapping
    from homeward.doors.warehouse.schemas import InspectionIn
    from homeward.photos.store import photo_from_upload, store_from_url
    from homeward.receiving.service import inspect as record

    url = _setup(database_url)

    def run() -> None:
        try:
            body = InspectionIn.model_validate_json(file.read_bytes())
        except ValidationError as exc:
            raise _invalid(exc) from None
        uploads = {}
        for spec in photo or []:
            name, _, path = spec.partition("=")
            if not name or not path or not Path(path).is_file():
                raise InvalidInput(
                    "--photo must be NAME=PATH of a file",
                    [FieldError(f"photos.{name or spec}", "not a file")],
                )
            uploads[name] = photo_from_upload(name, Path(path).read_bytes())
        store = store_from_url(get_settings().photo_store)
        staff = _staff(url, token, warehouse)
        result = record(Database(url), store, staff, return_id, mapping.observations(body), uploads)
        _print(mapping.return_out(result))

    _run_cli(run)


@app.command()
def close(
    return_id: Annotated[int, typer.Argument(help="Return id")],
    reason: Annotated[str | None, typer.Option(help="Why units are missing")] = None,
    token: Token = None,
    warehouse: Warehouse = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Complete a return whose package held fewer units; the rest are recorded short."""
    from homeward.db import Database
    from homeward.doors.warehouse.mapping import return_out
    from homeward.receiving.service import close as finish

    url = _setup(database_url)
    _run_cli(
        lambda: _print(return_out(finish(Database(url), _staff(url, token, warehouse), return_id, reason)))
    )


@app.command()
def release(
    return_id: Annotated[int, typer.Argument(help="Return whose quarantined units are released")],
    item: Annotated[int, typer.Option("--item", help="Inventory id")],
    quantity: Annotated[int, typer.Option("--quantity", min=1, help="Units to release")],
    action: Annotated[str, typer.Option("--action", help="Restock or Dispose")],
    reason: Annotated[str | None, typer.Option(help="The inspector's note")] = None,
    token: Token = None,
    warehouse: Warehouse = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Release quarantined units to Restock or Dispose (storage is charged for the days they sat)."""
    from homeward.db import Database
    from homeward.doors.warehouse.mapping import release_out
    from homeward.inventory.service import release as let_go

    url = _setup(database_url)

    def run() -> None:
        if action not in ("Restock", "Dispose"):
            raise InvalidInput(
                "--action must be Restock or Dispose", [FieldError("action", f"got {action!r}")]
            )
        staff = _staff(url, token, warehouse)
        _print(
            release_out(let_go(Database(url), staff, return_id, item, quantity, ReturnAction(action), reason))
        )

    _run_cli(run)


@app.command()
def inventory(
    item: Annotated[int, typer.Option("--item", help="Inventory id")],
    fc: Annotated[
        int | None, typer.Option("--fc", help="Fulfillment center (default: the warehouse's)")
    ] = None,
    token: Annotated[
        str | None, typer.Option("--token", envvar="HOMEWARD_TOKEN", help="Warehouse or merchant token")
    ] = None,
    warehouse: Warehouse = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Sellable, quarantined and disposed units of an item, summed from the ledger."""
    from homeward.db import Database
    from homeward.doors.warehouse.mapping import balance_out
    from homeward.inventory.service import balance

    url = _setup(database_url)
    _run_cli(lambda: _print(balance_out(balance(Database(url), _caller(url, token, warehouse), item, fc))))


def _invalid(exc: ValidationError) -> InvalidInput:
    from homeward.doors.http.errors import field_path

    errors = [FieldError(field_path(("body", *e["loc"])), e["msg"]) for e in exc.errors()]
    return InvalidInput("The inspection file is not valid; nothing was recorded", errors)
