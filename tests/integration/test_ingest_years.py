"""The service's ingest of a file whose rows span several QOF years, on a real SQLite file and over HTTPS.

Figures worked by hand (as in tests/unit/test_mixed_year_calculate.py): VI001 of 2026/27 is worth 18
points, standard thresholds 89-96%, improvement from B + 5 (nothing) to B + 18 (full points), B the mean
of the practice's achievement % at the two previous year ends. A list of 10,349 (the national average)
makes CPI 1, and VI001 has no register, so a point is worth £227.95.

Z97001: 60/100 = 60% at 31 March 2025 and 66/100 = 66% at 31 March 2026, so B = 63 (band 68%-81%);
77/100 = 77% at 31 October 2026: standard 0 points (77 < 89), improvement 18 x 9/13 = 162/13 points,
162/13 x £227.95 = £369,279/130 = £2,840.6077 -> £2,840.61. Z97002 has no 2024/25 year end: no
baseline, the standard route alone, 0 points.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from app.services.rules import QOF_SERVICE, load_rules
from benchmarks.national_extract import create_practices
from central.db import begin_write, make_engine, make_sessionmaker, migrate
from central.directory import create_organisation, organisation
from central.extract import ExtractError
from central.ingest import ingest_text, recalculate
from central.models import PRACTICE, AchievementCount, CalculatedResult, Change, ExtractUpload, Organisation
from central.security import EXTRACT_UPLOAD

from .conftest import Api, World

RULES = load_rules("2026-27")
OCTOBER = date(2026, 10, 31)
HEADER = "practice_code,service,indicator_id,achievement_date,numerator,denominator,pca\n"
_codes = itertools.count(1)


def year_ends(a: str, b: str) -> list[str]:
    return [f"{a},QOF,LIST_SIZE,2025-03-31,10349,,", f"{a},QOF,VI001,2025-03-31,60,100,0",
            f"{a},QOF,LIST_SIZE,2026-03-31,10349,,", f"{a},QOF,VI001,2026-03-31,66,100,0",
            f"{b},QOF,LIST_SIZE,2026-03-31,10349,,", f"{b},QOF,VI001,2026-03-31,66,100,0"]


def october(a: str, b: str) -> list[str]:
    return [f"{a},QOF,LIST_SIZE,2026-10-31,10349,,", f"{a},QOF,VI001,2026-10-31,77,100,0",
            f"{b},QOF,LIST_SIZE,2026-10-31,10349,,", f"{b},QOF,VI001,2026-10-31,77,100,0"]


def csv(rows: list[str]) -> str:
    return HEADER + "\n".join(rows) + "\n"


def clock() -> datetime:
    return datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def sessions(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'central.db'}")
    migrate(engine)
    create_practices(engine, ["Z97001", "Z97002"])
    yield make_sessionmaker(engine)
    engine.dispose()


def load(sessions, text: str):
    with sessions.begin() as session:
        begin_write(session)
        return ingest_text(session, text, RULES, clock=clock, filename="gpes.csv")


def vi001(session, code: str, day: date = OCTOBER) -> dict:
    practice = organisation(session, code)
    return session.scalar(select(CalculatedResult.detail).where(
        CalculatedResult.practice_id == practice.id, CalculatedResult.service == QOF_SERVICE,
        CalculatedResult.indicator_id == "VI001", CalculatedResult.achievement_date == day))


def test_a_mixed_year_file_loads_each_year_and_vi001_scores_by_the_improvement_route(sessions) -> None:
    report = load(sessions, csv(year_ends("Z97001", "Z97002") + october("Z97001", "Z97002")))
    # Five practice dates: Z97001 at three year ends/months, Z97002 at two; ten counts.
    assert (report.rows, report.recalculated, report.practices) == (10, 5, ("Z97001", "Z97002"))
    with sessions() as session:
        improved, alone = vi001(session, "Z97001"), vi001(session, "Z97002")
        assert (improved["points"], improved["payment"], improved["payment_gbp"]) == (
            "162/13", "369279/130", "2840.61")
        assert improved["band"] == "between thresholds"
        assert (alone["points"], alone["payment_gbp"]) == ("0", "0.00")
        # Each year under its own rules: the 2024/25 year end is a 2024/25 result, 60% achieved.
        assert vi001(session, "Z97001", date(2025, 3, 31))["achievement"] == "3/5"
        years = dict(session.execute(select(Change.entity_id, Change.data["year"])
                                     .where(Change.type == "result", Change.entity_id.like("QOF:%"))).all())
        assert years == {"QOF:2025-03-31": "2024-25", "QOF:2026-03-31": "2025-26",
                         "QOF:2026-10-31": "2026-27"}
        assert session.scalar(select(func.count()).select_from(ExtractUpload)) == 1


def test_the_month_alone_after_the_stored_year_ends_gives_the_same_vi_result(sessions, tmp_path) -> None:
    load(sessions, csv(year_ends("Z97001", "Z97002")))
    load(sessions, csv(october("Z97001", "Z97002")))  # baselines from the stored 31 March results
    with sessions() as session:
        improved, alone = vi001(session, "Z97001"), vi001(session, "Z97002")
    engine = make_engine(f"sqlite:///{tmp_path / 'whole.db'}")
    migrate(engine)
    create_practices(engine, ["Z97001", "Z97002"])
    whole = make_sessionmaker(engine)
    load(whole, csv(year_ends("Z97001", "Z97002") + october("Z97001", "Z97002")))
    with whole() as session:
        assert (improved, alone) == (vi001(session, "Z97001"), vi001(session, "Z97002"))
    engine.dispose()
    assert improved["points"] == "162/13" and alone["points"] == "0"
    # Recalculating one practice date (as a manual entry does) reads the same stored baselines.
    with sessions.begin() as session:
        begin_write(session)
        [record] = recalculate(session, RULES, organisation(session, "Z97001"), OCTOBER, clock=clock)
    [again] = [i for i in record["indicators"] if i["indicator_id"] == "VI001"]
    assert again == improved


def test_year_ends_that_arrive_after_the_month_recalculate_it(sessions) -> None:
    load(sessions, csv(october("Z97001", "Z97002")))  # no baselines yet: the standard route alone
    with sessions() as session:
        assert vi001(session, "Z97001")["points"] == "0"
        before = session.scalar(select(func.max(Change.seq)))
    report = load(sessions, csv(year_ends("Z97001", "Z97002")))
    # Three year-end practice dates loaded, and both practices' stored October recalculated.
    assert report.recalculated == 5
    with sessions() as session:
        assert vi001(session, "Z97001")["points"] == "162/13"
        assert vi001(session, "Z97002")["points"] == "0"  # still no 2024/25 year end
        published = session.scalars(select(Change.entity_id).where(Change.seq > before,
                                                                   Change.type == "result")).all()
    assert "QOF:2026-10-31" in published  # the practice's desktop hears of the new October result


def test_a_year_not_shipped_is_refused_naming_the_line_and_nothing_is_loaded(sessions) -> None:
    # 31 March 2023 is 2022/23's year end: no rules for it in this version. Lines 2 and 3 of the file.
    rows = [r.replace("2025-03-31", "2023-03-31") for r in year_ends("Z97001", "Z97002")]
    with pytest.raises(ExtractError) as refused:
        load(sessions, csv(rows + october("Z97001", "Z97002")))
    assert [p.line for p in refused.value.problems] == [2, 3]
    assert "achievement_date 2023-03-31 is in QOF year 2022-23, which this version has no rules for" in (
        refused.value.problems[0].message)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(AchievementCount)) == 0
        assert session.scalar(select(func.count()).select_from(ExtractUpload)) == 0


# --- the upload over HTTPS ---------------------------------------------------------------------------


def _practice(world: World) -> str:
    with world.session() as session:
        pcn = session.get_one(Organisation, world.practice.parent_id)
        org = create_organisation(session, PRACTICE, f"Z87{next(_codes):03d}", "Years Surgery",
                                  world.server.app.state.settings.clock(), parent=pcn)
        session.commit()
        return org.ods_code


def test_an_upload_of_several_years_is_loaded_by_each_rows_year(api: Api, world: World) -> None:
    a, b = _practice(world), _practice(world)
    token = api.token(world.user({world.icb: (EXTRACT_UPLOAD,)}, "years"))
    response = api.post("/extracts", token, data=csv(year_ends(a, b) + october(a, b)).encode(),
                        headers={"Content-Type": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.json()["recalculated"] == 5
    with world.session() as session:
        assert Fraction(vi001(session, a)["points"]) == Fraction(162, 13)
        assert vi001(session, b)["points"] == "0"
