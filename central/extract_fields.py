"""The fields of a plain extract straight from its bytes, as arrays: no Python object per cell.

Used by ``central.extract_columns``. Whatever does not fit what a plain extract holds (a field too long,
a character that is not a digit in a count, a service or indicator the year does not know) raises
:class:`NotPlain`, and the file is then read line by line.
"""

from __future__ import annotations

import numpy as np

from app.services.identifiers import contains_nhs_number
from central import extract_check as check

EMPTY = -1  # an empty denominator or pca cell


class NotPlain(Exception):
    """The column reader cannot vouch for the file; read it line by line instead."""


class Fields:
    """The fields of many lines in one buffer: start and length per line and field.

    ``words[k]`` is the 8 bytes from byte k on (a view with a stride of one byte), so a field of up to
    8 bytes is one gather and a mask, with no copying of the text.
    """

    def __init__(self, data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> None:
        self.data, self.starts, self.lengths = data, starts, lengths
        padded = data.tobytes() + bytes(16)
        self.words = np.ndarray((len(data) + 8,), "<u8", buffer=padded, strides=(1,))

    def word(self, n: int, offset: int = 0) -> np.ndarray:
        """Bytes ``offset`` to ``offset + 8`` of field ``n`` on every line, zero past the field's end."""
        rest = np.clip(self.lengths[:, n] - offset, 0, 8)
        return self.words[self.starts[:, n] + offset] & _MASKS[rest]

    def packed(self, n: int, width: int) -> np.ndarray:
        """Field ``n`` as whole 8-byte words (``width`` a multiple of 8); a longer field declines the file."""
        lengths = self.lengths[:, n]
        if lengths.size and lengths.max() > width:
            raise NotPlain
        return np.stack([self.word(n, k) for k in range(0, width, 8)], axis=1)

    def text(self, n: int, lines: np.ndarray) -> list[bytes]:
        return [bytes(self.data[s:s + length]) for s, length in
                zip(self.starts[lines, n].tolist(), self.lengths[lines, n].tolist(), strict=True)]

    def number(self, n: int) -> np.ndarray:
        """A count column: whole numbers up to MAX_COUNT, ``EMPTY`` for an empty cell."""
        lengths = self.lengths[:, n]
        digits = len(str(check.MAX_COUNT))
        if lengths.size and lengths.max() > digits:
            raise NotPlain
        word = self.word(n)
        value = np.zeros(len(lengths), np.int64)
        for j in range(digits):
            used = j < lengths
            d = ((word >> np.uint64(8 * j)) & np.uint64(0xFF)).astype(np.int64) - 48
            if ((d < 0) | (d > 9))[used].any():
                raise NotPlain
            value = np.where(used, value * 10 + d, value)
        if (value > check.MAX_COUNT).any():
            raise NotPlain
        value[lengths == 0] = EMPTY
        return value


_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(9)], np.uint64)


class KeyTable:
    """Finds each line's (service, indicator) column by exact comparison with the year's known pairs."""

    def __init__(self, keys: tuple[tuple[str, str], ...]) -> None:
        if any(len(s) > 8 or len(i) > 16 or contains_nhs_number(s + "," + i) for s, i in keys):
            raise ValueError("a rules key too long for the column reader")  # the rules, not the file
        words = np.array([_words(s.encode(), 8) + _words(i.encode(), 16) for s, i in keys], np.uint64)
        self.words = words
        self.hashes = _hash(words)
        self.order = np.argsort(self.hashes)
        if len(np.unique(self.hashes)) != len(keys):
            raise ValueError("column keys collide")

    def find(self, service: np.ndarray, item: np.ndarray) -> np.ndarray:
        words = np.concatenate([service, item], axis=1)
        hashes = _hash(words)
        sorted_hashes = self.hashes[self.order]
        at = np.minimum(np.searchsorted(sorted_hashes, hashes), len(sorted_hashes) - 1)
        columns = self.order[at]
        if not (self.words[columns] == words).all():
            raise NotPlain  # a service or indicator the rules do not know
        return columns


def _words(value: bytes, width: int) -> list[int]:
    padded = value.ljust(width, b"\0")
    return [int.from_bytes(padded[k:k + 8], "little") for k in range(0, width, 8)]


def _hash(words: np.ndarray) -> np.ndarray:
    mix = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9][:words.shape[1]], np.uint64)
    return (words * mix).sum(axis=1, dtype=np.uint64)
