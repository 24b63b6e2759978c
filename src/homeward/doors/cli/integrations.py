"""`homeward integration ...`: connect a merchant's AfterShip or Loop account (their webhook secret
in, the URL to give them out) and read what they sent."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from homeward.doors.cli.events import _db, _merchant_principal
from homeward.doors.cli.main import DatabaseUrl, _run

integration_app: typer.Typer = typer.Typer(
    help="Returns platforms (AfterShip, Loop) that create returns by webhook", no_args_is_help=True
)
MerchantId = Annotated[int, typer.Option("--merchant", help="Merchant id the platform account belongs to")]


@integration_app.command("set")
def integration_set(
    platform: Annotated[str, typer.Argument(help="aftership or loop")],
    merchant: MerchantId,
    database_url: DatabaseUrl = None,
) -> None:
    """Read the platform's webhook secret from standard input; print the URL path to give it."""
    from homeward.integrations.domain import Platform
    from homeward.integrations.service import configure

    if platform not in Platform._value2member_map_:
        typer.echo("error: unknown platform\n  - platform: aftership or loop", err=True)
        raise typer.Exit(1)
    db = _db(database_url)
    secret = sys.stdin.readline().strip()
    found = _run(lambda: configure(db, merchant, Platform(platform), secret))
    typer.echo(
        json.dumps({"platform": found.platform.value, "merchant_key": found.merchant_key, "path": found.path})
    )


@integration_app.command("list")
def integration_list(merchant: MerchantId, database_url: DatabaseUrl = None) -> None:
    """The merchant's connected platforms and the path each posts to."""
    from homeward.integrations.service import list_integrations

    db = _db(database_url)
    for found in list_integrations(db, merchant):
        typer.echo(
            json.dumps(
                {"platform": found.platform.value, "merchant_key": found.merchant_key, "path": found.path}
            )
        )


@integration_app.command("events")
def integration_events(
    merchant: MerchantId,
    limit: Annotated[int, typer.Option(help="How many, newest first")] = 50,
    database_url: DatabaseUrl = None,
) -> None:
    """Webhooks received from the platforms, refusals with their reason (one JSON line each)."""
    from homeward.integrations.service import events

    db = _db(database_url)
    for event in _run(lambda: events(db, _merchant_principal(merchant), limit)):
        typer.echo(json.dumps({**event.__dict__, "received_at": event.received_at.isoformat()}))
