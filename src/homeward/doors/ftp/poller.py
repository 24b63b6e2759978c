"""Refund files on a merchant-hosted FTP site (the seed's usual set-up): poll, process, upload acks.

The merchant's site has `JetRefunds/` and `JetRefunds/Acks/` under the URL's folder. A file in
JetRefunds/ without an ack in Acks/ is new; it is taken once its size has stayed the same for
`settle` seconds (an upload in progress grows). Files are downloaded to a temporary file (never
held in memory), processed by the refund service, and the ack is uploaded under a temporary
name and renamed, so the merchant never sees half an ack. The merchant's files are left as they
are. Files received but not answered when the poller died are finished on the next poll.
"""

from __future__ import annotations

import contextlib
import ftplib
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from homeward.db import Database
from homeward.kit.errors import FieldError, InvalidInput
from homeward.refunds import service
from homeward.refunds.domain import ack_name, is_in_progress_name
from homeward.refunds.records import FileOutcome, Inbound, Source

log = logging.getLogger("homeward.ftp.poll")
INBOX, ACKS = "JetRefunds", "Acks"
Report = Callable[[dict[str, object]], None]


@dataclass(frozen=True)
class Site:
    host: str
    port: int
    user: str
    folder: str  # the folder holding JetRefunds/, '' for the login folder
    password: str = field(repr=False)

    @property
    def origin(self) -> str:
        """How the site is named in the database and in logs: never with the password."""
        folder = f"/{self.folder}" if self.folder else "/"
        return f"ftp://{self.user}@{self.host}:{self.port}{folder}"

    def path(self, *parts: str) -> str:
        return "/".join(p for p in (self.folder, *parts) if p)


def parse_site(url: str, password_env: str) -> Site:
    parts = urlsplit(url)
    errors = []
    if parts.scheme != "ftp":
        errors.append(FieldError("--url", "must start with ftp://"))
    if not parts.hostname:
        errors.append(FieldError("--url", "must name a host, e.g. ftp://user@ftp.example.com/"))
    if not parts.username:
        errors.append(FieldError("--url", "must name the FTP user, e.g. ftp://user@ftp.example.com/"))
    try:
        port = parts.port or 21
    except ValueError:
        errors.append(FieldError("--url", "has a port that is not a number from 1 to 65535"))
        port = 21
    password = unquote(parts.password) if parts.password else os.environ.get(password_env, "")
    if not password:
        errors.append(FieldError("--password-env", f"set {password_env} to the FTP password"))
    if errors:
        raise InvalidInput("The FTP site is not usable", errors)
    return Site(
        host=parts.hostname or "",
        port=port,
        user=unquote(parts.username or ""),
        folder=unquote(parts.path).strip("/"),
        password=password,
    )


@contextmanager
def connected(site: Site) -> Iterator[ftplib.FTP]:
    """A fresh session: processing a large file may outlast the site's idle timeout."""
    with ftplib.FTP() as ftp:
        ftp.connect(site.host, site.port, timeout=60)
        ftp.login(site.user, site.password)
        yield ftp


class RemoteAcks:
    """Upload an ack aside, then rename it into place."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def deliver(self, ack: str, chunks: Iterator[bytes]) -> str:
        target = self.site.path(INBOX, ACKS, ack)
        partial = self.site.path(INBOX, ACKS, f".{ack}.partial")
        with tempfile.TemporaryFile() as spool:
            for chunk in chunks:
                spool.write(chunk)
            spool.seek(0)
            with connected(self.site) as ftp:
                ftp.storbinary(f"STOR {partial}", spool)
                try:
                    ftp.rename(partial, target)
                except ftplib.error_perm:  # some servers will not rename over an existing file
                    ftp.delete(target)
                    ftp.rename(partial, target)
        return f"{self.site.origin.rstrip('/')}/{INBOX}/{ACKS}/{ack}"


def poll_once(
    db: Database, site: Site, merchant_id: int, *, settle: float = 2.0, report: Report | None = None
) -> list[FileOutcome]:
    """One look at the site: finish what is unfinished, then process every new file."""
    outcomes: list[FileOutcome] = []
    sink = RemoteAcks(site)
    with connected(site) as ftp:
        _ensure_folder(ftp, site.path(INBOX))
        _ensure_folder(ftp, site.path(INBOX, ACKS))
    # First what a crash left unanswered: once its ack is up, the listing no longer sees it as new.
    for record in service.unfinished(db, Source.POLL, site.origin):
        outcomes.append(_reported(service.complete(db, record.id, sink), report))
    with connected(site) as ftp:
        new = _new_files(ftp, site, settle)
    for name in new:
        outcomes.append(_reported(_take(db, site, merchant_id, name, sink), report))
    return outcomes


def _reported(outcome: FileOutcome, report: Report | None) -> FileOutcome:
    line: dict[str, object] = {
        "file": outcome.file.name,
        "ack": outcome.ack_location,
        "rows_ok": outcome.file.rows_ok,
        "rows_failed": outcome.file.rows_failed,
    }
    log.info("refund file answered", extra={"fields": line})
    if report is not None:
        report(line)
    return outcome


def poll_forever(
    db: Database,
    site: Site,
    merchant_id: int,
    *,
    every: float,
    settle: float = 2.0,
    report: Report | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> None:
    """Poll on a schedule; a site that is down is tried again at the next turn."""
    while not stop():
        started = time.monotonic()
        try:
            poll_once(db, site, merchant_id, settle=settle, report=report)
        except (OSError, EOFError, ftplib.Error) as exc:
            log.warning(
                "poll failed; trying again later", extra={"fields": {"site": site.origin, "error": str(exc)}}
            )
        time.sleep(max(0.0, every - (time.monotonic() - started)))


def _take(db: Database, site: Site, merchant_id: int, name: str, sink: RemoteAcks) -> FileOutcome:
    with tempfile.TemporaryDirectory(prefix="homeward-poll-") as scratch:
        local = Path(scratch) / "download"
        with local.open("wb") as out, connected(site) as ftp:
            ftp.retrbinary(f"RETR {site.path(INBOX, name)}", out.write)
        inbound = Inbound(merchant_id, name, local, Source.POLL, site.origin)
        return service.handle(db, inbound, sink)


def _new_files(ftp: ftplib.FTP, site: Site, settle: float) -> list[str]:
    """Files in JetRefunds/ without an ack, whose size did not change while we watched."""
    answered = set(_listing(ftp, site.path(INBOX, ACKS)))
    first = {
        name: size
        for name, size in _listing(ftp, site.path(INBOX)).items()
        if size is not None and not is_in_progress_name(name) and ack_name(name) not in answered
    }
    if not first or settle <= 0:
        return sorted(first)
    time.sleep(settle)
    again = _listing(ftp, site.path(INBOX))
    return sorted(name for name, size in first.items() if again.get(name) == size)


def _listing(ftp: ftplib.FTP, folder: str) -> dict[str, int | None]:
    """Plain files of a folder with their sizes (None for folders), by MLSD or else NLST + SIZE."""
    try:
        return {
            name: int(facts.get("size", 0)) if facts.get("type") == "file" else None
            for name, facts in ftp.mlsd(folder or ".", facts=["type", "size"])
            if facts.get("type") in ("file", "dir")
        }
    except ftplib.error_perm:
        pass
    found: dict[str, int | None] = {}
    for entry in ftp.nlst(folder or "."):
        name = entry.rsplit("/", 1)[-1]
        try:
            found[name] = ftp.size(f"{folder}/{name}" if folder else name)
        except ftplib.error_perm:
            found[name] = None  # a folder, most likely
    return found


def _ensure_folder(ftp: ftplib.FTP, folder: str) -> None:
    # It usually exists (the seed asks merchants to create it); if we may not create it, so be it.
    with contextlib.suppress(ftplib.error_perm):
        ftp.mkd(folder)
