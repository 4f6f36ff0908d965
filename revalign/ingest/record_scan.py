"""Cuts a delivered CSV file into records at numpy speed, flagging the ones COPY must not get.

The loader streams a file's bytes to PostgreSQL's COPY untouched: that is what makes a
load as fast as a plain COPY. A few records PostgreSQL would refuse, and one refused
record aborts the whole COPY: the wrong number of fields, bytes that are not UTF-8 or
a NUL, a carriage return alone or a line ending other than the file's, a blank line.
Others PostgreSQL would read differently than revalign: a line holding only ``\\.``
(COPY's end of data), a record longer than the field limit. This module finds record
boundaries as PostgreSQL's CSV parser does (a newline outside quotes, quotes counted
wherever they stand) and flags those records, so that the loader sends them to the
careful reader (``csv_records.judge``) one by one, and everything else straight to COPY.

Its numbers are the careful reader's: a flagged record's line is the file line it
starts on, counting line breaks as Python's universal newlines do (``\\n``, ``\\r\\n``,
a lone ``\\r``).
"""

from __future__ import annotations

import codecs
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from queue import Empty, Full, Queue

import numpy as np

CHUNK = 1 << 18
COMMA, QUOTE, LF, CR = (ord(c) for c in ',"\n\r')
UTF8_WINDOW = 1 << 16
#: A record still open after this many times the field limit, in bytes, is a quote left
#: open (or a record no export writes): the scan gives up and the loader reads the file
#: with the careful reader, which bounds what an open quote can take.
GIVE_UP_FACTOR = 8


class GaveUp(Exception):
    """A record runs on past any plausible length: the scan cannot cut this file."""


@dataclass
class Block:
    """Consecutive whole records of the file, as delivered.

    Record ``i`` is ``data[bounds[i]:bounds[i + 1]]``; ``flagged`` maps the index of each
    record COPY must not get to the file line it starts on.
    """

    data: bytes
    bounds: np.ndarray
    flagged: dict[int, int] = field(default_factory=dict)

    @property
    def records(self) -> int:
        return len(self.bounds) - 1

    def record(self, index: int) -> bytes:
        return self.data[self.bounds[index] : self.bounds[index + 1]]


class RecordScanner:
    """Reads a file past its header and gives its records in blocks (``blocks()``).

    ``width``: the header's number of fields; ``max_bytes``: a record longer than this
    is flagged (the careful reader judges its fields against the limit).
    """

    def __init__(self, handle, width: int, max_bytes: int, chunk: int | None = None, digest=None):
        self.handle = handle
        self.digest = digest  # a hashlib object fed every byte read, when given
        self.width = width
        self.max_bytes = max_bytes
        self.chunk = chunk or CHUNK
        self.line = 1  # the file line the next record starts on
        self.eol: bytes | None = None  # the file's line ending, from its first record
        self.header_bytes = 0

    def blocks(self) -> Iterator[Block]:
        tail = b""
        header_done = False
        while True:
            chunk = self.handle.read(self.chunk)
            if self.digest is not None:
                self.digest.update(chunk)
            final = not chunk
            buffer = tail + chunk if tail else chunk
            if not buffer:
                return
            block, tail = self._cut(buffer, final)
            if not header_done and block is not None:
                block = self._drop_header(block)
                header_done = True
            if block is not None and block.records:
                yield block
            if final:
                return
            if len(tail) > self.max_bytes * GIVE_UP_FACTOR + self.chunk:
                raise GaveUp(f"a record starting on line {self.line} never ends")

    def _drop_header(self, block: Block) -> Block:
        """The first record is the header (read_header parsed it): count its lines only."""
        header = block.record(0)
        self.header_bytes = len(header)
        flagged = {index - 1: line for index, line in block.flagged.items() if index}
        return Block(block.data[len(header) :], block.bounds[1:] - len(header), flagged)

    def _cut(self, buffer: bytes, final: bool) -> tuple[Block | None, bytes]:
        data = np.frombuffer(buffer, dtype=np.uint8)
        special = (data == COMMA) | (data == QUOTE) | (data == LF) | (data == CR)
        at = np.flatnonzero(special)
        kind = data[at]
        inside = np.bitwise_xor.accumulate(kind == QUOTE)  # after a quote: its own state
        ends_at = np.flatnonzero((kind == LF) & ~inside)  # indexes into ``at``
        complete = int(at[ends_at[-1]]) + 1 if ends_at.size else 0
        if final and complete < len(buffer):  # a last record with no line break (or open)
            return self._with_last_record(buffer, data, at, kind, inside, ends_at), b""
        if not complete:
            return None, buffer
        ends = at[ends_at]
        bounds = np.concatenate(([0], ends + 1))
        flagged = self._flag(buffer, data, at, kind, inside, ends_at, bounds, complete)
        return Block(buffer[:complete], bounds, flagged), buffer[complete:]

    def _with_last_record(self, buffer, data, at, kind, inside, ends_at) -> Block:
        """The block up to EOF, its last record unterminated: judged by the careful reader."""
        ends = at[ends_at]
        bounds = np.concatenate(([0], ends + 1, [len(buffer)]))
        complete = int(bounds[-2])
        flagged = {}
        if complete:
            flagged = self._flag(buffer, data, at, kind, inside, ends_at, bounds[:-1], complete)
        flagged[len(bounds) - 2] = self.line  # _flag counted the lines before it
        return Block(buffer, bounds, flagged)

    def _breaks(self, data, at, kind) -> np.ndarray:
        """Positions of line breaks as Python counts them: every LF, and every CR not
        followed by one."""
        cr = at[kind == CR]
        following = data[np.minimum(cr + 1, len(data) - 1)]
        lone = cr[(following != LF) | (cr + 1 >= len(data))]
        lf = at[kind == LF]
        return np.sort(np.concatenate((lf, lone))) if lone.size else lf

    def _flag(self, buffer, data, at, kind, inside, ends_at, bounds, complete) -> dict[int, int]:
        """The records of ``buffer[:complete]`` COPY must not get, with their lines."""
        within = int(np.searchsorted(at, complete))  # what follows is the next block's
        data, at, kind, inside = data[:complete], at[:within], kind[:within], inside[:within]
        records = len(bounds) - 1
        ends = at[ends_at]
        bad = np.zeros(records, dtype=bool)
        # the number of fields: commas outside quotes, per record
        commas = np.cumsum((kind == COMMA) & ~inside, dtype=np.int32)[ends_at]
        per_record = np.diff(np.concatenate(([0], commas)))
        bad |= per_record != self.width - 1
        # line endings: the file's, from its first record (the header)
        crlf = data[np.maximum(ends - 1, 0)] == CR
        if self.eol is None:
            self.eol = b"\r\n" if crlf[0] else b"\n"
        bad |= crlf != (self.eol == b"\r\n")
        lengths = np.diff(bounds)
        bad |= lengths > self.max_bytes
        bad |= lengths == len(self.eol)  # a blank line
        # a carriage return alone, outside quotes
        cr = at[(kind == CR) & ~inside]
        if cr.size:
            lone = cr[data[np.minimum(cr + 1, len(data) - 1)] != LF]
            bad[np.searchsorted(ends, lone)] = True
        for position in _stray_quotes(data, at, kind, inside):
            bad[np.searchsorted(ends, position)] = True
        for position in _unreadable(buffer, complete):
            bad[np.searchsorted(ends, position)] = True
        breaks = self._breaks(data, at, kind)
        flagged = np.flatnonzero(bad)
        lines = self.line + np.searchsorted(breaks, bounds[flagged])
        self.line += int(breaks.size)
        return dict(zip(flagged.tolist(), lines.tolist(), strict=True))


def _stray_quotes(data, at, kind, inside) -> np.ndarray:
    """Quotes within a field: PostgreSQL reads ``ab"c`` and ``"ab"c`` one way, Python's
    csv module (the careful reader) another. A quote opens a field (after a comma or a
    line break) or closes one (before them), or doubles one next to it."""
    quotes = at[kind == QUOTE]
    if not quotes.size:
        return quotes
    opening = inside[kind == QUOTE]
    before = data[np.maximum(quotes - 1, 0)]
    after = data[np.minimum(quotes + 1, len(data) - 1)]
    stray_open = opening & (quotes > 0) & ~_field_edge(before)
    stray_close = ~opening & (quotes + 1 < len(data)) & ~_field_edge(after)
    return quotes[stray_open | stray_close]


def _field_edge(chars: np.ndarray) -> np.ndarray:
    """Whether each byte may stand next to a quote: a comma, a line break, a quote."""
    return (chars == COMMA) | (chars == LF) | (chars == CR) | (chars == QUOTE)


def _unreadable(buffer: bytes, complete: int) -> Iterator[int]:
    """Positions in ``buffer[:complete]`` COPY would stop at or read differently: bytes
    that are not UTF-8, a NUL, a line holding only ``\\.``."""
    if not buffer.isascii():
        view = memoryview(buffer)[:complete]
        start = 0
        while start < complete:  # window by window: a file of many bad bytes stays linear
            try:
                _, read = codecs.utf_8_decode(view[start : start + UTF8_WINDOW], "strict", False)
            except UnicodeDecodeError as exc:
                yield start + exc.start
                start += exc.end
                continue
            if not read:  # a character cut off by the end of the records
                yield start
                break
            start += read
    position = buffer.find(b"\x00", 0, complete)  # one byte: memchr, at memory speed
    while position != -1:
        yield position
        position = buffer.find(b"\x00", position + 1, complete)
    position = buffer.find(b"\\", 0, complete)
    while position != -1:
        before = buffer[position - 1 : position] if position else b"\n"
        after = buffer[position + 1 : position + 3]
        if before == b"\n" and after in (b".\n", b".\r"):
            yield position
        position = buffer.find(b"\\", position + 1, complete)


def read_ahead(blocks: Iterator[Block], depth: int = 4) -> Iterator[Block]:
    """``blocks``, cut in a thread of their own while the caller sends the previous ones:
    numpy and the socket both let go of the GIL, so the scan and COPY overlap. An error
    of the scan is raised here; leaving early stops the thread."""
    queue: Queue = Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for block in blocks:
                while not stop.is_set():
                    try:
                        queue.put(block, timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put(done)
        except BaseException as exc:  # handed to the caller, raised there
            queue.put(exc)

    thread = threading.Thread(target=produce, name="record-scan", daemon=True)
    thread.start()
    try:
        while True:
            item = queue.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                queue.get(timeout=0.1)
            except Empty:
                continue
