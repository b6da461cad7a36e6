"""Getting an extract in: why one is refused, reading its file in bounded pieces, and its display name.

Pure apart from reading the one file it is given: no printing, no exiting, no database. A file is read
a line at a time with a byte counter, never more than ``max_bytes`` (and never one line longer than
``MAX_LINE_BYTES``), so an endless device, a pipe or a huge file is refused instead of read for ever.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from app.services.identifiers import contains_nhs_number

# A whole-England extract (about 6,200 practices x 80 rows) is under 30 MB.
MAX_BYTES = 64 * 1024 * 1024
# A row is well under 200 bytes; a far longer line is not an extract (or has no line breaks at all).
MAX_LINE_BYTES = 64 * 1024
# How much of a file the column reader takes at a time.
CHUNK_BYTES = 8 * 1024 * 1024
# Room for any sensible file name in the feed and the database (ExtractUpload.filename is 255).
MAX_NAME_CHARS = 100
DEFAULT_NAME = "extract"
_SUFFIX = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,4}")


@dataclass(frozen=True)
class ExtractProblem:
    """One reason a file is refused; ``line`` is None when it concerns the file as a whole.

    ``column`` (1-based) is set when the problem is one cell; the message then starts with it.
    """

    line: int | None
    message: str
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return f"line {self.line}, {self.message}" if self.column else f"line {self.line}: {self.message}"


class ExtractError(ValueError):
    """The extract is refused; ``problems`` lists every reason, in line order."""

    def __init__(self, problems: list[ExtractProblem] | tuple[ExtractProblem, ...]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ExtractTooLarge(ExtractError):
    """The file holds more than ``limit`` bytes; reading stopped there."""

    def __init__(self, name: str, limit: int) -> None:
        self.name, self.limit = name, limit
        super().__init__([ExtractProblem(None, f"{name} is larger than {limit:,} bytes, the most an "
                                               "extract may be")])


def extract_lines(path: str | Path, *, max_bytes: int = MAX_BYTES) -> Iterator[str]:
    """The lines of the file at ``path`` as text, without line endings; raises ExtractError."""
    for text in _bounded_lines(path, max_bytes):
        yield from text.splitlines()


def read_extract_text(path: str | Path, *, max_bytes: int = MAX_BYTES) -> str:
    """The whole text of the file at ``path`` with ``\\n`` line endings; raises ExtractError.

    The same bounded reading as :func:`extract_lines`, for ingest, which needs the text for its digest.
    """
    text = "".join(_bounded_lines(path, max_bytes))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def display_name(filename: str | None) -> str | None:
    """The name an extract file is shown and stored by: its base name only, safe to print anywhere.

    Folders, control and invisible characters are dropped and the name is cut to ``MAX_NAME_CHARS``.
    A name holding an NHS-number-like value becomes ``extract`` (keeping a short suffix like ``.csv``).
    """
    if filename is None:
        return None
    base = re.split(r"[/\\]", filename)[-1]
    # Cc: control characters (newlines, escapes); Cf: invisible ones (direction overrides, zero-width).
    base = "".join(c for c in base if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    base = " ".join(base.split()).strip(" .")
    suffix = base[base.rfind("."):] if "." in base else ""
    suffix = suffix if _SUFFIX.fullmatch(suffix) else ""
    if not base.removesuffix(suffix) or contains_nhs_number(base):
        return DEFAULT_NAME + suffix
    if len(base) > MAX_NAME_CHARS:
        base = base[: MAX_NAME_CHARS - len(suffix)].rstrip(" .") + suffix
    return DEFAULT_NAME + suffix if contains_nhs_number(base) else base


def extract_chunks(path: str | Path, *, max_bytes: int = MAX_BYTES,
                   size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The raw bytes of the file at ``path`` in pieces of about ``size`` that end at a line break.

    The same bounded reading as :func:`extract_lines` (ExtractTooLarge past ``max_bytes``), for the
    fast column reader; a line longer than ``MAX_LINE_BYTES`` is passed on as it is, cut, for that
    reader to decline.
    """
    with _open(path, max_bytes) as handle:
        read, tail = 0, b""
        while True:
            try:
                block = handle.read(min(size, max_bytes - read + 1))
            except OSError as exc:
                raise _refuse(f"{path}: cannot be read ({exc.strerror or exc})") from None
            read += len(block)
            if read > max_bytes:
                raise ExtractTooLarge(Path(path).name, max_bytes)
            if not block:
                if tail:
                    yield tail
                return
            end = block.rfind(b"\n")
            if end < 0 and len(tail) + len(block) <= MAX_LINE_BYTES:
                tail += block
                continue
            end = len(block) - 1 if end < 0 else end
            yield tail + block[: end + 1]
            tail = block[end + 1:]


def _open(path: str | Path, max_bytes: int) -> BinaryIO:
    path = Path(path)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise _refuse(f"{path}: no such file") from None
    except IsADirectoryError:
        raise _refuse(f"{path}: is a folder, not an extract file") from None
    except OSError as exc:
        raise _refuse(f"{path}: cannot be read ({exc.strerror or exc})") from None
    info = os.fstat(handle.fileno())
    if stat.S_ISDIR(info.st_mode):
        handle.close()
        raise _refuse(f"{path}: is a folder, not an extract file")
    if stat.S_ISREG(info.st_mode) and info.st_size > max_bytes:
        handle.close()
        raise ExtractTooLarge(path.name, max_bytes)  # refused before reading anything
    return handle


def _bounded_lines(path: str | Path, max_bytes: int) -> Iterator[str]:
    """Each decoded line with its ending, reading never more than ``max_bytes`` + 1 bytes in all."""
    path = Path(path)
    with _open(path, max_bytes) as handle:
        read = number = 0
        while True:
            try:
                chunk = handle.readline(min(max_bytes - read, MAX_LINE_BYTES) + 1)
            except OSError as exc:
                raise _refuse(f"{path}: cannot be read ({exc.strerror or exc})") from None
            if not chunk:
                return
            read += len(chunk)
            number += 1
            if read > max_bytes:
                raise ExtractTooLarge(path.name, max_bytes)
            if len(chunk) > MAX_LINE_BYTES and not chunk.endswith(b"\n"):
                raise _refuse(f"is longer than {MAX_LINE_BYTES:,} bytes (each row of an extract is one "
                              "short line of 7 fields separated by commas)", number)
            try:
                text = chunk.decode("utf-8")
            except UnicodeDecodeError:
                raise _refuse("is not UTF-8 text (save the extract as CSV UTF-8)", number) from None
            yield text.removeprefix("\ufeff") if number == 1 else text


def _refuse(message: str, line: int | None = None) -> ExtractError:
    return ExtractError([ExtractProblem(line, message)])
