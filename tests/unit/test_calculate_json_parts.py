"""How ``central.calculate_json`` writes numbers and shares a document out between processes.

The values themselves are compared with the reference in ``test_fast_calc.py``; these check the text of
several numbers written together, and that an uneven share (or a failing process) gives the same
document as one process (or an error, never a hang).
"""

from __future__ import annotations

import io
import random

import numpy as np
import pytest

from app.services.rules import load_rules
from benchmarks.national_extract import extract_lines, reference_practices
from central import calculate_json
from central.calculate_json import _records, write_document
from central.extract import parse_columns

RULES = load_rules("2025-26")


@pytest.fixture(scope="module")
def columns():
    codes = {p[0] for p in reference_practices()[:60]}
    return parse_columns("".join(extract_lines(codes=codes)), RULES)


def _expected(before: str, value: int, pence: bool) -> str:
    if value < 0:
        return before + "null"
    return before + (repr(value / 100) if pence else str(value))


def test_several_numbers_are_written_together_as_repr_writes_each() -> None:
    generator = random.Random(7)
    size = 2_000
    edges = [-1, 0, 1, 9, 10, 99, 100, 101, 110, 1_000_000, 10**15 + 7]
    fields = []
    for before, pence in (("", False), (',"b":', True), (',"patients":', False), (',"c":', True)):
        values = edges + [generator.choice([-1, generator.randrange(10**generator.randint(1, 12))])
                          for _ in range(size - len(edges))]
        generator.shuffle(values)
        fields.append((before, np.array(values, np.int64), pence))
    texts = _records(fields, "}")
    assert len(texts) == size
    for n, text in enumerate(texts):
        assert text == "".join(_expected(b, int(v[n]), p) for b, v, p in fields) + "}"


def test_nothing_to_write_is_no_text() -> None:
    assert _records([("", np.array([], np.int64), True)], "}") == []


@pytest.mark.parametrize("weight", [0.2, 0.82, 3.0])
def test_an_uneven_share_writes_the_same_document_as_one_process(columns, monkeypatch, weight) -> None:
    alone, shared = io.StringIO(), io.StringIO()
    write_document(columns, RULES, alone.write, workers=1)
    monkeypatch.setattr(calculate_json, "MIN_SHARE", 1)
    monkeypatch.setattr(calculate_json, "OWN_WEIGHT", weight)
    monkeypatch.setattr(calculate_json, "PIECE", 4096)  # many small reads of a part still being written
    write_document(columns, RULES, shared.write, workers=2)
    assert shared.getvalue() == alone.getvalue()


def test_a_failing_process_is_an_error_not_a_hang(columns, monkeypatch) -> None:
    def fail(*_args) -> None:
        raise SystemExit(3)

    monkeypatch.setattr(calculate_json, "MIN_SHARE", 1)
    monkeypatch.setattr(calculate_json, "_write_part", fail)
    with pytest.raises(RuntimeError, match="exit status 3"):
        write_document(columns, RULES, io.StringIO().write, workers=2)


def test_parts_are_kept_in_memory_only_when_it_has_room(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(calculate_json, "MEMORY_FOLDER", str(tmp_path))
    assert calculate_json._scratch(1_000) == str(tmp_path)
    assert calculate_json._scratch(10**18) is None  # the usual temporary folder instead
    monkeypatch.setattr(calculate_json, "MEMORY_FOLDER", str(tmp_path / "missing"))
    assert calculate_json._scratch(1_000) is None


def test_parts_in_the_usual_temporary_folder_give_the_same_document(columns, monkeypatch) -> None:
    alone, shared = io.StringIO(), io.StringIO()
    write_document(columns, RULES, alone.write, workers=1)
    monkeypatch.setattr(calculate_json, "MIN_SHARE", 1)
    monkeypatch.setattr(calculate_json, "BYTES_PER_PRACTICE", 10**15)  # no room in memory
    write_document(columns, RULES, shared.write, workers=2)
    assert shared.getvalue() == alone.getvalue()
