"""Real FTP for tests: `homeward ftp serve` in a subprocess, and an ftplib client that waits for acks."""

from __future__ import annotations

import ftplib
import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tests.support import free_port


@dataclass
class FtpServer:
    process: subprocess.Popen[bytes]
    port: int
    root: Path
    log: IO[bytes]

    def stderr(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no cleanup, no goodbye, like a crash or an OOM kill."""
        self.process.kill()
        self.process.wait(timeout=30)


@contextmanager
def ftp_server(
    database_url: str, root: Path, *, extra_env: dict[str, str] | None = None
) -> Iterator[FtpServer]:
    port = free_port()
    env = {**os.environ, "HOMEWARD_LOG_LEVEL": "INFO", **(extra_env or {})}
    log_path = root.parent / f"ftp-{port}.log"
    with log_path.open("w+b") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "homeward",
                "ftp",
                "serve",
                "--port",
                str(port),
                "--database-url",
                database_url,
                "--root",
                str(root),
                "--rescan",
                "1",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        server = FtpServer(process, port, root, log)
        try:
            _wait_for_port(server)
            yield server
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_for_port(server: FtpServer, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=1):
                return
        except OSError:
            pass
        if server.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"ftp server did not start: {server.stderr()[-2000:]}")
        time.sleep(0.1)


@contextmanager
def ftp_login(port: int, user: str, password: str) -> Iterator[ftplib.FTP]:
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", port, timeout=30)
    try:
        ftp.login(user, password)
        yield ftp
    finally:
        try:
            ftp.quit()
        except (OSError, EOFError, ftplib.Error):
            ftp.close()


def upload(ftp: ftplib.FTP, path: str, data: bytes) -> None:
    ftp.storbinary(f"STOR {path}", io.BytesIO(data))


def download(ftp: ftplib.FTP, path: str) -> bytes:
    buffer = io.BytesIO()
    ftp.retrbinary(f"RETR {path}", buffer.write)
    return buffer.getvalue()


def names(ftp: ftplib.FTP, folder: str) -> set[str]:
    return {entry.rsplit("/", 1)[-1] for entry in ftp.nlst(folder)}


def wait_for_ack(
    ftp: ftplib.FTP, ack_name: str, folder: str = "JetRefunds/Acks", timeout: float = 60
) -> bytes:
    deadline = time.monotonic() + timeout
    while ack_name not in names(ftp, folder):
        if time.monotonic() > deadline:
            raise AssertionError(f"no {ack_name} in {folder} after {timeout}s")
        time.sleep(0.1)
    return download(ftp, f"{folder}/{ack_name}")


MERCHANT_SITE_PASSWORD = "merchant-site-secret"


@contextmanager
def merchant_site(directory: Path) -> Iterator[int]:
    """The merchant's own FTP server (user `acme`), serving `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pyftpdlib",
            "-i",
            "127.0.0.1",
            "-p",
            str(port),
            "-w",
            "-d",
            str(directory),
            "-u",
            "acme",
            "-P",
            MERCHANT_SITE_PASSWORD,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=15)
