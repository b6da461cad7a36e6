"""central.extract_input: files are read in bounded pieces, and an extract's name is made safe to show."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from nhs_forms import FORMS, NHS_NUMBER, PUNCTUATED_FORMS, punctuated_forms, written_forms

from app.services.identifiers import contains_nhs_number
from app.services.rules import load_rules
from central.extract import read_extract
from central.extract_input import (
    MAX_LINE_BYTES,
    MAX_NAME_CHARS,
    ExtractError,
    ExtractTooLarge,
    display_name,
    extract_lines,
    read_extract_text,
)

HEAD = "practice_code,service,indicator_id,achievement_date,numerator,denominator,pca"
GOOD = ["Z99001,QOF,LIST_SIZE,2026-03-31,9812,,", "Z99001,QOF,DM_REG,2026-03-31,650,,",
        "Z99001,QOF,DM020,2026-03-31,351,540,28"]
needs_dev_zero = pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")


# --- bounded reading -------------------------------------------------------------------------


@needs_dev_zero
def test_an_endless_device_is_refused_after_max_bytes():
    started = time.monotonic()
    with pytest.raises(ExtractTooLarge) as caught:
        list(extract_lines("/dev/zero", max_bytes=10_000))
    assert caught.value.limit == 10_000
    assert str(caught.value) == "zero is larger than 10,000 bytes, the most an extract may be"
    assert time.monotonic() - started < 5


@needs_dev_zero
def test_an_endless_line_is_refused_at_the_line_limit_whatever_max_bytes_is():
    with pytest.raises(ExtractError) as caught:
        read_extract("/dev/zero", load_rules("2025-26"), max_bytes=1024 * 1024 * 1024)
    assert not isinstance(caught.value, ExtractTooLarge)
    assert str(caught.value).startswith(f"line 1: is longer than {MAX_LINE_BYTES:,} bytes")


@needs_fifo
def test_an_endless_pipe_of_rows_is_refused_after_max_bytes(tmp_path):
    pipe = tmp_path / "extract.csv"
    os.mkfifo(pipe)
    written = [0]

    def write_for_ever() -> None:
        try:
            with pipe.open("wb", buffering=0) as out:
                out.write((HEAD + "\n").encode())
                while True:  # until the reader stops and closes its end
                    out.write(b"Z99001,QOF,DM020,2026-03-31,351,540,28\n" * 100)
                    written[0] += 1
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=write_for_ever, daemon=True)
    writer.start()
    with pytest.raises(ExtractTooLarge):
        for _ in extract_lines(pipe, max_bytes=50_000):
            pass
    writer.join(timeout=10)
    assert not writer.is_alive()
    assert written[0] < 100  # stopped near 50,000 bytes, not long after


def test_an_ordinary_file_is_read_whole(tmp_path):
    path = tmp_path / "small.csv"
    path.write_bytes(("\ufeff" + HEAD + "\r\n" + "\r\n".join(GOOD) + "\r\n").encode())
    assert list(extract_lines(path)) == [HEAD, *GOOD]
    assert read_extract_text(path) == "\n".join([HEAD, *GOOD]) + "\n"
    # The text ingest hashes is what reading the file as text always gave.
    assert read_extract_text(path) == path.read_text(encoding="utf-8-sig")


def test_a_file_at_the_limit_is_read_and_one_byte_over_is_not(tmp_path):
    path = tmp_path / "small.csv"
    path.write_text("\n".join([HEAD, *GOOD]) + "\n")
    size = path.stat().st_size
    assert read_extract_text(path, max_bytes=size).count("\n") == 4
    with pytest.raises(ExtractTooLarge):
        read_extract_text(path, max_bytes=size - 1)


def test_a_line_that_is_not_utf8_is_named(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("\n".join([HEAD, *GOOD, "Z99001,QOF,DM012,2026-03-31,1,2,0 £"]).encode("latin-1"))
    with pytest.raises(ExtractError, match="line 5: is not UTF-8 text"):
        read_extract_text(path)


def test_a_folder_or_a_missing_file_is_a_clear_problem(tmp_path):
    with pytest.raises(ExtractError, match="is a folder, not an extract file"):
        list(extract_lines(tmp_path))
    with pytest.raises(ExtractError, match="nope.csv: no such file"):
        read_extract_text(tmp_path / "nope.csv")


# --- the display name ------------------------------------------------------------------------


@pytest.mark.parametrize("given, shown", [
    ("gpes-2026-03.csv", "gpes-2026-03.csv"),
    ("/home/manager/Downloads/gpes-2026-03.csv", "gpes-2026-03.csv"),
    ("..\\..\\Windows\\gpes.csv", "gpes.csv"),
    ("../../etc/passwd", "passwd"),
    ("gpes\n2026\x1b[31m.csv", "gpes2026[31m.csv"),
    ("march\u202egnp.csv", "marchgnp.csv"),  # a right-to-left override would disguise the name
    ("  march   extract .csv ", "march extract .csv"),
    ("..", "extract"),
    ("", "extract"),
    (None, None),
])
def test_a_display_name_is_the_base_name_without_control_characters(given, shown):
    assert display_name(given) == shown


@pytest.mark.parametrize("form", FORMS)
def test_a_name_holding_an_nhs_number_becomes_extract(form):
    value = written_forms(NHS_NUMBER)[form]
    assert display_name(f"/tmp/{value} march.csv") == "extract.csv"
    assert display_name(f"patient{value}") == "extract"


@pytest.mark.parametrize("form", PUNCTUATED_FORMS)
def test_a_name_holding_a_punctuated_nhs_number_becomes_extract(form):
    value = punctuated_forms(NHS_NUMBER)[form]
    folder = "" if "/" in value else "/tmp/"  # a slash is a folder: the name is what follows the last one
    assert display_name(f"{folder}{value}.csv") == ("5919.csv" if "/" in value else "extract.csv")
    assert display_name(f"C:\\Extracts\\patient {value.replace('/', '_')} march.csv") == "extract.csv"


@pytest.mark.parametrize("name", ["943_476_5919.csv", "(943) 476 5919.csv", "9,434,765,919.csv",
                                  "943 | 476 | 5919.csv", "943·476·5919.csv"])
def test_the_display_names_the_reprobe_found_become_extract(name):
    assert display_name(name) == "extract.csv"
    assert display_name(f"gpes {name}") == "extract.csv"


def test_a_long_name_is_cut_keeping_its_suffix():
    shown = display_name("a" * 300 + ".csv")
    assert len(shown) == MAX_NAME_CHARS and shown.endswith("a.csv")
    # Cutting never leaves a number behind that the whole name did not show as one.
    cut = display_name("x" * (MAX_NAME_CHARS - 14) + NHS_NUMBER + "1.csv")
    assert not contains_nhs_number(cut) and len(cut) <= MAX_NAME_CHARS
