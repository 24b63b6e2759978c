"""`homeward serve` in a subprocess on a free port, keeping the process handle for RSS and CPU."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    host: str
    port: int

    @property
    def pid(self) -> int:
        return self.process.pid

    def status_kb(self, field: str) -> int:
        """A `kB` line of /proc/<pid>/status summed over the server's processes (one with --workers 1).

        VmRSS is resident memory now, VmHWM the peak resident memory so far.
        """
        return sum(_status_kb(pid, field) for pid in self.processes())

    def processes(self) -> list[int]:
        """The server process and, should uvicorn ever fork workers, its children."""
        with open(f"/proc/{self.pid}/task/{self.pid}/children", encoding="ascii") as children:
            return [self.pid, *(int(pid) for pid in children.read().split())]

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process (all its threads) so far."""
        with open(f"/proc/{self.pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def _status_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    raise KeyError(field)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(
    database_url: str,
    workers: int = 1,
    startup_timeout: float = 60,
    extra_env: dict[str, str] | None = None,
    prefix: list[str] | None = None,
) -> Iterator[Server]:
    """Start `python -m homeward serve`, wait for /healthz, and always stop it afterwards.

    `prefix` runs it through a wrapper command (e.g. `prlimit --fsize=N --`)."""
    port = free_port()
    env = {
        **os.environ,
        "HOMEWARD_DATABASE_URL": database_url,
        "HOMEWARD_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    with tempfile.TemporaryFile() as stderr:
        # A file, not a pipe: a chatty server must never block on a pipe nobody reads.
        process = subprocess.Popen(
            [
                *(prefix or []),
                sys.executable,
                *("-m", "homeward", "serve", "--port", str(port), "--workers", str(workers)),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            _wait_until_up(process, f"http://127.0.0.1:{port}/healthz", startup_timeout, stderr)
            yield Server(process, "127.0.0.1", port)
        except Exception:
            print(f"server stderr (tail):\n{_tail(stderr)}", file=sys.stderr)
            raise
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(process: subprocess.Popen[bytes], url: str, timeout: float, stderr: IO[bytes]) -> None:
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via an http_proxy
    deadline = time.monotonic() + timeout
    while True:
        try:
            with direct.open(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"server did not start: {_tail(stderr)}")
        time.sleep(0.1)


def _tail(stderr: IO[bytes]) -> str:
    stderr.seek(0)
    return stderr.read().decode(errors="replace")[-2000:]
