"""`homeward webhook ...` (a merchant's subscriptions) and `homeward worker` (delivers them)."""

from __future__ import annotations

import json
import signal
import threading
from typing import Annotated, Any

import typer

from homeward.doors.cli.main import DatabaseUrl, _run, _use_database

webhook_app: typer.Typer = typer.Typer(
    help="Outbound webhooks: who is told when a return changes", no_args_is_help=True
)

MerchantId = Annotated[int, typer.Option("--merchant", help="Merchant id the subscription belongs to")]


def _merchant_principal(merchant: int) -> Any:
    from homeward.auth.domain import Principal, Scope

    return Principal(token_id=0, merchant_id=merchant, scopes=Scope.merchant_defaults())


def _db(database_url: str | None) -> Any:
    from homeward.db import Database, upgrade

    url = _use_database(database_url)
    upgrade(url)
    return Database(url)


def _subscription_json(record: Any) -> dict[str, Any]:
    return {
        "id": record.id,
        "url": record.url,
        "topics": [t.value for t in record.topics],
        "description": record.description,
        "status": record.status.value,
        "created_at": record.created_at.isoformat(),
        "failing_since": record.failing_since.isoformat() if record.failing_since else None,
    }


@webhook_app.command("add")
def webhook_add(
    url: Annotated[str, typer.Argument(help="https:// receiver")],
    merchant: MerchantId,
    topic: Annotated[
        list[str] | None, typer.Option("--topic", help="Repeatable; default: every topic")
    ] = None,
    description: Annotated[str, typer.Option(help="A note to recognise it by")] = "",
    database_url: DatabaseUrl = None,
) -> None:
    """Subscribe a URL; prints the subscription and its signing secret (shown this once)."""
    from homeward.events.service import add_subscription

    db = _db(database_url)
    created = _run(lambda: add_subscription(db, _merchant_principal(merchant), url, topic or [], description))
    typer.echo(json.dumps({**_subscription_json(created.subscription), "secret": created.secret}))


@webhook_app.command("list")
def webhook_list(merchant: MerchantId, database_url: DatabaseUrl = None) -> None:
    """One JSON line per subscription of the merchant."""
    from homeward.events.service import list_subscriptions

    db = _db(database_url)
    for record in _run(lambda: list_subscriptions(db, _merchant_principal(merchant))):
        typer.echo(json.dumps(_subscription_json(record)))


@webhook_app.command("remove")
def webhook_remove(
    subscription_id: Annotated[int, typer.Argument(help="Subscription id")],
    merchant: MerchantId,
    database_url: DatabaseUrl = None,
) -> None:
    """Unsubscribe (pending deliveries are dropped)."""
    from homeward.events.service import remove_subscription

    db = _db(database_url)
    _run(lambda: remove_subscription(db, _merchant_principal(merchant), subscription_id))
    typer.echo(f"removed webhook subscription {subscription_id}")


def worker(
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due now, then exit")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Deliver webhook events until stopped (SIGTERM or Ctrl-C). Run as many as you like."""
    from homeward.doors.webhooks.payloads import render
    from homeward.events.worker import Worker

    db = _db(database_url)
    delivery = Worker(db, render)
    if once:
        while delivery.run_once():
            pass
        return
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    delivery.run(stop)
