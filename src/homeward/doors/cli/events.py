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
    from homeward.doors.webhooks.routes import new_subscription_out
    from homeward.events.service import add_subscription

    db = _db(database_url)
    created = _run(lambda: add_subscription(db, _merchant_principal(merchant), url, topic or [], description))
    typer.echo(new_subscription_out(created).model_dump_json())


@webhook_app.command("list")
def webhook_list(merchant: MerchantId, database_url: DatabaseUrl = None) -> None:
    """One JSON line per subscription of the merchant."""
    from homeward.doors.webhooks.routes import subscription_out
    from homeward.events.service import list_subscriptions

    db = _db(database_url)
    for record in _run(lambda: list_subscriptions(db, _merchant_principal(merchant))):
        typer.echo(subscription_out(record).model_dump_json())


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


@webhook_app.command("replay")
def webhook_replay(
    subscription_id: Annotated[int, typer.Argument(help="Subscription id")],
    delivery_id: Annotated[int, typer.Argument(help="delivery_id from the delivery log")],
    merchant: MerchantId,
    database_url: DatabaseUrl = None,
) -> None:
    """Send a finished delivery's event again (same webhook-id); the worker sends it at once."""
    from homeward.doors.webhooks.routes import replay_out
    from homeward.events.service import replay_delivery

    db = _db(database_url)
    replayed = _run(lambda: replay_delivery(db, _merchant_principal(merchant), subscription_id, delivery_id))
    typer.echo(replay_out(replayed).model_dump_json())


@webhook_app.command("prune")
def webhook_prune(
    days: Annotated[
        float | None,
        typer.Option("--days", min=0, help="Keep this many days; default HOMEWARD_EVENT_RETENTION_DAYS"),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Forget finished deliveries (and their log) and sent events older than the retention period;
    pending ones are kept whatever their age. The worker does the same, a batch at a time."""
    from homeward.config import get_settings
    from homeward.events.retention import cutoff, prune

    db = _db(database_url)
    retention = get_settings().event_retention_days if days is None else days
    pruned = prune(db, cutoff(retention))
    typer.echo(json.dumps({"deliveries": pruned.deliveries, "events": pruned.events, "days": retention}))


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
