"""The column reader agrees with the line-by-line reader: the same counts for every file it accepts, and it
declines (so the line reader names each problem by line) whatever it cannot prove clean."""

from __future__ import annotations

import pytest

from app.services.rules import load_rules
from benchmarks.national_extract import extract_lines
from central.extract import ExtractError, parse_extract, parse_lines, read_extract
from central.extract_columns import read_columns, split_text, to_practices
from central.extract_input import extract_chunks

RULES = load_rules("2025-26")
HEADER = "practice_code,service,indicator_id,achievement_date,numerator,denominator,pca"
GOOD = ["A99001,QOF,LIST_SIZE,2026-03-31,5000,,", "A99001,QOF,AF_REG,2026-03-31,120,,",
        "A99001,QOF,AF006,2026-03-31,40,100,3", "A99001,MMR,DOSES,2026-03-31,12,,"]


def _fast(text: str, **kwargs):
    return read_columns(split_text(text.encode()), RULES, **kwargs)


def _slow(text: str, **kwargs):
    return parse_lines(text.splitlines(), RULES, **kwargs).practices


def test_a_generated_file_read_both_ways_is_the_same(tmp_path) -> None:
    path = tmp_path / "three.csv"
    path.write_text("".join(extract_lines(months=2, practices=40)))
    columns = read_columns(extract_chunks(path, size=4096), RULES)  # small pieces: lines cut at each end
    assert columns is not None and len(columns.codes) == 80
    assert to_practices(columns, RULES) == _slow(path.read_text())


@pytest.mark.parametrize("text", [
    "\n".join([HEADER, *GOOD]) + "\n",
    "\r\n".join([HEADER, *GOOD]) + "\r\n",
    "\n".join([HEADER, GOOD[0], "", "", *GOOD[1:]]),  # blank lines, no final line break
    "\n".join([HEADER, *reversed(GOOD)]),  # rows in any order
])
def test_plain_files_are_read_fast_and_alike(text: str) -> None:
    columns = _fast(text)
    assert columns is not None
    assert to_practices(columns, RULES) == _slow(text)


@pytest.mark.parametrize("text", [
    "\n".join([HEADER, GOOD[0].replace(",5000,", ", 5000,"), *GOOD[1:]]),  # spaces
    "\n".join([HEADER, GOOD[0].replace("A99001", '"A99001"'), *GOOD[1:]]),  # quotes
    "\n".join([HEADER.replace("pca", " pca"), *GOOD]),  # a loose header
])
def test_unusual_but_valid_files_go_the_careful_way_and_load(text: str) -> None:
    assert _fast(text) is None
    assert parse_extract(text, RULES).practices == _slow("\n".join([HEADER, *GOOD]))


@pytest.mark.parametrize("rows, kwargs", [
    # One line with an 8th field and the next with a 6th: the same number of commas in all.
    ([GOOD[0], "A99001,QOF,AF_REG,2026-03-31,120,,,A99001", "QOF,AF006,2026-03-31,40,100,3"], {}),
    ([*GOOD, GOOD[2]], {}),  # a duplicate
    ([*GOOD, "A99001,QOF,AF008,2026-03-31,101,100,0"], {}),  # numerator above denominator
    ([*GOOD, "A99001,QOF,DM006,2026-03-31,1,10,0"], {}),  # DM_REG missing
    ([GOOD[0], "A99001,QOF,AF_REG,2026-03-31,5001,,", GOOD[2]], {}),  # register above the list
    ([*GOOD, "A99001,MMR,DOSES,2026-03-30,5001,,"], {}),  # another date without a LIST_SIZE
    ([*GOOD, "A99001,RSVP,DOSES,2026-03-31,10,,"], {"extracted_only": True}),  # entered by hand
    ([*GOOD, "A99001,LDHC,CHECKS,2026-03-31,1,,"], {}),  # capped, no LD_REG
    ([*GOOD, "A99001,QOF,AF008,2026-03-31,1,2,1000001"], {}),  # above the largest count
    ([*GOOD, "A99001,QOF,AF008,2026-03-31,1,2,"], {}),  # an empty pca
    ([*GOOD, "A99001,MMR,ROTA,2026-03-31,1,,"], {}),  # not an item of MMR
    ([*GOOD, "A99001,QOF,AF008,2025-03-31,1,2,0"], {}),  # outside the year
    ([*GOOD, "A99001,QOF,AF008,2026-02-30,1,2,0"], {}),  # not a date
    ([*GOOD, "a99001,QOF,AF008,2026-03-31,1,2,0"], {}),  # not an ODS code
    ([*GOOD, "A99001,QOF,AF008,2026-03-31,4,2,9434765919"], {}),  # an NHS number
])
def test_what_the_column_reader_cannot_prove_clean_is_refused_by_line(rows, kwargs) -> None:
    text = "\n".join([HEADER, *rows]) + "\n"
    assert _fast(text, **kwargs) is None
    with pytest.raises(ExtractError) as refused:
        parse_extract(text, RULES, **kwargs)
    assert all(p.line is not None for p in refused.value.problems)


def test_a_long_written_number_goes_the_careful_way_and_counts() -> None:
    text = "\n".join([HEADER, *GOOD, "A99001,QOF,AF008,2026-03-31,1,2,0000000009"])
    assert _fast(text) is None  # longer than any count needs
    [practice] = parse_extract(text, RULES).practices
    assert [c.pca for c in practice.qof if c.indicator_id == "AF008"] == [9]


def test_a_file_read_from_disk_with_a_bom_is_read_fast(tmp_path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ("\n".join([HEADER, *GOOD]) + "\n").encode())
    assert read_columns(extract_chunks(path), RULES) is not None
    assert read_extract(path, RULES).practices == _slow("\n".join([HEADER, *GOOD]))


def test_two_processes_read_a_large_file_as_one_reader_does(tmp_path, monkeypatch) -> None:
    from central import extract_parallel

    monkeypatch.setattr(extract_parallel, "SHARED_FROM", 0)  # share out even a small file
    path = tmp_path / "two.csv"
    path.write_text("".join(extract_lines(months=2, practices=30)))
    shared = extract_parallel.read_columns_shared(path, RULES, max_bytes=10**9)
    alone = read_columns(extract_chunks(path), RULES)
    assert shared is not None and to_practices(shared, RULES) == to_practices(alone, RULES)
    assert shared.rows == alone.rows
    bad = path.read_text().splitlines()
    bad[-1] = bad[-1].rsplit(",", 3)[0] + ",x,,"  # a problem in the second half
    path.write_text("\n".join(bad) + "\n")
    assert extract_parallel.read_columns_shared(path, RULES, max_bytes=10**9) is None
    with pytest.raises(ExtractError, match=f"line {len(bad)}: numerator 'x' is not a whole number"):
        read_extract(path, RULES)
