"""`homeward` command line: serve, migrate, import, demo data and tokens."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from homeward.doors.cli.warehouse import app as warehouse_app
from homeward.kit.errors import HomewardError

app = typer.Typer(help="Homeward returns management", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema", no_args_is_help=True)
token_app = typer.Typer(help="Personal access tokens", no_args_is_help=True)
rates_app = typer.Typer(help="Carrier rate cards for return labels", no_args_is_help=True)
user_app = typer.Typer(help="Web app users (merchant or warehouse staff)", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(warehouse_app, name="warehouse")
app.add_typer(rates_app, name="rates")
app.add_typer(user_app, name="user")

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="Overrides HOMEWARD_DATABASE_URL (default sqlite:///./homeward.db)"),
]
T = TypeVar("T")


def _use_database(url: str | None) -> str:
    """Point this process (and any worker it spawns) at one database."""
    from homeward.config import get_settings

    if url:
        os.environ["HOMEWARD_DATABASE_URL"] = url
        get_settings.cache_clear()
    return get_settings().database_url


def _run(action: Callable[[], T]) -> T:
    """Domain errors become a message on stderr and exit code 1, never a traceback."""
    try:
        return action()
    except HomewardError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        for item in exc.errors:
            typer.echo(f"  - {item}", err=True)
        raise typer.Exit(1) from None


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseUrl = None) -> None:
    """Apply every pending migration."""
    from homeward.db import Database, upgrade
    from homeward.labels.service import ensure_default_rate_card

    url = _use_database(database_url)
    upgrade(url)
    ensure_default_rate_card(Database(url))
    typer.echo("database is up to date")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (share nothing but the database)")] = 1,
    database_url: DatabaseUrl = None,
) -> None:
    """Migrate the database, then serve the API (and docs at /docs)."""
    import uvicorn

    from homeward.db import Database, upgrade
    from homeward.labels.service import ensure_default_rate_card

    url = _use_database(database_url)
    upgrade(url)
    ensure_default_rate_card(Database(url))
    if "HOMEWARD_PUBLIC_URL" not in os.environ:  # links we hand out (photos) point at this server
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        os.environ["HOMEWARD_PUBLIC_URL"] = f"http://{shown}:{port}"
        from homeward.config import get_settings

        get_settings.cache_clear()
    uvicorn.run(
        "homeward.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_level="warning",
    )


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="JSON lines file")],
    database_url: DatabaseUrl = None,
) -> None:
    """Import merchants, channels, fulfillment centers, products and orders (all or nothing)."""
    from homeward.db import Database, upgrade
    from homeward.importing.service import import_lines

    url = _use_database(database_url)
    upgrade(url)
    summary = _run(lambda: import_lines(Database(url), file.read_text(encoding="utf-8-sig")))
    typer.echo(json.dumps({"imported": summary.counts}))


@app.command("demo-data")
def demo_data(
    database_url: DatabaseUrl = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Migrate and load the demo merchant; prints fresh demo tokens."""
    from homeward.db import Database, upgrade
    from homeward.demo.data import load

    url = _use_database(database_url)
    upgrade(url)
    result: dict[str, Any] = _run(lambda: load(Database(url)))
    result["integrations"] = _demo_integrations(Database(url), result["merchant_id"])
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(f"Demo loaded into {url}")
    typer.echo(f"  token (all scopes):   {result['token']}")
    typer.echo(f"  read-only token:      {result['readonly_token']}")
    typer.echo(f"  other merchant token: {result['other_token']}")
    typer.echo(f"  channel id:           {result['channel_id']}")
    for fc_id, secret in result["warehouse_tokens"].items():
        typer.echo(f"  warehouse {fc_id} token:    {secret}")
    marketplace = result["marketplace"]
    typer.echo(f"  FTP user / password:  {marketplace['ftp_user']} / {marketplace['ftp_password']}")
    web_users = result["web_users"]
    typer.echo("Web app: sign in at http://127.0.0.1:8000/login")
    typer.echo(
        f"  merchant:             {web_users['merchant']['email']} / {web_users['merchant']['password']}"
    )
    for fc_id, login in web_users["warehouse"].items():
        typer.echo(f"  warehouse {fc_id}:          {login['email']} / {login['password']}")
    for platform, found in result["integrations"].items():
        label = f"{platform} webhook:"
        typer.echo(f"  {label:<22}POST {found['path']} (HMAC secret {found['secret']})")


def _demo_integrations(db: Any, merchant_id: int) -> dict[str, dict[str, str]]:
    """AfterShip and Loop connected for the demo merchant: a fresh signing secret per run."""
    import secrets

    from homeward.integrations.domain import Platform
    from homeward.integrations.service import configure

    shown = {}
    for platform in Platform:
        secret = secrets.token_urlsafe(24)
        found = configure(db, merchant_id, platform, secret)
        shown[platform.value] = {"merchant_key": found.merchant_key, "path": found.path, "secret": secret}
    return shown


@token_app.command("create")
def token_create(
    merchant: Annotated[int | None, typer.Option("--merchant", help="Merchant id the token acts for")] = None,
    warehouse: Annotated[
        int | None, typer.Option("--warehouse", help="Fulfillment center id (a warehouse token)")
    ] = None,
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="Repeatable; default: all merchant scopes")
    ] = None,
    name: Annotated[str, typer.Option(help="A label to recognise the token by")] = "",
    database_url: DatabaseUrl = None,
) -> None:
    """Create a personal access token; the secret is printed once and stored only hashed.

    `--merchant ID` makes a merchant token; `--warehouse FC_ID` a warehouse token (scope
    `warehouse`), acting in that fulfillment center for every merchant's returns.
    """
    from homeward.auth.domain import Scope
    from homeward.auth.service import create_token, create_warehouse_token, parse_scopes
    from homeward.db import Database, upgrade
    from homeward.kit.errors import InvalidInput

    url = _use_database(database_url)
    upgrade(url)

    def issue() -> str:
        if (merchant is None) == (warehouse is None):
            raise InvalidInput("Give exactly one of --merchant ID or --warehouse FC_ID")
        with Database(url).write() as session:
            if warehouse is not None:
                if scope and set(scope) != {Scope.WAREHOUSE.value}:
                    raise InvalidInput("A warehouse token has the warehouse scope only")
                return create_warehouse_token(session, warehouse, name).secret
            assert merchant is not None
            scopes = parse_scopes(scope) if scope else Scope.merchant_defaults()
            return create_token(session, merchant, scopes, name).secret

    typer.echo(_run(issue))


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option("--email", help="What the user signs in with")],
    merchant: Annotated[int | None, typer.Option("--merchant", help="Merchant id the user works for")] = None,
    warehouse: Annotated[
        int | None, typer.Option("--warehouse", help="Fulfillment center id (warehouse staff)")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a web app user. Without --password-stdin a password is made up and printed once."""
    from homeward.db import Database, upgrade
    from homeward.users import domain
    from homeward.users.service import create_user

    url = _use_database(database_url)
    upgrade(url)
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else domain.new_password()
    user = _run(
        lambda: create_user(
            Database(url), email, password, merchant_id=merchant, fulfillment_center_id=warehouse
        )
    )
    typer.echo(f"created user {user.id} ({user.email})")
    if not password_stdin:
        typer.echo(f"password: {password}")


@rates_app.command("load")
def rates_load(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="Rate file (JSON)")
    ],
    database_url: DatabaseUrl = None,
) -> None:
    """Validate a rate file fully and make it price new labels (a bad file changes nothing)."""
    from homeward.db import Database, upgrade
    from homeward.labels.service import load_rate_card

    url = _use_database(database_url)
    upgrade(url)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        typer.echo(f"error: {file} is not UTF-8 text ({exc.reason})", err=True)
        raise typer.Exit(1) from None
    summary = _run(lambda: load_rate_card(Database(url), text))
    typer.echo(
        json.dumps({"version": summary.version, "loaded": summary.loaded, "carriers": summary.carriers})
    )


@rates_app.command("show")
def rates_show(database_url: DatabaseUrl = None) -> None:
    """Print the version and services of the rate card that prices new labels."""
    from homeward.db import Database, upgrade
    from homeward.labels.service import current_rate_card

    url = _use_database(database_url)
    upgrade(url)
    summary = current_rate_card(Database(url))
    typer.echo(json.dumps({"version": summary.version, "carriers": summary.carriers}))


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())


# Refund files and FTP accounts: registered last because they reuse the helpers above.
from homeward.doors.cli.refunds import ftp_app, refunds_app  # noqa: E402

app.add_typer(refunds_app, name="refunds")
app.add_typer(ftp_app, name="ftp")

# Webhooks and the delivery worker (issue 12).
from homeward.doors.cli.events import webhook_app, worker  # noqa: E402

app.add_typer(webhook_app, name="webhook")
app.command("worker")(worker)
from homeward.doors.cli.integrations import integration_app  # noqa: E402

app.add_typer(integration_app, name="integration")
