"""`homeward refunds ...` and `homeward ftp ...`: refund files from a folder, a merchant's FTP site,
or Homeward's own FTP server, and the FTP accounts merchants sign in with."""

from __future__ import annotations

import ftplib
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from homeward.doors.cli.main import DatabaseUrl, _run, _use_database
from homeward.kit.errors import FieldError, InvalidInput

refunds_app = typer.Typer(
    help="Marketplace refund files (Jet-style CSV) and their acks", no_args_is_help=True
)
ftp_app = typer.Typer(help="Homeward's FTP server for refund files", no_args_is_help=True)
ftp_user_app = typer.Typer(help="FTP accounts (one or more per merchant)", no_args_is_help=True)
ftp_app.add_typer(ftp_user_app, name="user")

Merchant = Annotated[
    int | None,
    typer.Option(
        "--merchant", help="Merchant id the files belong to (default: the only one with marketplace orders)"
    ),
]
PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from standard input instead of generating one"),
]


def _database(database_url: str | None) -> str:
    from homeward.db import upgrade

    url = _use_database(database_url)
    upgrade(url)
    return url


def _merchant(url: str, merchant: int | None) -> int:
    from homeward.db import Database
    from homeward.refunds.service import merchants_with_marketplace_orders

    if merchant is not None:
        return merchant
    candidates = merchants_with_marketplace_orders(Database(url))
    if len(candidates) != 1:
        raise InvalidInput(
            f"--merchant is required: {len(candidates)} merchants have marketplace orders",
            [FieldError("--merchant", "name the merchant the refund file belongs to")],
        )
    return candidates[0]


@refunds_app.command("process")
def process(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A refund CSV file")
    ],
    merchant: Merchant = None,
    ack_dir: Annotated[
        Path | None, typer.Option("--ack-dir", help="Where the ack goes (default: Acks/ next to FILE)")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Process one refund file and print the path of its ack (rows that failed are in the ack)."""
    from homeward.db import Database
    from homeward.refunds.acks import AckFolder
    from homeward.refunds.records import FileOutcome, Inbound, Source
    from homeward.refunds.service import handle

    url = _database(database_url)
    merchant_id = _run(lambda: _merchant(url, merchant))
    folder = ack_dir or file.resolve().parent / "Acks"
    inbound = Inbound(merchant_id, file.name, file, Source.CLI, str(file.resolve().parent))

    def run_file() -> FileOutcome:
        try:
            return handle(Database(url), inbound, AckFolder(folder))
        except OSError as exc:  # e.g. a folder we may not write to; running again resumes the file
            raise InvalidInput(
                f"The ack could not be written: {exc}", [FieldError("--ack-dir", str(exc))]
            ) from exc

    outcome = _run(run_file)
    summary = outcome.file
    typer.echo(f"{summary.name}: {summary.rows_ok} row(s) TRUE, {summary.rows_failed} row(s) FALSE", err=True)
    typer.echo(outcome.ack_location)


@refunds_app.command("poll")
def poll(
    url: Annotated[
        str, typer.Option("--url", help="The merchant's FTP site: ftp://user@host[:port]/[folder]")
    ],
    merchant: Merchant = None,
    password_env: Annotated[
        str, typer.Option("--password-env", help="Environment variable holding the FTP password")
    ] = "HOMEWARD_POLL_PASSWORD",
    every: Annotated[
        float | None,
        typer.Option(
            "--every",
            help="Poll every SECONDS until stopped (default: HOMEWARD_REFUNDS_POLL_EVERY, else once)",
        ),
    ] = None,
    settle: Annotated[
        float,
        typer.Option("--settle", help="Take a file only once its size stayed the same this many seconds"),
    ] = 2.0,
    database_url: DatabaseUrl = None,
) -> None:
    """Download new refund files from a merchant's FTP site, process them and upload their acks."""
    from homeward.config import get_settings
    from homeward.db import Database
    from homeward.doors.ftp.poller import parse_site, poll_forever, poll_once

    site = _run(lambda: parse_site(url, password_env))
    db_url = _database(database_url)
    merchant_id = _run(lambda: _merchant(db_url, merchant))
    db = Database(db_url)
    interval = every if every is not None else get_settings().refunds_poll_every

    def report(outcome_line: dict[str, object]) -> None:
        typer.echo(json.dumps(outcome_line))

    if interval is None:
        try:
            _run(lambda: poll_once(db, site, merchant_id, settle=settle, report=report))
        except (OSError, EOFError, ftplib.Error) as exc:
            typer.echo(f"error: the FTP site {site.origin} failed: {exc}", err=True)
            raise typer.Exit(1) from None
        return
    if interval <= 0:
        typer.echo("error: --every must be more than 0 seconds", err=True)
        raise typer.Exit(1)
    poll_forever(db, site, merchant_id, every=interval, settle=settle, report=report)


@ftp_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 2121,
    root: Annotated[
        Path | None,
        typer.Option("--root", help="Folder holding one home per FTP user (default HOMEWARD_FTP_ROOT)"),
    ] = None,
    rescan: Annotated[
        float, typer.Option("--rescan", help="Seconds between looks for files left unprocessed")
    ] = 30.0,
    passive_ports: Annotated[
        str | None,
        typer.Option("--passive-ports", help="Range for passive data connections, e.g. 60000-60099"),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Serve FTP for merchants' refund files; each upload into JetRefunds/ is answered in JetRefunds/Acks/."""
    from homeward.config import get_settings
    from homeward.db import Database
    from homeward.doors.ftp.server import run_server

    url = _database(database_url)
    ports = _run(lambda: _port_range(passive_ports)) if passive_ports else None
    home_root = root or Path(get_settings().ftp_root)
    run_server(Database(url), home_root.resolve(), host=host, port=port, rescan=rescan, passive_ports=ports)


def _port_range(text: str) -> range:
    low, _, high = text.partition("-")
    if not (low.isdigit() and high.isdigit() and 0 < int(low) <= int(high) < 65536):
        raise InvalidInput(
            "--passive-ports is not valid", [FieldError("--passive-ports", "must look like 60000-60099")]
        )
    return range(int(low), int(high) + 1)


@ftp_user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name (lowercase letters, digits, . _ -)")],
    merchant: Annotated[
        int, typer.Option("--merchant", help="Merchant id whose refund files this user sends")
    ],
    password_stdin: PasswordStdin = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Add an FTP account; a generated password is printed once (only its scrypt hash is stored)."""
    from homeward.db import Database
    from homeward.ftp_accounts.service import add_account

    url = _database(database_url)
    password = _stdin_password() if password_stdin else None
    issued = _run(lambda: add_account(Database(url), merchant, username, password))
    typer.echo(issued.password if password is None else f"FTP user '{issued.username}' added")


@ftp_user_app.command("passwd")
def user_passwd(
    username: Annotated[str, typer.Argument(help="Login name")],
    password_stdin: PasswordStdin = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Give an FTP account a new password (printed once when generated)."""
    from homeward.db import Database
    from homeward.ftp_accounts.service import set_password

    url = _database(database_url)
    password = _stdin_password() if password_stdin else None
    issued = _run(lambda: set_password(Database(url), username, password))
    typer.echo(issued.password if password is None else f"password of FTP user '{issued.username}' changed")


@ftp_user_app.command("list")
def user_list(database_url: DatabaseUrl = None) -> None:
    """List FTP accounts as JSON lines (never their passwords)."""
    from homeward.db import Database
    from homeward.ftp_accounts.service import list_accounts

    url = _database(database_url)
    for account in list_accounts(Database(url)):
        typer.echo(json.dumps({"username": account.username, "merchant_id": account.merchant_id}))


@ftp_user_app.command("remove")
def user_remove(
    username: Annotated[str, typer.Argument(help="Login name")], database_url: DatabaseUrl = None
) -> None:
    """Remove an FTP account (its home folder and files stay on disk)."""
    from homeward.db import Database
    from homeward.ftp_accounts.service import remove_account

    url = _database(database_url)
    _run(lambda: remove_account(Database(url), username))
    typer.echo(f"FTP user '{username}' removed")


def _stdin_password() -> str:
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        typer.echo("error: no password on standard input", err=True)
        raise typer.Exit(1)
    return line
