"""Homeward's own FTP server (pyftpdlib): merchants drop refund files, acks come back.

Each FTP account is jailed in `<root>/<username>/` holding `JetRefunds/` (the inbox) and
`JetRefunds/Acks/`. An upload into the inbox is written under a hidden `.NAME.part` name and
renamed when complete, so a half-uploaded file is never taken. Complete files are handed to one
pool of worker threads, one file per FTP user at a time and several users at once (the FTP loop
never waits on processing): the refund service stages the rows, the inbox copy is removed (the
ack repeats every row), and the ack is written into Acks/.

On start and every `rescan` seconds the worker also finishes files that a crash or a kill left
unfinished, and takes files lying in an inbox, so nothing uploaded is ever lost or applied twice.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyftpdlib.authorizers import AuthenticationFailed
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

from homeward.config import get_settings
from homeward.db import Database
from homeward.doors.http.observability import configure_logging
from homeward.ftp_accounts import service as accounts
from homeward.refunds import service
from homeward.refunds.acks import AckFolder
from homeward.refunds.domain import is_in_progress_name
from homeward.refunds.records import Inbound, Source

log = logging.getLogger("homeward.ftp")

INBOX, ACKS = "JetRefunds", "Acks"
PERMISSIONS = "elradfmwMT"  # everything, inside the user's own home only


class Homes:
    """Where each FTP user's files live, and which paths are refund-file inboxes."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def home(self, username: str) -> Path:
        home = self.root / username
        (home / INBOX / ACKS).mkdir(parents=True, exist_ok=True)
        return home

    def acks(self, username: str) -> Path:
        return self.home(username) / INBOX / ACKS

    def owner_of_inbox_file(self, path: Path) -> str | None:
        """The username whose inbox holds this path directly, or None."""
        try:
            username, inbox, _name = path.relative_to(self.root).parts
        except ValueError:
            return None
        return username if inbox == INBOX else None


@dataclass(frozen=True)
class NewFile:
    username: str
    path: Path


@dataclass(frozen=True)
class Unfinished:
    file_id: int
    username: str


class Worker:
    """Processes files off the FTP loop (which keeps answering meanwhile) on a few threads.

    Each FTP user's files are taken one at a time, in the order they came; different users'
    files are worked on at once, so one merchant's 100,000-row file never holds up another
    merchant's acks.
    """

    def __init__(self, db: Database, homes: Homes, rescan: float, threads: int = 4) -> None:
        self.db, self.homes, self.rescan = db, homes, rescan
        self.lock = threading.Lock()
        self.pending: dict[str, collections.deque[NewFile | Unfinished]] = {}  # per FTP user
        self.queued: set[NewFile | Unfinished] = set()
        self.pool = ThreadPoolExecutor(max(1, threads), thread_name_prefix="refund-files")
        self.thread = threading.Thread(target=self._loop, name="refund-sweeps", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def submit(self, job: NewFile | Unfinished) -> None:
        with self.lock:
            if job in self.queued:
                return
            self.queued.add(job)
            queue = self.pending.get(job.username)
            if queue is not None:
                queue.append(job)  # that user's runner takes it after the file in hand
                return
            self.pending[job.username] = collections.deque([job])
        self.pool.submit(self._drain, job.username)

    def _drain(self, username: str) -> None:
        """Work through one user's files until none is left."""
        while True:
            with self.lock:
                queue = self.pending[username]
                if not queue:
                    del self.pending[username]
                    return
                job = queue.popleft()
                self.queued.discard(job)
            self._safely(lambda job=job: self._run(job))

    def sweep(self) -> None:
        """Queue the files lying in the inboxes, then what a crash left unfinished.

        Inbox files go first: one that was staged but not yet removed when the process died
        resumes its unfinished record (same name and bytes) instead of arriving a second time.
        """
        for account in accounts.list_accounts(self.db):
            inbox = self.homes.home(account.username) / INBOX
            for path in sorted(inbox.iterdir()):
                if path.is_file() and not is_in_progress_name(path.name):
                    self.submit(NewFile(account.username, path))
        for record in service.unfinished(self.db, Source.FTP):
            self.submit(Unfinished(record.id, record.origin))

    def _loop(self) -> None:
        while True:
            self._safely(self.sweep)
            time.sleep(self.rescan)

    def _run(self, job: NewFile | Unfinished) -> None:
        if isinstance(job, Unfinished):
            outcome = service.complete(self.db, job.file_id, AckFolder(self.homes.acks(job.username)))
        else:
            account = accounts.find_account(self.db, job.username)
            if account is None or not job.path.is_file():
                return  # the account was removed, or the file was taken already
            inbound = Inbound(account.merchant_id, job.path.name, job.path, Source.FTP, job.username)
            outcome = service.handle(
                self.db,
                inbound,
                AckFolder(self.homes.acks(job.username)),
                on_received=lambda _: job.path.unlink(missing_ok=True),
            )
        record = outcome.file
        log.info(
            "refund file answered",
            extra={
                "fields": {
                    "file_id": record.id,
                    "file": record.name,
                    "ftp_user": record.origin,
                    "rows_ok": record.rows_ok,
                    "rows_failed": record.rows_failed,
                }
            },
        )

    @staticmethod
    def _safely(action: Any) -> None:
        try:
            action()
        except Exception:  # a bad day for one file must not stop the others; the next sweep retries
            log.exception("refund file processing failed; will retry")


class AccountAuthorizer:
    """pyftpdlib's authorizer interface over Homeward's FTP accounts (scrypt-hashed passwords)."""

    def __init__(self, db: Database, homes: Homes) -> None:
        self.db, self.homes = db, homes

    def validate_authentication(self, username: str, password: str, handler: Any) -> None:
        if accounts.authenticate(self.db, username, password) is None:
            raise AuthenticationFailed("Authentication failed.")

    def get_home_dir(self, username: str) -> str:
        return str(self.homes.home(username))

    def has_user(self, username: str) -> bool:
        return accounts.find_account(self.db, username) is not None

    def has_perm(self, username: str, perm: str, path: str | None = None) -> bool:
        return perm in PERMISSIONS

    def get_perms(self, username: str) -> str:
        return PERMISSIONS

    def get_msg_login(self, username: str) -> str:
        return f"Welcome. Put refund files in {INBOX}/; acks appear in {INBOX}/{ACKS}/."

    def get_msg_quit(self, username: str) -> str:
        return "Goodbye."

    def impersonate_user(self, username: str, password: str) -> None:
        return None

    def terminate_impersonation(self, username: str) -> None:
        return None


class RefundFtpHandler(FTPHandler):  # type: ignore[misc]
    """Uploads into an inbox land under a hidden partial name until complete."""

    homes: Homes
    worker: Worker

    def ftp_STOR(self, file: str, mode: str = "w") -> Any:
        path = Path(file)
        if self.homes.owner_of_inbox_file(path) and not is_in_progress_name(path.name):
            if "a" in mode:
                self.respond("550 Appending to a refund file is not supported; upload the whole file.")
                return None
            file = str(path.with_name(f".{path.name}.part"))
        return super().ftp_STOR(file, mode)

    def on_file_received(self, file: str) -> None:
        path = Path(file)
        username = self.homes.owner_of_inbox_file(path)
        if username is None:
            return
        if path.name.startswith(".") and path.name.endswith(".part"):
            final = path.with_name(path.name[1 : -len(".part")])
            path.replace(final)
            path = final
        if not is_in_progress_name(path.name):
            self.worker.submit(NewFile(username, path))

    def ftp_RNTO(self, path: str) -> Any:
        """Clients that upload under a temporary name and rename it (WinSCP) are served too."""
        renamed = super().ftp_RNTO(path)
        if renamed:
            target = Path(renamed[1])
            username = self.homes.owner_of_inbox_file(target)
            if username and target.is_file() and not is_in_progress_name(target.name):
                self.worker.submit(NewFile(username, target))
        return renamed


def build_server(
    db: Database,
    root: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 2121,
    rescan: float = 30.0,
    passive_ports: range | None = None,
) -> tuple[FTPServer, Worker]:
    homes = Homes(root)
    root.mkdir(parents=True, exist_ok=True)
    worker = Worker(db, homes, rescan, get_settings().ftp_workers)
    handler = type(
        "HomewardFtpHandler",
        (RefundFtpHandler,),
        {
            "homes": homes,
            "worker": worker,
            "authorizer": AccountAuthorizer(db, homes),
            "banner": "Homeward refund files FTP",
            "passive_ports": list(passive_ports) if passive_ports else None,
            "permit_foreign_addresses": False,
        },
    )
    server = FTPServer((host, port), handler)
    return server, worker


def run_server(
    db: Database,
    root: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 2121,
    rescan: float = 30.0,
    passive_ports: range | None = None,
) -> None:
    configure_logging(get_settings().log_level)
    # pyftpdlib logs every session at INFO in its own format; keep its warnings, in ours.
    ftp_log = logging.getLogger("pyftpdlib")
    ftp_log.handlers[:] = logging.getLogger("homeward").handlers
    ftp_log.setLevel(logging.WARNING)
    ftp_log.propagate = False
    server, worker = build_server(db, root, host=host, port=port, rescan=rescan, passive_ports=passive_ports)
    worker.start()
    log.info("ftp server ready", extra={"fields": {"host": host, "port": port, "root": str(root)}})
    try:
        server.serve_forever(handle_exit=True)
    finally:
        server.close_all()
