"""Ingest, recalculation, benchmarks and the demo seed, on a real SQLite file."""

import shutil
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.services.calculation import calculate_qof
from app.services.rules import load_rules
from central import declarations_flow as flow
from central.cli import main
from central.db import begin_write, make_engine, make_sessionmaker
from central.demo_curves import demo_extracts
from central.directory import organisation
from central.extract import ExtractError, parse_extract
from central.ingest import ingest_text
from central.models import Change, Declaration, ExtractUpload, User
from central.seed import demo_clock, seed_demo
from central.settings import Settings

RULES = load_rules("2025-26")
THIS_YEAR = load_rules("2026-27")
MARCH, OCTOBER = date(2026, 3, 31), date(2026, 10, 31)


@pytest.fixture(scope="module")
def seeded(demo_copy):
    """This module's copy of the session's demo seed."""
    return demo_copy()


@pytest.fixture
def db(seeded, tmp_path):
    """A private copy of the seeded database, so tests may change it."""
    shutil.copytree(seeded, tmp_path / "data")
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'central.db'}")
    sessions = make_sessionmaker(engine)
    yield sessions
    engine.dispose()


def feed_rows(session, practice_id, type_):
    return list(
        session.scalars(
            select(Change).where(Change.practice_id == practice_id, Change.type == type_).order_by(Change.seq)
        )
    )


def test_seeding_twice_changes_nothing(seeded):
    assert not seed_demo(Settings(seeded, clock=demo_clock())).created


def test_demo_results_equal_the_calculation_of_the_same_extract(db):
    extract = parse_extract(demo_extracts(RULES)[MARCH], RULES, require_caps=False)
    counts = next(p for p in extract.practices if p.practice_code == "Z99001")
    expected = calculate_qof(RULES, counts.list_size, counts.registers, counts.qof)
    with db() as session:
        practice = organisation(session, "Z99001")
        results = [c.data for c in feed_rows(session, practice.id, "result") if c.entity_id == f"QOF:{MARCH}"]
    record = results[-1]
    assert Fraction(record["points"]) == expected.points
    assert Fraction(record["payment"]) == expected.payment
    assert len(record["indicators"]) == 44
    assert 300 < expected.points < 564  # a plausible practice: neither failing nor perfect


def test_demo_year_looks_real(db):
    with db() as session:
        practice = organisation(session, "Z99001")
        results = {c.entity_id: c.data for c in feed_rows(session, practice.id, "result")}
        april, march = results["QOF:2025-04-30"], results[f"QOF:{MARCH}"]
        # Achievement rises through the year, and the year ends with every band represented.
        assert Fraction(april["points"]) < Fraction(march["points"])
        bands = {i["band"] for i in march["indicators"]}
        assert bands == {"below lower threshold", "between thresholds", "at maximum"}
        assert 9_000 < march["list_size"] < 10_500
        # LD health checks are paid only up to the LD register entered by hand.
        ld = results[f"LDHC:{MARCH}"]
        assert ld["cap"] is not None and ld["paid_count"] <= ld["cap"]
        # Paid monthly declarations, the timetable and the users reached the feed.
        assert (
            session.scalar(
                select(func.count()).select_from(Declaration).where(Declaration.status == flow.PAID)
            )
            > 0
        )
        assert feed_rows(session, None, "timetable_event")
        assert {u.email for u in session.scalars(select(User))} >= {
            "practice.manager@nhs.net",
            "viewer@nhs.net",
        }


def test_benchmarks_pool_the_pcn_counts(db):
    extract = parse_extract(demo_extracts(RULES)[MARCH], RULES, require_caps=False)
    dm020 = [c for p in extract.practices for c in p.qof if c.indicator_id == "DM020"]
    pooled = Fraction(sum(c.numerator for c in dm020), sum(c.denominator for c in dm020))
    with db() as session:
        practice = organisation(session, "Z99002")
        records = [c.data for c in feed_rows(session, practice.id, "benchmark")]
    record = [r for r in records if r["achievement_date"] == MARCH.isoformat()][-1]
    assert Fraction(record["indicators"]["DM020"]["pcn"]) == pooled
    assert record["indicators"]["DM020"]["practices"] == 4


def test_a_bad_extract_changes_nothing(db):
    bad = demo_extracts(RULES)[MARCH].replace(
        "Z99001,QOF,DM020,2026-03-31,", "Z99001,QOF,DM020,2026-02-30,", 1
    )
    with db() as session:
        before = session.scalar(select(func.max(Change.seq)))
    with pytest.raises(ExtractError, match="line"), db.begin() as session:
        begin_write(session)
        ingest_text(session, bad, RULES, clock=demo_clock())
    with db() as session:
        assert session.scalar(select(func.max(Change.seq))) == before


def test_the_same_extract_again_changes_nothing(db):
    with db.begin() as session:
        begin_write(session)
        uploads = session.scalar(select(func.count()).select_from(ExtractUpload))
        report = ingest_text(session, demo_extracts(RULES)[MARCH], RULES, clock=demo_clock())
        assert report.already_ingested
        assert session.scalar(select(func.count()).select_from(ExtractUpload)) == uploads


def test_a_recalculation_sends_a_declared_achievement_back_to_the_practice(db):
    """October's 6-in-1 claim, declared and approved by the ICB in the seed (a monthly QOF result is not a
    claim: QOF is declared for its year end only), goes back to the practice when October is recalculated."""
    clock = demo_clock()
    with db() as session:
        practice = organisation(session, "Z99001")
        declaration = session.scalars(select(Declaration).where(
            Declaration.practice_id == practice.id, Declaration.service == "6IN1",
            Declaration.achievement_date == OCTOBER)).one()
        assert declaration.status == flow.APPROVED
        declared_payment = declaration.payment
    # A corrected October extract: one more dose given.
    text = demo_extracts(THIS_YEAR, months=[OCTOBER])[OCTOBER]
    line = next(x for x in text.splitlines() if x.startswith("Z99001,6IN1,DOSES,"))
    code, service, item, day, doses, *rest = line.split(",")
    corrected = text.replace(line, ",".join([code, service, item, day, str(int(doses) + 1), *rest]))
    with db.begin() as session:
        begin_write(session)
        ingest_text(session, corrected, THIS_YEAR, clock=clock)
    with db() as session:
        declaration = session.get(Declaration, declaration.id)
        assert declaration.status == flow.AWAITING_PROVIDER
        assert declaration.history[-1]["reason"] == flow.RECALCULATED
        result = [
            c.data
            for c in feed_rows(session, declaration.practice_id, "result")
            if c.entity_id == f"6IN1:{OCTOBER}"
        ][-1]
        assert Fraction(result["payment"]) > Fraction(declared_payment)


def test_the_demo_shows_a_claim_sent_back_by_a_re_extract(db):
    """The seed's own recalculation: GPES re-extracted October 2026 after the ICB approved each practice's
    COVID-19 and flu claim, and the late-recorded doses sent every one back to its practice; October's
    other claims kept their status."""
    with db() as session:
        october = list(session.scalars(select(Declaration).where(Declaration.achievement_date == OCTOBER)))
        sent_back = [d for d in october if d.status == flow.AWAITING_PROVIDER]
        assert {d.service for d in sent_back} == {"COVFLU"} and len(sent_back) == 4
        for declaration in sent_back:
            assert [step["status"] for step in declaration.history] == [
                flow.AWAITING_COMMISSIONER, flow.APPROVED, flow.AWAITING_PROVIDER]
            assert declaration.history[-1]["reason"] == flow.RECALCULATED
            claim = [c.data for c in feed_rows(session, declaration.practice_id, "result")
                     if c.entity_id == f"COVFLU:{OCTOBER}"]
            assert len(claim) == 2 and Fraction(claim[-1]["payment"]) > Fraction(declaration.payment)
        assert {d.status for d in october if d.service != "COVFLU"} == {
            flow.AWAITING_COMMISSIONER, flow.APPROVED, flow.FINANCE_APPROVED}


def test_cli_ingest_refuses_a_bad_file_whole(seeded, tmp_path, capsys):
    shutil.copytree(seeded, tmp_path / "data")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "practice_code,service,indicator_id,achievement_date,numerator,denominator,pca\n"
        "Z99001,QOF,LIST_SIZE,2026-03-31,9800,,\n"
        "Z99001,QOF,BP002,2026-03-31,-3,100,0\n"
    )
    assert main(["--data-dir", str(tmp_path / "data"), "ingest", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "line 3" in err and "Nothing was loaded" in err


def test_an_extract_for_an_unknown_practice_is_refused(db):
    text = (
        "practice_code,service,indicator_id,achievement_date,numerator,denominator,pca\n"
        "A12345,QOF,LIST_SIZE,2026-03-31,5000,,\n"
        "A12345,QOF,BP002,2026-03-31,30,100,0\n"
    )
    with pytest.raises(ExtractError, match="A12345 is not known"), db.begin() as session:
        begin_write(session)
        ingest_text(session, text, RULES, clock=demo_clock())


def _corrected_march(step: int) -> str:
    """The March extract with one more DM020 patient per step: new bytes, so it is really loaded."""
    text = demo_extracts(RULES)[MARCH]
    line = next(x for x in text.splitlines() if x.startswith("Z99001,QOF,DM020,"))
    cells = line.split(",")
    cells[4] = str(int(cells[4]) + step)
    return text.replace(line, ",".join(cells))


@pytest.mark.parametrize("given, shown", [
    ("/srv/uploads/../../secret/gpes-march.csv", "gpes-march.csv"),
    ("C:\\Users\\pm\\gpes\x1b[2J\r\nmarch.csv", "gpes[2Jmarch.csv"),
    ("patient 943 476 5919 march.csv", "extract.csv"),
    ("NHS9434765919.csv", "extract.csv"),
])
def test_only_a_safe_display_name_reaches_the_database_and_the_feed(db, given, shown):
    with db.begin() as session:
        begin_write(session)
        report = ingest_text(session, _corrected_march(1), RULES, clock=demo_clock(), filename=given)
        assert not report.already_ingested
    with db() as session:
        assert session.get(ExtractUpload, report.extract_id).filename == shown
        practice = organisation(session, "Z99001")
        record = feed_rows(session, practice.id, "achievement")[-1].data
        assert record["extract"] == shown


def test_cli_ingest_stores_the_base_name_without_an_nhs_number(seeded, tmp_path, capsys):
    shutil.copytree(seeded, tmp_path / "data")
    folder = tmp_path / "9434765919"
    folder.mkdir()
    path = folder / "gpes 943-476-5919.csv"
    path.write_text(_corrected_march(2))
    assert main(["--data-dir", str(tmp_path / "data"), "ingest", str(path)]) == 0
    assert main(["--data-dir", str(tmp_path / "data"), "ingest", str(path)]) == 0
    out = capsys.readouterr().out
    assert "extract.csv was loaded before" in out and "943-476-5919" not in out
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'central.db'}")
    try:
        with make_sessionmaker(engine)() as session:
            latest = session.scalars(select(ExtractUpload).order_by(ExtractUpload.id.desc())).first()
            assert latest.filename == "extract.csv"
    finally:
        engine.dispose()


def test_cli_ingest_refuses_an_endless_file_without_reading_it_all(seeded, tmp_path, capsys):
    if not Path("/dev/zero").exists():
        pytest.skip("needs /dev/zero")
    shutil.copytree(seeded, tmp_path / "data")
    assert main(["--data-dir", str(tmp_path / "data"), "ingest", "/dev/zero"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("line 1: is longer than 65,536 bytes")
