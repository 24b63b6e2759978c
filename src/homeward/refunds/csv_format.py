"""Reading refund files and writing their acks, one row at a time (files are never held whole).

UTF-8 with or without a byte-order mark, as Excel saves it; the ack keeps the mark if the file had
one, so Excel shows both the same way.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import types
from collections.abc import Iterable, Iterator, Sequence
from typing import BinaryIO

from homeward.refunds import domain

BOM = codecs.BOM_UTF8


class UnreadableFile(Exception):
    """The file as a whole cannot be read as a refund file; the reason goes in a one-row ack."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def has_bom(stream: BinaryIO) -> bool:
    start = stream.read(len(BOM))
    stream.seek(0)
    return start == BOM


def read_rows(stream: BinaryIO) -> Iterator[tuple[int, list[str]]]:
    """Yield (row number, cells) after checking the header; row numbers count the header as 1.

    Blank rows are skipped but still counted, so numbers match the rows a spreadsheet shows.
    """
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text, strict=True)  # malformed quoting is reported, not guessed at
    number = 0
    try:
        header = next(reader, None)
        if header is None:
            raise UnreadableFile(f"the file is empty (expected a header row: {', '.join(domain.COLUMNS)})")
        number = 1
        problem = domain.header_problem(header)
        if problem:
            raise UnreadableFile(problem)
        for cells in reader:
            number += 1
            if not domain.is_blank(cells):
                yield number, cells
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"the file is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} near row {number + 1}), "
            "save it as 'CSV UTF-8'"
        ) from exc
    except csv.Error as exc:
        raise UnreadableFile(f"row {number + 1} cannot be read as CSV: {exc}") from exc
    finally:
        text.detach()  # leave the caller's stream open


# Starts a staged row kept as JSON: one with a NUL (PostgreSQL text cannot hold it, JSON escapes
# it), or one whose CSV record would start with this very character.
JSON_MARK = "\x01"


class LineEncoder:
    """A row as one CSV record without its line end: how a staged row keeps its cells.

    The csv module's C writer and reader round-trip any list of strings exactly (quotes, commas,
    line breaks inside cells) at a fraction of JSON's cost per row.
    """

    def __init__(self) -> None:
        self._written: list[str] = []
        self._writer = csv.writer(types.SimpleNamespace(write=self._written.append), lineterminator="\r\n")

    def __call__(self, cells: Sequence[str]) -> str:
        line = ",".join(cells)
        if _plain(line, len(cells)):
            return line  # what the writer writes for cells with nothing to quote, at a fifth of its cost
        self._writer.writerow(cells)
        line = self._written.pop()[:-2]
        if "\x00" in line or line.startswith(JSON_MARK):
            return JSON_MARK + json.dumps(list(cells), ensure_ascii=False)
        return line


def _plain(line: str, cells: int) -> bool:
    """Whether `line`, the cells joined by commas, is their CSV record as it is: no cell holds a
    comma, a quote or a line break (the csv writer quotes nothing else, bar a lone empty cell),
    and it needs no JSON (see LineEncoder)."""
    return (
        line.count(",") == cells - 1
        and '"' not in line
        and "\r" not in line
        and "\n" not in line
        and "\x00" not in line
        and not line.startswith(JSON_MARK)
        and (cells > 1 or line != "")
    )


def decode_lines(lines: Sequence[str]) -> list[list[str]]:
    """The cells of records written by a LineEncoder, one list per record."""
    if not any(line.startswith(JSON_MARK) for line in lines):  # the usual batch: all CSV
        return list(csv.reader(lines, strict=True))
    return [
        json.loads(line[1:]) if line.startswith(JSON_MARK) else next(csv.reader([line], strict=True))
        for line in lines
    ]


class AckWriter:
    """Turns ack rows into CSV bytes, a batch at a time."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def encode(self, rows: Iterable[Sequence[str]]) -> bytes:
        self._writer.writerows(rows)
        data = self._buffer.getvalue().encode("utf-8")
        self._buffer.seek(0)
        self._buffer.truncate()
        return data


_PASSED_TAIL = ",TRUE,\r\n"
_COLUMNS = len(domain.COLUMNS)


def encode_staged_ack(writer: AckWriter, records: Sequence[tuple[str, bool, str]]) -> bytes:
    """Ack rows, as bytes, for staged records (as LineEncoder keeps them) with their verdicts.

    The usual row passed and its record is twelve cells with no quote in it: what the csv writer
    would write for those cells is the record itself, so its ack row is the record and ",TRUE,"
    (no decoding and encoding again, which cost more than the rest of writing the ack). Any other
    row goes through ack_row and the writer.
    """
    parts: list[str] = []
    for line, ok, message in records:
        if ok and not message and _plain(line, _COLUMNS):
            parts.append(line)
            parts.append(_PASSED_TAIL)
        else:
            parts.append(writer.encode([ack_row(decode_lines([line])[0], ok, message)]).decode("utf-8"))
    return "".join(parts).encode("utf-8")


def ack_row(cells: Sequence[str], ok: bool, message: str) -> list[str]:
    return [*domain.padded(cells), "TRUE" if ok else "FALSE", message]


def rejection_ack(reason: str) -> Iterator[bytes]:
    """The whole ack of a file that could not be read: the header and one FALSE row with the reason."""
    writer = AckWriter()
    yield writer.encode([domain.ACK_COLUMNS, ack_row([], False, reason)])
