"""The service's ingest of NHS England's INDICATOR_VALUES layout, on real SQLite files: the same results
as the equivalent file in our layout, the PCAs kept by reason, and pooled PCA rates in the benchmarks.

Worked by hand: both practices (one PCN) have DM020 351/540 with 28 PCAs at each date, so the pooled PCA
rate is (28 + 28) / (568 + 568) = 7/142 (4.9%); AF006 120/200 with 5 PCAs gives 10/410 = 1/41.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction

import pytest
from indicator_values import reasons_of, to_indicator_values
from sqlalchemy import select

from app.services.rules import QOF_SERVICE, load_rules
from benchmarks.national_extract import create_practices
from central import feed
from central.db import begin_write, make_engine, make_sessionmaker, migrate
from central.directory import organisation
from central.extract import ExtractError
from central.ingest import ingest_text, recalculate
from central.models import AchievementCount, CalculatedResult, Change
from tests.unit.test_indicator_values import ours

RULES = load_rules("2025-26")
MARCH = date(2026, 3, 31)


def clock() -> datetime:
    return datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def make_sessions(tmp_path):
    engines = []

    def make(name: str):
        engine = make_engine(f"sqlite:///{tmp_path / name}")
        migrate(engine)
        create_practices(engine, ["Z99001", "Z99002"])
        engines.append(engine)
        return make_sessionmaker(engine)

    yield make
    for engine in engines:
        engine.dispose()


def load(sessions, text: str) -> None:
    with sessions.begin() as session:
        begin_write(session)
        ingest_text(session, text, RULES, clock=clock, filename="cqrs.csv")


def results(sessions) -> dict[tuple, tuple]:
    with sessions() as session:
        rows = session.execute(select(CalculatedResult.practice_id, CalculatedResult.service,
                                      CalculatedResult.indicator_id, CalculatedResult.achievement_date,
                                      CalculatedResult.points, CalculatedResult.payment,
                                      CalculatedResult.detail))
        return {tuple(r[:4]): (r.points, r.payment, r.detail) for r in rows}


def without_reasons(detail: dict) -> dict:
    return {key: value for key, value in detail.items() if key != "pca_reasons"}


def test_an_indicator_values_file_loads_exactly_as_its_equivalent_in_our_layout(make_sessions):
    mine, theirs = make_sessions("ours.db"), make_sessions("theirs.db")
    load(mine, ours())
    load(theirs, to_indicator_values(ours()))
    expected, found = results(mine), results(theirs)
    assert set(found) == set(expected) and len(found) == 12  # 2 practices x 2 dates x 3 results
    for key, (points, payment, detail) in expected.items():
        assert found[key][:2] == (points, payment)
        assert without_reasons(found[key][2]) == detail
    assert stored_counts(theirs) == stored_counts(mine)


def stored_counts(sessions) -> dict[tuple, tuple]:
    with sessions() as session:
        return {(r.practice_id, r.service, r.indicator_id, r.achievement_date):
                (r.numerator, r.denominator, r.pca) for r in session.scalars(select(AchievementCount))}


def test_the_pcas_by_reason_are_stored_published_and_survive_a_recalculation(make_sessions):
    sessions = make_sessions("theirs.db")
    load(sessions, to_indicator_values(ours()))
    with sessions.begin() as session:
        begin_write(session)
        practice = organisation(session, "Z99001")
        stored = session.scalar(select(AchievementCount.pca_reasons).where(
            AchievementCount.practice_id == practice.id, AchievementCount.indicator_id == "DM020",
            AchievementCount.achievement_date == MARCH))
        assert stored == reasons_of(28)
        published = session.scalars(select(Change.data).where(
            Change.practice_id == practice.id, Change.type == feed.RESULT,
            Change.entity_id == f"QOF:{MARCH}").order_by(Change.seq.desc())).first()
        by_id = {i["indicator_id"]: i for i in published["indicators"]}
        assert by_id["DM020"]["pca_reasons"] == reasons_of(28) and by_id["DM020"]["pca"] == 28
        assert by_id["AF006"]["pca_reasons"] == reasons_of(5)
        again = recalculate(session, RULES, practice, MARCH, clock=clock)
        qof = next(r for r in again if r["service"] == QOF_SERVICE)
        assert {i["indicator_id"]: i.get("pca_reasons") for i in qof["indicators"]}["DM020"] == reasons_of(28)


def test_the_benchmarks_pool_the_pca_rates(make_sessions):
    sessions = make_sessions("theirs.db")
    load(sessions, to_indicator_values(ours()))
    with sessions() as session:
        practice = organisation(session, "Z99002")
        record = session.scalars(select(Change.data).where(
            Change.practice_id == practice.id, Change.type == feed.BENCHMARK,
            Change.entity_id == f"QOF:{MARCH}").order_by(Change.seq.desc())).first()
    dm020, af006 = record["indicators"]["DM020"], record["indicators"]["AF006"]
    assert Fraction(dm020["pca"]["pcn"]) == Fraction(7, 142) == Fraction(dm020["pca"]["all"])
    assert Fraction(af006["pca"]["pcn"]) == Fraction(1, 41)
    assert Fraction(dm020["pcn"]) == Fraction(351, 540)  # the achievement average is unchanged


def test_a_bad_indicator_values_file_loads_nothing(make_sessions):
    sessions = make_sessions("theirs.db")
    text = to_indicator_values(ours()).replace(",DM020,Numerator,351,", ",DM020,Numerator,600,", 1)
    with pytest.raises(ExtractError) as caught:
        load(sessions, text)
    assert [p.line for p in caught.value.problems] == [
        text.splitlines().index(next(line for line in text.splitlines() if ",Numerator,600," in line)) + 1]
    with sessions() as session:
        assert session.scalar(select(AchievementCount.id)) is None


def test_a_later_file_for_the_same_dates_keeps_the_reasons_of_the_counts_it_does_not_replace(make_sessions):
    sessions = make_sessions("theirs.db")
    load(sessions, to_indicator_values(ours()))
    later = [line for line in ours().splitlines() if ",AF006," not in line]
    load(sessions, to_indicator_values("\n".join(later).replace(",351,540,28", ",352,540,30") + "\n"))
    with sessions() as session:
        practice = organisation(session, "Z99001")
        details = {r.indicator_id: r.detail for r in session.scalars(select(CalculatedResult).where(
            CalculatedResult.practice_id == practice.id, CalculatedResult.achievement_date == MARCH))}
    assert details["DM020"]["numerator"] == 352 and details["DM020"]["pca_reasons"] == reasons_of(30)
    assert details["AF006"]["pca_reasons"] == reasons_of(5)  # from the first file, still counted


def test_cqrs_central_ingest_reads_the_layout_from_the_header(tmp_path, make_sessions, capsys):
    from central.cli import main

    make_sessions("cli.db")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    good, bad = tmp_path / "INDICATOR_VALUES.csv", tmp_path / "bad.csv"
    good.write_text(to_indicator_values(ours()), encoding="utf-8")
    bad.write_text(to_indicator_values(ours()).replace(",AUTOMATED,", ",9434765919,", 1), encoding="utf-8")
    assert main(["ingest", str(bad), "--db", url]) == 2
    err = capsys.readouterr().err
    assert "column 9 (SUBMIT_USER_ID) looks like an NHS number" in err and "9434765919" not in err
    assert err.rstrip().endswith("Nothing was loaded.")
    assert main(["ingest", str(good), "--db", url]) == 0
    assert "Z99001" in capsys.readouterr().out
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        assert session.scalar(select(CalculatedResult.detail).where(
            CalculatedResult.indicator_id == "DM020", CalculatedResult.achievement_date == MARCH)
        )["pca_reasons"] == reasons_of(28)
    engine.dispose()
