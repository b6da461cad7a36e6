"""The column reader on both cores: a large file's second half is read by a second process.

The file is split at a line break near its middle; this process reads the first half (the header
with it), a forked process the second, and its counts are merged in as if one reader had read them all
(the same checks run on each half; those that relate rows run once, on the whole). Anything unusual
(not a regular file, a half the reader declines, the other process failing) is left to the single
reader, so the answer is always the one :func:`read_columns` gives.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from app.services.rules import RuleSet
from central.extract_columns import HEADER_BYTES, Columns, NotPlain, Reader, read_columns
from central.extract_input import CHUNK_BYTES, ExtractTooLarge, extract_chunks

SHARED_FROM = 64 * 1024 * 1024  # smaller files are read faster than a process starts and returns


def read_columns_shared(path: str | Path, rules: RuleSet, *, require_caps: bool = True,
                        extracted_only: bool = False, max_bytes: int) -> Columns | None:
    """:func:`read_columns` of the file at ``path``, read by two processes when it is large."""
    path = Path(path)

    def alone() -> Columns | None:
        return read_columns(extract_chunks(path, max_bytes=max_bytes), rules, require_caps=require_caps,
                            extracted_only=extracted_only)

    try:
        size = path.stat().st_size if path.is_file() else 0
    except OSError:
        size = 0
    if size < SHARED_FROM or len(os.sched_getaffinity(0)) < 2:
        return alone()
    if size > max_bytes:
        raise ExtractTooLarge(path.name, max_bytes)
    with path.open("rb") as handle:
        handle.seek(size // 2)
        handle.readline()
        middle = handle.tell()
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    other = context.Process(target=_second_half, args=(path, middle, size, rules, require_caps,
                                                       extracted_only, send))
    other.start()
    send.close()
    reader = Reader(rules, require_caps, extracted_only)
    try:
        pieces = _range(path, 0, middle)
        header, _, rest = next(pieces, b"").removeprefix(b"\xef\xbb\xbf").partition(b"\n")
        if header.removesuffix(b"\r") != HEADER_BYTES:
            raise NotPlain
        reader.feed(rest)
        for piece in pieces:
            reader.feed(piece)
        state = receive.recv()
        if state is None:
            raise NotPlain
        reader.absorb(*state)
        return reader.finish()
    except (NotPlain, EOFError):
        return alone()  # the single reader gives the answer (and any error) for the whole file
    finally:
        receive.close()
        other.join()


def _second_half(path: Path, start: int, stop: int, rules: RuleSet, require_caps: bool,
                 extracted_only: bool, send) -> None:
    try:
        reader = Reader(rules, require_caps, extracted_only)
        for piece in _range(path, start, stop):
            reader.feed(piece)
        parts = [tuple(a.astype(np.int32) for a in part) for part in reader.parts]
        send.send((list(reader.codes), list(reader.dates), reader.used, parts))
    except Exception:  # noqa: BLE001  (any failure: the first process reads the whole file alone)
        send.send(None)
    finally:
        send.close()


def _range(path: Path, start: int, stop: int) -> Iterator[bytes]:
    """Bytes ``start`` to ``stop`` of the file (both at line breaks) in pieces ending at line breaks."""
    with path.open("rb") as handle:
        handle.seek(start)
        left, tail = stop - start, b""
        while left > 0:
            block = handle.read(min(CHUNK_BYTES, left))
            if not block:
                break
            left -= len(block)
            end = block.rfind(b"\n")
            if end < 0:
                tail += block
                continue
            yield tail + block[: end + 1]
            tail = block[end + 1:]
        if tail:
            yield tail
