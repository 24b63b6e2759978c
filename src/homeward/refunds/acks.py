"""An ack sink that writes into a local folder, all at once or not at all.

The ack appears under its final name only when complete (written aside, synced, renamed), so a
client that sees it can read it whole, and a crash never leaves half an ack behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path


class AckFolder:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def deliver(self, ack_name: str, chunks: Iterator[bytes]) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / ack_name
        partial = self.directory / f".{ack_name}.{os.getpid()}.partial"
        try:
            with partial.open("wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return str(target)
